"""Moves of lines reaching the server: flagged, never refused, when they touch a ticket the
server never saw or one already closed; each ticket rebuilt from its own events."""

from __future__ import annotations

from datetime import UTC, datetime

from autonom.domain import BookingsMovedIn, BookingsMovedOut, TicketStatus
from autonom.domain.events import BookingFacts, booking_facts
from autonom.server.domain import TicketFacts, findings, replay_ticket
from tests.unit.server.domain.test_findings import BOOKED, CLOSED, OPENED, codes_while_applying

LATER = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def moved_out(*booking_ids: str, ticket_id: str = "t1") -> BookingsMovedOut:
    return BookingsMovedOut(
        ticket_id=ticket_id,
        to_ticket_id="t2",
        booking_ids=booking_ids,
        operator_number=1,
        till_number=10,
        moved_at=LATER,
    )


def moved_in(ticket_id: str = "t1") -> BookingsMovedIn:
    return BookingsMovedIn(
        ticket_id=ticket_id,
        from_ticket_id="t0",
        bookings=(BookingFacts(**booking_facts(BOOKED)),),
        operator_number=1,
        till_number=10,
        moved_at=LATER,
    )


def test_a_move_between_known_open_tickets_raises_nothing() -> None:
    assert codes_while_applying(OPENED, BOOKED, moved_out("b1")) == [[], [], []]
    assert codes_while_applying(OPENED, moved_in(), moved_out("b1")) == [[], [], []]


def test_a_move_on_a_ticket_the_server_never_saw_is_flagged() -> None:
    assert codes_while_applying(moved_in()) == [["UNKNOWN_TICKET"]]
    assert codes_while_applying(moved_out("b1")) == [["UNKNOWN_TICKET"]]


def test_a_move_on_a_closed_ticket_is_flagged() -> None:
    found = codes_while_applying(OPENED, BOOKED, CLOSED, moved_out("b1"), moved_in())
    assert found[3:] == [["CHANGED_AFTER_CLOSE"], ["CHANGED_AFTER_CLOSE"]]


def test_moving_out_lines_the_ticket_does_not_hold_is_flagged_by_name() -> None:
    ticket = TicketFacts()
    for event in (OPENED, BOOKED, moved_out("b1")):
        ticket.note(event)
    (finding,) = findings(ticket, moved_out("b1", "b7"), receipt_number_used=False)
    assert finding.code == "UNKNOWN_BOOKING"
    assert "b1, b7" in finding.message


def test_each_ticket_of_a_move_is_rebuilt_from_its_own_events() -> None:
    source = replay_ticket([OPENED, BOOKED, moved_out("b1")])
    target = replay_ticket([moved_in("t2")])  # its opening never arrived: a stand-in
    assert (source.status, source.bookings) == (TicketStatus.MOVED, [])
    assert target.status is TicketStatus.OPEN
    assert target.opened_at == LATER
    assert [(b.booking_id, b.offline, b.till_number) for b in target.bookings] == [("b1", True, 10)]
