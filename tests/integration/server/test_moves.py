"""A till splits a bill and transfers tables, then pushes its log: the server's tickets are
the till's (each rebuilt from its own events), every moved line is on exactly one ticket,
and a move that does not fit what the server knows is flagged, never refused. On SQLite
and on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autonom.contracts import TicketPublic
from autonom.domain import BookingsMovedIn, BookingsMovedOut, PaymentMethod, Ticket
from autonom.domain.events import BookingFacts, booking_facts
from autonom.server.domain import follow_up_id
from autonom.till.adapters.outbox import Outbox
from autonom.till.bootstrap import Till
from autonom.till.service_layer.commands import Tendered
from tests.integration.server.till_log import ADMIN, CAKE, TillLog, push, register
from tests.integration.till.conftest import ANNA, make_till


@pytest.fixture
def till(tmp_path: Path) -> Any:
    """Till 10 on a real SQLite file; its server link is never used (its log is pushed by
    the test, as its uploader would)."""
    made = make_till(tmp_path / "till-10")
    yield made
    made.stop()


def logged_operations(till: Till) -> list[dict[str, Any]]:
    """Everything the till logged, as its uploader pushes it."""
    with till.unit_of_work() as uow:
        operations = Outbox(uow.connection).next_batch(10_000)
    return [op.model_dump(mode="json") for op in operations]


def server_tickets(server: TestClient) -> dict[str, dict[str, Any]]:
    answer = server.get("/api/v1/tickets", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {t["ticket_id"]: t for t in answer.json()}


def as_the_till_holds_it(ticket: Ticket) -> tuple[object, ...]:
    return (
        ticket.status.value,
        ticket.table,
        [(b.booking_id, b.till_number, b.offline, b.void_reason) for b in ticket.bookings],
        f"{ticket.receipt.total if ticket.receipt else ticket.total:.2f}",
    )


def as_the_server_holds_it(ticket: dict[str, Any]) -> tuple[object, ...]:
    return (
        ticket["status"],
        ticket["table"],
        [
            (b["booking_id"], b["till_number"], b["offline"], b["void_reason"])
            for b in ticket["bookings"]
        ],
        ticket["total"],
    )


def test_a_split_and_transfers_pushed_leave_the_server_with_the_tills_tickets(
    server: TestClient, till: Till
) -> None:
    log = register(server, 10)
    selling = till.selling
    five = selling.open_ticket(ANNA, 5).ticket_id
    for plu in ("100", "200", "102", "100"):
        selling.book(ANNA, five, plu, 1)
    seven = selling.open_ticket(ANNA, 7).ticket_id
    selling.book(ANNA, seven, "200", 1)
    espresso, croissant, cappuccino, second = (b.booking_id for b in selling.ticket(five).bookings)
    selling.void(ANNA, five, second, "entered twice")
    push(server, log, logged_operations(till))  # the tables as they were, then the moves

    split = selling.split_bill(ANNA, five, [croissant], [Tendered(PaymentMethod.CASH)])
    selling.transfer(ANNA, five, [cappuccino], 7)  # onto table 7's open ticket
    nine = selling.transfer(ANNA, five, None, 9)  # the rest of table 5 to a free table
    operations = logged_operations(till)
    answer = push(server, log, operations)
    assert answer.status_code == 200, answer.text
    again = push(server, log, operations)  # the answer was lost: sent again, applied once
    assert again.json()["applied"] == 0

    on_server = server_tickets(server)
    on_till = {t: selling.ticket(t) for t in (five, seven, split.receipt.ticket_id, nine.ticket_id)}
    assert set(on_server) == set(on_till)
    for ticket_id, ticket in on_till.items():
        assert as_the_server_holds_it(on_server[ticket_id]) == as_the_till_holds_it(ticket)
    assert on_server[five]["status"] == "moved"
    assert [b["booking_id"] for b in on_server[five]["bookings"]] == [second]  # the void stays
    assert [b["booking_id"] for b in on_server[nine.ticket_id]["bookings"]] == [espresso]
    lines = Counter(b["booking_id"] for t in on_server.values() for b in t["bookings"])
    assert set(lines.values()) == {1}  # every line on exactly one ticket
    assert len(lines) == 5
    open_five = server.get("/api/v1/tickets", params={"status": "open", "table": 5}, headers=ADMIN)
    assert open_five.json() == []
    receipts = server.get("/api/v1/receipts", headers=ADMIN).json()
    assert [(r["ticket_id"], r["total"]) for r in receipts] == [(split.receipt.ticket_id, "1.90")]
    assert server.get("/api/v1/flags", headers=ADMIN).json() == []


def test_a_move_cut_in_two_batches_is_whole_once_both_arrive(
    server: TestClient, till: Till
) -> None:
    log = register(server, 10)
    five = till.selling.open_ticket(ANNA, 5).ticket_id
    till.selling.book(ANNA, five, "100", 1)
    eight = till.selling.transfer(ANNA, five, None, 8).ticket_id
    operations = logged_operations(till)
    *before, moved_in = operations  # the batch ended between the move's two events

    push(server, log, before)
    assert server_tickets(server)[five]["bookings"] == []
    assert server_tickets(server)[eight]["bookings"] == []
    push(server, log, [moved_in])
    tickets = server_tickets(server)
    assert tickets[five]["status"] == "moved"
    assert [b["plu"] for b in tickets[eight]["bookings"]] == ["100"]
    assert tickets[eight]["total"] == "2.40"


def test_moves_the_server_cannot_place_are_kept_and_flagged(server: TestClient) -> None:
    """A log that moves lines out of a ticket the server never saw, and into one already
    closed (a till's broken log): applied all the same, each with a flag."""
    log: TillLog = register(server, 10)
    paid = log.sale(table=4, items=1)
    target = log.open(table=2)
    line = BookingFacts(**booking_facts(paid.bookings[0]))
    common: dict[str, Any] = {"operator_number": 1, "till_number": 10, "moved_at": log.now}
    log.pending += [
        BookingsMovedOut(
            ticket_id="never-seen",
            to_ticket_id=target.ticket_id,
            booking_ids=("b-ghost",),
            **common,
        ),
        BookingsMovedIn(
            ticket_id=target.ticket_id,
            from_ticket_id="never-seen",
            bookings=(replace(line, booking_id="b-ghost"),),
            **common,
        ),
        BookingsMovedIn(
            ticket_id=paid.ticket_id,
            from_ticket_id=target.ticket_id,
            bookings=(replace(line, booking_id="b-late"),),
            **common,
        ),
    ]

    answer = push(server, log, log.operations())

    assert answer.status_code == 200, answer.text
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    follow_up = follow_up_id(paid.ticket_id)
    assert sorted((f["code"], f["ticket_id"]) for f in flags) == [
        ("FOLLOW_UP_TICKET", follow_up),
        ("UNKNOWN_TICKET", "never-seen"),
    ]
    tickets = server_tickets(server)
    assert [b["booking_id"] for b in tickets[target.ticket_id]["bookings"]] == ["b-ghost"]
    assert tickets[paid.ticket_id]["status"] == "closed"
    # The line moved onto the paid ticket waits, unpaid, on its follow-up (R3.2).
    assert "b-late" not in [b["booking_id"] for b in tickets[paid.ticket_id]["bookings"]]
    assert [b["booking_id"] for b in tickets[follow_up]["bookings"]] == ["b-late"]
    assert (tickets[follow_up]["status"], tickets[follow_up]["table"]) == ("open", 4)
    assert tickets[follow_up]["follows"] == paid.ticket_id
    assert tickets["never-seen"]["table"] is None


def test_a_till_moves_a_shared_table_with_another_tills_lines(server: TestClient) -> None:
    """Live mode: till 11 adopted table 5 from till 10 and moves it, till 10's line with it."""
    till_10, till_11 = register(server, 10), register(server, 11)
    five = till_10.book(till_10.open(table=5))
    assert push(server, till_10, till_10.operations()).status_code == 200
    shared = TicketPublic.model_validate(
        server.get(f"/api/v1/tickets/{five.ticket_id}", headers=till_11.auth).json()
    )
    adopted = till_11.adopt(shared)
    till_11.book(adopted, CAKE)
    six = till_11.open(table=6)
    adopted.move_to(six, None, operator_number=2, till_number=11, at=till_11.now)
    till_11.pending.extend([*adopted.events, *six.events])

    answer = push(server, till_11, till_11.operations())

    assert answer.status_code == 200, answer.text
    tickets = server_tickets(server)
    assert tickets[five.ticket_id]["status"] == "moved"
    assert tickets[five.ticket_id]["bookings"] == []
    assert [(b["plu"], b["till_number"]) for b in tickets[six.ticket_id]["bookings"]] == [
        ("100", 10),
        ("200", 11),
    ]
    assert tickets[six.ticket_id]["total"] == "6.60"
    assert server.get("/api/v1/flags", headers=ADMIN).json() == []
