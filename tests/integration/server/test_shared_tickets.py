"""Shared tickets (tables) in live mode: what one till pushes, another till reads, and a
ticket several tills worked on is merged by replaying their operations in apply order."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient

from autonom.contracts import TicketPublic
from tests.integration.server.till_log import ADMIN, CAKE, push, register


def open_tickets_of_table(
    server: TestClient, table: int, auth: dict[str, str]
) -> list[TicketPublic]:
    answer = server.get("/api/v1/tickets", params={"status": "open", "table": table}, headers=auth)
    assert answer.status_code == 200, answer.text
    return [TicketPublic.model_validate(t) for t in answer.json()]


def test_ticket_pushed_by_one_till_is_visible_to_another_by_table(server: TestClient) -> None:
    till_10 = register(server, 10)
    till_11 = register(server, 11)
    ticket = till_10.open(table=5, operator=2)
    till_10.book(ticket, quantity=2)
    till_10.open(table=6)
    assert push(server, till_10, till_10.operations()).status_code == 200

    [shared] = open_tickets_of_table(server, 5, till_11.auth)
    assert shared.ticket_id == ticket.ticket_id
    assert (shared.table, shared.till_number, shared.owner) == (5, 10, 2)
    assert shared.total == Decimal("4.80")
    assert [(b.plu, b.quantity, b.till_number) for b in shared.bookings] == [("100", 2, 10)]
    assert open_tickets_of_table(server, 7, till_11.auth) == []


def test_table_worked_on_by_two_tills_is_merged(server: TestClient) -> None:
    till_10 = register(server, 10)
    till_11 = register(server, 11)
    ticket = till_10.open(table=5)
    till_10.book(ticket)
    push(server, till_10, till_10.operations())

    [shared] = open_tickets_of_table(server, 5, till_11.auth)
    adopted = till_11.adopt(shared)
    till_11.book(adopted, CAKE)
    first_booking = shared.bookings[0].booking_id
    till_11.close(adopted)
    assert push(server, till_11, till_11.operations()).status_code == 200

    merged = server.get(f"/api/v1/tickets/{ticket.ticket_id}", headers=till_10.auth).json()
    assert merged["status"] == "closed"
    assert merged["receipt_number"] == "11000001-01"
    assert merged["total"] == "6.60"
    assert [(b["plu"], b["till_number"]) for b in merged["bookings"]] == [("100", 10), ("200", 11)]
    assert merged["bookings"][0]["booking_id"] == first_booking
    assert open_tickets_of_table(server, 5, till_10.auth) == []
    receipts = server.get("/api/v1/receipts", params={"till_number": 11}, headers=ADMIN).json()
    assert [(r["number"], r["ticket_id"]) for r in receipts] == [("11000001-01", ticket.ticket_id)]


def test_void_from_the_table_owner_shows_on_the_shared_ticket(server: TestClient) -> None:
    till = register(server, 10)
    ticket = till.open(table=8)
    till.book(ticket)
    till.book(ticket, CAKE)
    ticket.void(
        ticket.bookings[0].booking_id,
        "guest changed mind",
        operator_number=1,
        till_number=10,
        at=till.now,
    )
    till.pending.extend(ticket.events)
    ticket.events.clear()
    push(server, till, till.operations())
    [shared] = open_tickets_of_table(server, 8, till.auth)
    assert [b.void_reason for b in shared.bookings] == ["guest changed mind", None]
    assert shared.total == Decimal("4.20")


def test_tickets_need_a_credential(server: TestClient) -> None:
    answer = server.get("/api/v1/tickets", params={"table": 5})
    assert answer.status_code == 401
    assert server.get("/api/v1/tickets/nope", headers=ADMIN).json()["code"] == "TICKET_NOT_FOUND"
