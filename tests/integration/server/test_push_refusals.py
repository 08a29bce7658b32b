"""A push that cannot get stuck or skip (issue 9, point 1): every way the server can refuse a
till's push ends either applied (the till mends it by itself, or once a manager installed a
new credential) or shown — on the till's status line with the code and what to do, and in
the back office as the till's last refusal. The till keeps selling meanwhile.

A real till (its SQLite file, its uploader thread, its server link) against the real server
app on SQLite and PostgreSQL; the link's requests reach the app through ``Via``, which can
also change a push on its way (a till and a server that disagree about a field)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient

from autonom.contracts import CONTRACT_VERSION
from autonom.domain import Operator, PaymentMethod
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.entrypoints.web import create_app
from autonom.till.service_layer.commands import Tendered
from autonom.web import MAX_BODY_BYTES
from tests.integration.server.till_log import (
    ADMIN,
    ENROLMENT_CODE,
    TillLog,
    batch,
    register,
    seed_master_data,
)

T = TypeVar("T")
ANNA, MARIA = 1, 3  # a cashier and the manager
Change = Callable[[dict[str, Any]], dict[str, Any] | bytes]


class Via(httpx.BaseTransport):
    """The till's server link into the app under test; ``change`` rewrites a push."""

    def __init__(self, server: TestClient) -> None:
        self.server = server
        self.change: Change | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        if self.change is not None and request.url.path.endswith("/operations"):
            changed = self.change(json.loads(body))
            body = changed if isinstance(changed, bytes) else json.dumps(changed).encode()
        answer = self.server.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=body,
            headers={
                k: v for k, v in request.headers.items() if k.lower() not in {"content-length"}
            },
        )
        return httpx.Response(
            answer.status_code,
            headers={"content-type": answer.headers.get("content-type", "application/json")},
            content=answer.content,
        )


def wait_until(condition: Callable[[], T], what: str, seconds: float = 30.0) -> T:
    """``condition()`` once truthy; a deadline for a thing to happen, not a timing check."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what} never happened"
        time.sleep(0.02)
    return result


class Store:
    """The server as the back office and the tests reach it, and the tills on it."""

    def __init__(self, server: TestClient, folder: Path) -> None:
        self.server = server
        self.folder = folder
        self.via = Via(server)
        self.tills: list[Till] = []
        seed_master_data(server)
        for number, name, role, pin in (
            (ANNA, "Anna", "cashier", "1111"),
            (MARIA, "Maria", "manager", "3333"),
        ):
            answer = server.put(
                f"/api/v1/operators/{number}",
                json={"name": name, "role": role, "pin": pin},
                headers=ADMIN,
            )
            assert answer.status_code == 200, answer.text

    def till(self, name: str, *, register: bool = True) -> Till:
        """Till 10 on a database of its own (``name``: its folder), registered or not."""
        settings = TillSettings(
            number=10,
            server_url="http://server",
            data_dir=self.folder / name,
            printer="none",
            enrolment_code=ENROLMENT_CODE,
        )
        till = bootstrap(settings, server_transport=self.via)
        self.tills.append(till)
        if register:
            till.snapshot.refresh_now()  # registers, then the master data
        return till

    def renew(self) -> str:
        """The back office's "new credential" for till 10."""
        answer = self.server.post("/api/v1/tills/10/credential", headers=ADMIN)
        assert answer.status_code == 200, answer.text
        credential: str = answer.json()["credential"]
        return credential

    def last_refusal(self) -> dict[str, Any] | None:
        (row,) = [
            t
            for t in self.server.get("/api/v1/tills", headers=ADMIN).json()
            if t["till_number"] == 10
        ]
        refusal: dict[str, Any] | None = row["last_refusal"]
        return refusal

    def applied_through(self) -> int:
        (row,) = [
            t
            for t in self.server.get("/api/v1/tills", headers=ADMIN).json()
            if t["till_number"] == 10
        ]
        return int(row["applied_through"])


@pytest.fixture
def store(server: TestClient, tmp_path: Path) -> Iterator[Store]:
    shop = Store(server, tmp_path)
    yield shop
    for till in shop.tills:
        till.stop()


def sell(till: Till) -> None:
    selling = till.selling
    ticket = selling.open_ticket(ANNA, None)
    selling.book(ANNA, ticket.ticket_id, "100", 1)
    selling.pay(ANNA, ticket.ticket_id, [Tendered(PaymentMethod.CASH)])


def manager(till: Till) -> Operator:
    return till.selling.operator(MARIA)


def outbox_seqs(till: Till) -> int:
    with sqlite3.connect(till.store.path) as db:
        last: int = db.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]
    return last


def assert_applied(store: Store, till: Till) -> None:
    """Everything the till holds is on the server, and nothing is shown as refused."""
    wait_until(lambda: till.selling.status().unsent_operations == 0, "the upload")
    assert till.selling.status().push_refused is None
    assert store.last_refusal() is None
    assert store.applied_through() == outbox_seqs(till)


def assert_shown(store: Store, till: Till, code: str) -> None:
    """The refusal is on the till's status line and in the back office, with what to do;
    the till sells on and keeps what it sold."""
    shown = wait_until(lambda: till.selling.status().push_refused, f"{code} on the till")
    assert (shown.code, bool(shown.to_do), bool(shown.happened)) == (code, True, True)
    kept = wait_until(store.last_refusal, f"{code} in the back office")
    assert kept["code"] == code
    assert kept["to_do"]
    assert kept["message"]
    line = TestClient(create_app(till)).get("/status-line").text  # the cashier's page
    assert f'data-testid="push-refused" data-code="{code}"' in " ".join(line.split())
    unsent = till.selling.status().unsent_operations
    sell(till)
    assert till.selling.status().unsent_operations == unsent + 3


