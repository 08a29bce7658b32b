"""Positions per till *and* log (issue 9, point 1): a replaced till continues as a new log
once the back office issued it a credential, a log the server does not know under an old
credential is LOG_MISMATCH, a lost answer to registration costs nothing, and a till of
contract 3 (no log id) keeps pushing to its till's current log. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests.integration.server.till_log import ADMIN, ENROLMENT_CODE, TillLog, batch, register


def register_log(client: TestClient, number: int, log_id: uuid.UUID) -> Any:
    body = {"name": f"Till {number}", "enrolment_code": ENROLMENT_CODE, "log_id": str(log_id)}
    return client.post(f"/api/v1/tills/{number}/register", json=body)


def push_log(client: TestClient, till: TillLog, log_id: uuid.UUID | None, *, sales: int = 1) -> Any:
    """The till's next ``sales`` sales, pushed as contract 4 naming ``log_id`` (or as a till
    of contract 3 without one)."""
    for _ in range(sales):
        till.sale()
    body: dict[str, Any] = batch(till.operations())
    if log_id is not None:
        body |= {"contract": 4, "log_id": str(log_id)}
    else:
        body |= {"contract": 3}
    return client.post(f"/api/v1/tills/{till.number}/operations", json=body, headers=till.auth)


def till_row(client: TestClient, number: int) -> dict[str, Any]:
    (row,) = [
        t for t in client.get("/api/v1/tills", headers=ADMIN).json() if t["till_number"] == number
    ]
    return row


def test_a_till_of_contract_3_pushes_to_its_current_log_as_before(server: TestClient) -> None:
    till = register(server, 10)  # registered without a log id, as a deployed till does
    first = push_log(server, till, None, sales=2)
    assert first.status_code == 200, first.text
    assert first.json() == {"applied_through": 8, "applied": 8, "skipped": 0}
    again = push_log(server, till, None)
    assert again.json()["applied_through"] == 12
    position = server.get("/api/v1/tills/10/position", headers=till.auth).json()
    assert position["applied_through"] == 12
    assert till_row(server, 10)["log_number"] == 1


def test_a_till_upgraded_in_place_claims_its_log_and_goes_on(server: TestClient) -> None:
    till = register(server, 10)
    assert push_log(server, till, None).status_code == 200  # seqs 1-4, contract 3
    log_id = uuid.uuid4()  # the till's migration 8 made it: the server never saw it
    answer = push_log(server, till, log_id)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "applied_through": 8,
        "applied": 4,
        "skipped": 0,
        "log_id": str(log_id),
    }
    asked = server.get(f"/api/v1/tills/10/position?log={log_id}", headers=till.auth).json()
    assert (asked["applied_through"], asked["log_id"]) == (8, str(log_id))
    assert till_row(server, 10)["log_number"] == 1
    # Claimed once: another database under the same credential is not the same log.
    other = TillLog(10)
    other.credential = till.credential
    refused = push_log(server, other, uuid.uuid4())
    assert (refused.status_code, refused.json()["code"]) == (409, "LOG_MISMATCH")


def test_a_replaced_till_continues_as_a_new_log_once_it_has_a_new_credential(
    server: TestClient,
) -> None:
    old_log, new_log = uuid.uuid4(), uuid.uuid4()
    answer = register_log(server, 10, old_log)
    assert answer.status_code == 201, answer.text
    old = TillLog(10)
    old.credential = answer.json()["credential"]
    assert push_log(server, old, old_log, sales=2).json()["applied_through"] == 8

    # The new hardware starts a fresh database: its log begins at seq 1 again.
    new = TillLog(10)
    new.credential = old.credential  # a copy of the old credential is not enough
    refused = push_log(server, new, new_log)
    assert (refused.status_code, refused.json()["code"]) == (409, "LOG_MISMATCH")
    assert refused.json()["detail"] == {"log_number": 1}
    assert till_row(server, 10)["last_refusal"]["code"] == "LOG_MISMATCH"
    new.seq = 0  # nothing of it was kept: its log starts at seq 1 again

    renewed = server.post("/api/v1/tills/10/credential", headers=ADMIN)
    assert renewed.status_code == 200, renewed.text
    new.credential = renewed.json()["credential"]
    new.sale()
    body = batch(new.operations()) | {"contract": 4, "log_id": str(new_log)}
    pushed = server.post("/api/v1/tills/10/operations", json=body, headers=new.auth)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["applied_through"] == 4  # the new log, from seq 1
    row = till_row(server, 10)
    assert (row["log_number"], row["applied_through"], row["last_refusal"]) == (2, 4, None)
    receipts = server.get("/api/v1/receipts?till_number=10", headers=ADMIN).json()
    assert len(receipts) == 3  # two of the old log, one of the new: nothing collided
    # The old log is not the till's any more: its credential is gone.
    gone = push_log(server, old, old_log)
    assert (gone.status_code, gone.json()["code"]) == (401, "BAD_CREDENTIAL")
    # One credential opens one new log: a third database under it is refused.
    third = TillLog(10)
    third.credential = new.credential
    assert push_log(server, third, uuid.uuid4()).json()["code"] == "LOG_MISMATCH"


def test_a_lost_answer_to_registration_is_asked_again_with_the_same_log(
    server: TestClient,
) -> None:
    log_id = uuid.uuid4()
    first = register_log(server, 10, log_id)  # its answer never reached the till
    assert first.status_code == 201, first.text
    again = register_log(server, 10, log_id)
    assert again.status_code == 201, again.text
    assert again.json()["credential"] != first.json()["credential"]
    till = TillLog(10)
    till.credential = first.json()["credential"]
    assert push_log(server, till, log_id).json()["code"] == "BAD_CREDENTIAL"  # replaced
    till.seq = 0
    till.credential = again.json()["credential"]
    assert push_log(server, till, log_id).status_code == 200
    # Another database, or a till of contract 3 (no log id), still finds the number taken.
    for other in ({"log_id": str(uuid.uuid4())}, {}):
        body = {"name": "Till 10", "enrolment_code": ENROLMENT_CODE} | other
        taken = server.post("/api/v1/tills/10/register", json=body)
        assert (taken.status_code, taken.json()["code"]) == (409, "TILL_TAKEN")
