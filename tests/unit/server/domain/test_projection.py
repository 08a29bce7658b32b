"""A ticket is rebuilt from the operations the server holds, whatever order they came in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from autonom.domain import BookingAdded, TicketOpened, TicketStatus
from autonom.server.domain import replay_ticket

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def booking(booking_id: str, till: int) -> BookingAdded:
    return BookingAdded(
        ticket_id="t1",
        booking_id=booking_id,
        plu="100",
        name="Espresso",
        quantity=1,
        unit_price=Decimal("2.40"),
        tax_code="A",
        tax_percent=Decimal("19.00"),
        operator_number=2,
        till_number=till,
        booked_at=AT + timedelta(minutes=1),
        offline=True,
    )


OPENED = TicketOpened(
    ticket_id="t1", till_number=10, table=5, operator_number=1, opened_at=AT, offline=False
)


def test_booking_that_arrived_before_the_opening_is_merged_under_it() -> None:
    # Till 11 pushed its booking before till 10's opening reached the server.
    ticket = replay_ticket([booking("b1", till=11), OPENED, booking("b2", till=10)])
    assert (ticket.till_number, ticket.table, ticket.owner) == (10, 5, 1)
    assert [b.booking_id for b in ticket.bookings] == ["b1", "b2"]
    assert ticket.total == Decimal("4.80")


def test_ticket_never_opened_gets_a_stand_in_opening() -> None:
    ticket = replay_ticket([booking("b1", till=11)])
    assert (ticket.till_number, ticket.table, ticket.owner) == (11, None, 2)
    assert ticket.offline
    assert ticket.status is TicketStatus.OPEN
    assert ticket.opened_at == AT + timedelta(minutes=1)


def test_same_booking_twice_counts_once() -> None:
    ticket = replay_ticket([OPENED, booking("b1", till=10), booking("b1", till=10)])
    assert len(ticket.bookings) == 1
