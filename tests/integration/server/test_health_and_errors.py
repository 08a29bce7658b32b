"""Every answer is JSON a program can act on: health for the till's heartbeat, and an
ErrorBody with a code for everything that goes wrong (invariant 7)."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from autonom.server.adapters.repositories import TicketRepository
from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import ADMIN, push, register, server_settings
from tests.support.databases import drop_database


def test_health_answers_after_asking_the_database(server: TestClient) -> None:
    answer = server.get("/api/v1/health")
    assert answer.status_code == 200
    body = answer.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert datetime.fromisoformat(body["server_time"]).tzinfo is not None


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_health_says_degraded_when_the_database_is_gone(db_url: str) -> None:
    with TestClient(create_app(server_settings(db_url))) as server:
        assert server.get("/api/v1/health").status_code == 200
        drop_database(db_url.rsplit("/", 1)[1])
        answer = server.get("/api/v1/health")
        assert answer.status_code == 503
        assert answer.json() == {"status": "degraded", "database": "down"}
        till = server.get("/api/v1/tills", headers=ADMIN)
        assert till.status_code == 503
        assert till.json()["code"] == "DATABASE_UNAVAILABLE"


def test_malformed_json_is_a_400(server: TestClient) -> None:
    till = register(server, 10)
    answer = server.post(
        "/api/v1/tills/10/operations",
        content=b'{"operations": [',
        headers={**till.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "MALFORMED_JSON"
    assert "Traceback" not in answer.text


def test_invalid_batch_names_the_field(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    operations[0]["seq"] = 0
    answer = push(server, till, operations)
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID_INPUT"
    assert "operations.0.seq" in answer.json()["message"]
    empty = push(server, till, [])
    assert empty.status_code == 422
    assert empty.json()["code"] == "INVALID_INPUT"


def test_unknown_route_is_a_404_with_a_code(server: TestClient) -> None:
    answer = server.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["code"] == "NOT_FOUND"
    wrong_method = server.delete("/api/v1/health")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "METHOD_NOT_ALLOWED"


def test_unexpected_failure_is_a_500_without_traceback(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(server_settings(db_url))
    with TestClient(app, raise_server_exceptions=False) as server:
        till = register(server, 10)
        till.open(table=2)
        push(server, till, till.operations())
        # A bug in reading the tickets (not the database being away, which is a 503).
        monkeypatch.setattr(TicketRepository, "find", _broken_find)
        answer = server.get("/api/v1/tickets?table=2", headers=till.auth)
    assert answer.status_code == 500
    assert answer.json()["code"] == "INTERNAL"
    assert "Traceback" not in answer.text
    assert "KeyError" not in answer.text


def _broken_find(*_args: object, **_kwargs: object) -> None:
    raise KeyError("bookings")


def test_openapi_describes_the_api(server: TestClient) -> None:
    schema = server.get("/openapi.json").json()
    assert "/api/v1/tills/{number}/operations" in schema["paths"]
    assert server.get("/docs").status_code == 200
