"""Event tickets need the server (R2.4, R2.6): a till holds the seats of a booking before it
writes it, never beyond the event's capacity, also with many tills at once (threads on the
real SQLite and PostgreSQL); the ticket's receipt sells the seats of its lines and frees
the others; with ticketing marked down no seat is held."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.contracts.server_functions import SeatsIn
from autonom.domain import Item, ItemKind, Refusal, errors
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.service_layer import server_functions
from tests.integration.server.till_log import ADMIN, TillLog, push, register, seed_master_data

CONCERT = Item(
    plu="850", name="Concert seat", price=Decimal("35.00"), tax_code="A", kind=ItemKind.EVENT_TICKET
)


def concert(server: TestClient, capacity: int) -> None:
    seed_master_data(server)
    item = {"name": CONCERT.name, "price": "35.00", "tax_code": "A", "kind": "event_ticket"}
    assert server.put("/api/v1/items/850", json=item, headers=ADMIN).status_code == 200
    answer = server.put("/api/v1/events/850", json={"capacity": capacity}, headers=ADMIN)
    assert answer.status_code == 200, answer.text


def hold(server: TestClient, till: TillLog, ticket_id: str, booking_id: str, seats: int = 1) -> Any:
    body = {"booking_id": booking_id, "ticket_id": ticket_id, "seats": seats}
    return server.post("/api/v1/events/850/seats", json=body, headers=till.auth)


def event(server: TestClient) -> dict[str, int]:
    answer = server.get("/api/v1/events/850", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found: dict[str, int] = answer.json()
    return found


def test_seats_are_held_up_to_the_capacity_and_once_per_booking(server: TestClient) -> None:
    concert(server, capacity=3)
    till = register(server, 10)

    first = hold(server, till, "t1", "b1", seats=2)
    again = hold(server, till, "t1", "b1", seats=2)  # the answer was lost
    too_many = hold(server, till, "t2", "b2", seats=2)
    last = hold(server, till, "t2", "b3")
    none_left = hold(server, till, "t3", "b4")

    assert first.status_code == again.status_code == 200, first.text
    assert first.json() == again.json() == {"booking_id": "b1", "plu": "850", "seats": 2, "left": 1}
    assert (too_many.status_code, too_many.json()["code"]) == (409, errors.EVENT_SOLD_OUT)
    assert too_many.json()["detail"] == {"left": 1}
    assert last.json()["left"] == 0
    assert none_left.json()["code"] == errors.EVENT_SOLD_OUT
    assert "Sold out" in none_left.json()["message"]
    assert event(server) == {"plu": "850", "capacity": 3, "sold": 3, "left": 0}
    conflict = hold(server, till, "t9", "b1", seats=2)
    assert (conflict.status_code, conflict.json()["code"]) == (409, errors.SEATS_CONFLICT)


def test_the_receipt_sells_the_seats_of_its_lines_and_frees_the_others(server: TestClient) -> None:
    concert(server, capacity=10)
    till = register(server, 10)
    ticket = till.open()
    assert hold(server, till, ticket.ticket_id, "b-kept", seats=2).status_code == 200
    assert hold(server, till, ticket.ticket_id, "b-voided").status_code == 200
    assert hold(server, till, ticket.ticket_id, "b-never-written").status_code == 200  # a crash
    till.book(ticket, CONCERT, 2, booking_id="b-kept")
    till.book(ticket, CONCERT, 1, booking_id="b-voided")
    till.void(ticket, "b-voided")
    assert event(server)["sold"] == 4

    till.close(ticket)
    assert push(server, till, till.operations()).status_code == 200

    assert event(server) == {"plu": "850", "capacity": 10, "sold": 2, "left": 8}


def test_many_tills_taking_the_last_seats_at_once_never_oversell(server: TestClient) -> None:
    concert(server, capacity=5)
    for number in range(10, 22):
        register(server, number)
    engine = server.app.state.context.engine  # type: ignore[attr-defined]
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def till_holds(till_number: int) -> None:
        request = SeatsIn(booking_id=str(uuid.uuid4()), ticket_id=f"t-{till_number}", seats=1)
        start.wait()
        try:
            server_functions.hold_seats(
                uow=SqlUnitOfWork(engine, 1),
                till_number=till_number,
                plu="850",
                request=request,
                now=datetime.now(UTC),
            )
            outcomes.append("held")
        except Refusal as refusal:
            outcomes.append(refusal.code)

    threads = [threading.Thread(target=till_holds, args=(n,)) for n in range(10, 22)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == [errors.EVENT_SOLD_OUT] * 7 + ["held"] * 5
    assert event(server) == {"plu": "850", "capacity": 5, "sold": 5, "left": 0}


def test_no_seat_is_held_while_ticketing_is_down_or_for_an_item_without_seats(
    server: TestClient,
) -> None:
    concert(server, capacity=5)
    till = register(server, 10)
    server.put("/api/v1/backends/ticketing", json={"up": False, "reason": "update"}, headers=ADMIN)
    down = hold(server, till, "t1", "b1")
    assert (down.status_code, down.json()["code"]) == (409, errors.EVENT_TICKET_OFFLINE)
    server.put("/api/v1/backends/ticketing", json={"up": True}, headers=ADMIN)
    assert hold(server, till, "t1", "b1").status_code == 200

    espresso = server.post(
        "/api/v1/events/100/seats",
        json={"booking_id": "b2", "ticket_id": "t1", "seats": 1},
        headers=till.auth,
    )
    assert (espresso.status_code, espresso.json()["code"]) == (404, errors.EVENT_UNKNOWN)
    no_event = server.put("/api/v1/events/100", json={"capacity": 5}, headers=ADMIN)
    assert (no_event.status_code, no_event.json()["code"]) == (422, errors.EVENT_UNKNOWN)
    for body in ({"capacity": -1}, {"capacity": "5"}, {"capacity": 1_000_001}):
        answer = server.put("/api/v1/events/850", json=body, headers=ADMIN)
        assert (answer.status_code, answer.json()["code"]) == (422, errors.INVALID_INPUT), body
    by_till = server.put("/api/v1/events/850", json={"capacity": 9}, headers=till.auth)
    assert by_till.status_code == 401
    assert event(server)["capacity"] == 5


def test_a_seat_moved_to_another_ticket_is_sold_by_that_tickets_receipt(
    server: TestClient,
) -> None:
    concert(server, capacity=10)
    till = register(server, 10)
    table = till.open(table=4)
    assert hold(server, till, table.ticket_id, "b-seat").status_code == 200
    till.book(table, CONCERT, 1, booking_id="b-seat")
    till.book(table)  # an espresso stays on the table
    split = till.open()
    till.move(table, split, ["b-seat"])  # the guest with the seat pays on her own

    till.close(table)  # the table's receipt has no seat: it must not free the moved one
    till.close(split)
    assert push(server, till, till.operations()).status_code == 200

    assert event(server)["sold"] == 1