# -- each refusal a push can meet, driven as it happens --------------------------------------


def bad_credential(store: Store) -> None:
    till = store.till("till")
    store.renew()  # e.g. issued for a replacement that never came: this till's is stale
    till.uploader.start()
    sell(till)
    assert_shown(store, till, "BAD_CREDENTIAL")
    credential = store.renew()
    page = TestClient(create_app(till))
    cashier = page.post("/api/login", json={"operator_number": ANNA, "pin": "1111"})
    installed = page.post(
        "/api/credential",
        json={"credential": credential},
        headers={"Authorization": f"Bearer {cashier.json()['token']}"},
    )
    assert (installed.status_code, installed.json()["code"]) == (403, "NOT_ALLOWED")
    assert page.post(f"/login/{MARIA}", data={"pin": "3333"}).status_code == 200
    answer = page.post("/credential", data={"credential": credential})  # the manager, the form
    assert "Credential installed" in answer.text
    assert_applied(store, till)


def wrong_till(store: Store) -> None:
    till = store.till("till")
    other = register(store.server, 11)  # a credential of till 11, installed by mistake
    till.snapshot.install_credential(manager(till), other.credential)
    till.uploader.start()
    sell(till)
    assert_shown(store, till, "WRONG_TILL")
    till.snapshot.install_credential(manager(till), store.renew())
    assert_applied(store, till)


def foreign_range(store: Store) -> None:
    till = store.till("till")
    sell(till)
    with sqlite3.connect(till.store.path) as db:  # a receipt numbered from till 11's range
        db.execute(
            "UPDATE outbox SET event = json_set(event, '$.receipt_number', '11000001-01') "
            "WHERE kind = 'ticket_closed'"
        )
    till.uploader.start()
    assert_shown(store, till, "FOREIGN_RANGE")


def sequence_gap(store: Store) -> None:
    till = store.till("till")
    sell(till)
    with sqlite3.connect(till.store.path) as db:  # marked sent, never pushed
        db.execute("UPDATE outbox SET sent = 1")
    sell(till)
    till.uploader.start()
    assert_applied(store, till)  # the till asked the server's position and resent


def sequence_conflict(store: Store) -> None:
    till = store.till("till")
    other = TillLog(10)  # another log pushed as this one: the same seqs, other operations
    other.credential = till.store.credential() or ""
    other.sale()
    body = batch(other.operations()) | {"contract": 4, "log_id": str(till.store.log_id())}
    answer = store.server.post("/api/v1/tills/10/operations", json=body, headers=other.auth)
    assert answer.status_code == 200, answer.text
    sell(till)
    till.uploader.start()
    assert_shown(store, till, "SEQUENCE_CONFLICT")


def log_mismatch(store: Store) -> None:
    first = store.till("first")
    credential = first.store.credential()
    assert credential is not None
    replaced = store.till("replaced", register=False)  # a new database: a new log
    replaced.snapshot.install_credential(manager(first), credential)  # the old credential
    replaced.snapshot.refresh_now()
    replaced.uploader.start()
    sell(replaced)
    assert_shown(store, replaced, "LOG_MISMATCH")
    replaced.snapshot.install_credential(manager(first), store.renew())
    assert_applied(store, replaced)  # a new log of till 10, from seq 1


def contract_too_new(store: Store) -> None:
    def from_a_newer_till(push: dict[str, Any]) -> dict[str, Any]:
        return push | {"contract": CONTRACT_VERSION + 1}

    store.via.change = from_a_newer_till  # a till updated before its server
    till = store.till("till")
    till.uploader.start()
    sell(till)
    assert_shown(store, till, "CONTRACT_TOO_NEW")


def body_too_large(store: Store) -> None:
    def too_large_unless_single(push: dict[str, Any]) -> dict[str, Any] | bytes:
        if len(push["operations"]) == 1:
            return push
        return json.dumps(push).encode() + b" " * MAX_BODY_BYTES

    store.via.change = too_large_unless_single
    till = store.till("till")
    sell(till)
    till.uploader.start()
    assert_applied(store, till)  # smaller batches, down to one operation


def invalid_input(store: Store) -> None:
    def quantity_the_server_refuses(push: dict[str, Any]) -> dict[str, Any]:
        for operation in push["operations"]:
            if operation["event"]["kind"] == "booking_added":
                operation["event"]["quantity"] = 1000
        return push

    store.via.change = quantity_the_server_refuses
    till = store.till("till")
    till.uploader.start()
    sell(till)
    assert_shown(store, till, "INVALID_INPUT")


REFUSALS: dict[str, Callable[[Store], None]] = {
    "BAD_CREDENTIAL": bad_credential,
    "WRONG_TILL": wrong_till,
    "FOREIGN_RANGE": foreign_range,
    "SEQUENCE_GAP": sequence_gap,
    "SEQUENCE_CONFLICT": sequence_conflict,
    "LOG_MISMATCH": log_mismatch,
    "CONTRACT_TOO_NEW": contract_too_new,
    "BODY_TOO_LARGE": body_too_large,
    "INVALID_INPUT": invalid_input,
}


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_of_a_push_ends_applied_or_shown(store: Store, code: str) -> None:
    REFUSALS[code](store)
