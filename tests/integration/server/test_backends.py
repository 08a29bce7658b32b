"""The backends behind the server (R2.4): the back office marks one down with a reason,
and every till hears it with the answer to its next heartbeat (``backends_down``), until it
is marked up again."""

from __future__ import annotations

from fastapi.testclient import TestClient

from autonom.domain import errors
from tests.integration.server.till_log import ADMIN, heartbeat, register


def test_a_backend_marked_down_is_in_every_heartbeat_answer_until_it_is_up(
    server: TestClient,
) -> None:
    bar, terrace = register(server, 10), register(server, 11)
    assert heartbeat(server, bar).json()["backends_down"] == []

    down = server.put(
        "/api/v1/backends/ticketing", json={"up": False, "reason": "maintenance"}, headers=ADMIN
    )
    server.put("/api/v1/backends/webshop", json={"up": False}, headers=ADMIN)

    assert down.status_code == 200, down.text
    assert (down.json()["name"], down.json()["up"], down.json()["reason"]) == (
        "ticketing",
        False,
        "maintenance",
    )
    for till in (bar, terrace):
        assert heartbeat(server, till).json()["backends_down"] == ["ticketing", "webshop"]
    listed = {b["name"]: b for b in server.get("/api/v1/backends", headers=ADMIN).json()}
    assert (listed["ticketing"]["up"], listed["payment_provider"]["up"]) == (False, True)
    assert listed["payment_provider"]["changed_at"] is None

    server.put("/api/v1/backends/ticketing", json={"up": True}, headers=ADMIN)
    assert heartbeat(server, bar).json()["backends_down"] == ["webshop"]


def test_only_the_back_office_marks_known_backends(server: TestClient) -> None:
    till = register(server, 10)
    by_till = server.put("/api/v1/backends/webshop", json={"up": False}, headers=till.auth)
    assert (by_till.status_code, by_till.json()["code"]) == (401, errors.ADMIN_REQUIRED)
    for name, body in (
        ("bank", {"up": False}),  # the card device reports its bank link itself
        ("webshop", {"up": "no"}),
        ("webshop", {"up": False, "reason": "x" * 201}),
        ("webshop", {"up": False, "reason": "line\nbreak"}),
    ):
        answer = server.put(f"/api/v1/backends/{name}", json=body, headers=ADMIN)
        assert (answer.status_code, answer.json()["code"]) == (422, errors.INVALID_INPUT), body
    assert heartbeat(server, till).json()["backends_down"] == []
