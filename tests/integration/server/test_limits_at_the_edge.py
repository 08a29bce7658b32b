"""What validation lets through, both databases keep; one step beyond, validation refuses it
(422 INVALID_INPUT), never the database with a 500 that the till would repeat for ever
(issue 9, point 1). Every text at its limit in characters the databases count differently
(four-byte UTF-8), every number and moment at its edge, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autonom.domain import limits
from autonom.domain.events import TEXT_LIMITS
from tests.integration.server.till_log import ADMIN, TillLog, batch, register

WIDE = "\U0001d11e"  # 𝄞: one character, four bytes in UTF-8, two UTF-16 units
# Texts whose form a rule fixes (a receipt number, a tax code of the master data) stay.
FIXED = {"receipt_number", "issued_number", "tax_code", "code", "kind"}
LATEST = limits.LATEST_MOMENT.isoformat()
EARLIEST = limits.EARLIEST_MOMENT.isoformat()
EDGES: dict[str, Any] = {
    "quantity": limits.MAX_QUANTITY,
    "table": limits.MAX_TABLE,
    "operator_number": limits.MAX_OPERATOR,
    "owner": limits.MAX_OPERATOR,
    "unit_price": str(limits.MAX_AMOUNT),
    "total": str(limits.MAX_AMOUNT),
    "gross": str(limits.MAX_AMOUNT),
    "tax": str(limits.MAX_AMOUNT),
    "amount": str(limits.MAX_AMOUNT),
    "tendered": str(limits.MAX_TENDERED),
    "tax_percent": str(limits.MAX_PERCENT),
    "percent": str(limits.MAX_PERCENT),
    "opened_at": EARLIEST,
    "booked_at": LATEST,
    "voided_at": LATEST,
    "closed_at": LATEST,
}


def at_the_edge(document: Any, padded: dict[str, str], key: str = "") -> Any:
    """``document`` with every text padded to its limit (the same text the same way, so an
    id still names what it named) and every number and moment at its edge."""
    if isinstance(document, dict):
        return {k: at_the_edge(v, padded, k) for k, v in document.items()}
    if isinstance(document, list):
        return [at_the_edge(v, padded, key) for v in document]
    if key in EDGES and document is not None:
        return EDGES[key]
    if isinstance(document, str) and key in TEXT_LIMITS and key not in FIXED:
        limit = TEXT_LIMITS[key]
        return padded.setdefault(document, (document + WIDE * limit)[:limit])
    return document


def a_day_at_the_edge(till: TillLog) -> list[dict[str, Any]]:
    """A table with two bookings, a void with its reason, a close: the log's operations
    with every field at its edge."""
    ticket = till.open(table=4)
    till.book(ticket)
    till.book(ticket)
    till.void(ticket, ticket.bookings[0].booking_id, reason="wrong item")
    till.close(ticket)
    operations = till.operations()
    padded: dict[str, str] = {}
    edged = [op | {"event": at_the_edge(op["event"], padded)} for op in operations]
    for op in edged:
        op["recorded_at"] = LATEST
    return edged


def push(server: TestClient, till: TillLog, operations: list[dict[str, Any]]) -> Any:
    return server.post(
        f"/api/v1/tills/{till.number}/operations", json=batch(operations), headers=till.auth
    )


def test_every_field_at_its_limit_is_kept_by_the_database(server: TestClient) -> None:
    till = register(server, 10)
    operations = a_day_at_the_edge(till)
    answer = push(server, till, operations)
    assert answer.status_code == 200, answer.text
    ticket_id = operations[0]["event"]["ticket_id"]
    assert len(ticket_id) == limits.MAX_ID_LENGTH
    assert ticket_id.endswith(WIDE)
    kept = server.get(f"/api/v1/tickets/{ticket_id}", headers=till.auth)
    assert kept.status_code == 200, kept.text
    first, second = kept.json()["bookings"]
    assert first["name"] == operations[1]["event"]["name"]  # 60 characters, four bytes each
    assert len(first["void_reason"]) == limits.MAX_REASON_LENGTH
    assert (second["quantity"], second["unit_price"]) == (999, "99999.99")
    assert kept.json()["table"] == limits.MAX_TABLE
    receipts = server.get("/api/v1/receipts?till_number=10", headers=ADMIN).json()
    assert [r["total"] for r in receipts] == ["99999.99"]


Beyond = Callable[[dict[str, Any]], None]


def longer(field: str) -> Beyond:
    def change(event: dict[str, Any]) -> None:
        event[field] = event[field] + "x"

    return change


def set_to(field: str, value: Any) -> Beyond:
    def change(event: dict[str, Any]) -> None:
        event[field] = value

    return change


# One step beyond each edge, in the event that carries it (0 opened, 1 booked, 3 voided,
# 4 closed), or in the operation itself.
BEYOND: dict[str, tuple[int, Beyond]] = {
    "ticket_id": (0, longer("ticket_id")),
    "booking_id": (1, longer("booking_id")),
    "name": (1, longer("name")),
    "plu": (1, longer("plu")),
    "reason": (3, longer("reason")),
    "name with NUL": (1, set_to("name", "Espresso\x00")),
    "quantity": (1, set_to("quantity", limits.MAX_QUANTITY + 1)),
    "quantity beyond BIGINT": (1, set_to("quantity", 2**63)),
    "table": (0, set_to("table", limits.MAX_TABLE + 1)),
    "operator_number beyond BIGINT": (0, set_to("operator_number", 2**64)),
    "unit_price": (1, set_to("unit_price", "100000.00")),
    "unit_price beyond NUMERIC": (1, set_to("unit_price", "1" + "0" * 40)),
    "unit_price with three places": (1, set_to("unit_price", "2.405")),
    "total": (4, set_to("total", "100000.00")),
    "opened_at": (0, set_to("opened_at", "1899-12-31T23:59:59+00:00")),
    "booked_at": (1, set_to("booked_at", "9000-01-01T00:00:01+00:00")),
}


@pytest.mark.parametrize("what", sorted(BEYOND))
def test_one_step_beyond_a_limit_is_refused_before_the_database(
    server: TestClient, what: str
) -> None:
    till = register(server, 10)
    operations = a_day_at_the_edge(till)
    at, change = BEYOND[what]
    change(operations[at]["event"])
    answer = push(server, till, operations)
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "INVALID_INPUT"
    assert server.get("/api/v1/tills/10/position", headers=till.auth).json()["applied_through"] == 0
    # The till mends nothing by sending it again: the same refusal, never a 500.
    again = push(server, till, operations)
    assert (again.status_code, again.json()["code"]) == (422, "INVALID_INPUT")


def test_a_recorded_time_beyond_the_calendar_is_refused(server: TestClient) -> None:
    till = register(server, 10)
    operations = a_day_at_the_edge(till)
    operations[2]["recorded_at"] = "9000-01-01T00:00:00-00:01"  # a minute past the edge
    answer = push(server, till, operations)
    assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_INPUT")
