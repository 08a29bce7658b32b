"""What the server flags for a person while it applies a push, judged without a database
from what it knows of the ticket (invariant 6: the event is applied all the same)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from autonom.domain import BookingAdded, BookingVoided, Event, TicketClosed, TicketOpened
from autonom.server.domain import TicketFacts, findings

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OPENED = TicketOpened(
    ticket_id="t1", till_number=10, table=4, operator_number=1, opened_at=AT, offline=False
)
BOOKED = BookingAdded(
    ticket_id="t1",
    booking_id="b1",
    plu="100",
    name="Espresso",
    quantity=2,
    unit_price=Decimal("2.40"),
    tax_code="A",
    tax_percent=Decimal("19.00"),
    operator_number=1,
    till_number=10,
    booked_at=AT,
    offline=True,
)
CLOSED = TicketClosed(
    ticket_id="t1",
    receipt_number="R010-000001",
    till_number=10,
    operator_number=1,
    closed_at=AT,
    total=Decimal("4.80"),
    taxes=(),
    payments=(),
    offline=True,
)


def voided(booking_id: str) -> BookingVoided:
    return BookingVoided(
        ticket_id="t1",
        booking_id=booking_id,
        reason="wrong item",
        operator_number=1,
        till_number=10,
        voided_at=AT,
    )


def codes_while_applying(*events: Event, reused: bool = False) -> list[list[str]]:
    """The codes found for each event in turn, as the push judges a batch."""
    ticket = TicketFacts()
    found = []
    for event in events:
        codes = findings(ticket, event, receipt_number_used=reused)
        found.append([f.code for f in codes])
        ticket.note(event)
    return found


def test_a_normal_sale_raises_nothing() -> None:
    assert codes_while_applying(OPENED, BOOKED, voided("b1"), CLOSED) == [[], [], [], []]


def test_a_booking_on_a_ticket_never_seen_opened_is_flagged_once() -> None:
    assert codes_while_applying(BOOKED, CLOSED) == [["UNKNOWN_TICKET"], []]


def test_closing_twice_and_changing_after_the_close_are_flagged() -> None:
    found = codes_while_applying(OPENED, BOOKED, CLOSED, CLOSED, voided("b1"))
    assert found[3:] == [["TICKET_CLOSED_TWICE"], ["CHANGED_AFTER_CLOSE"]]


def test_a_void_of_a_booking_not_on_the_ticket_is_flagged() -> None:
    assert codes_while_applying(OPENED, voided("b9")) == [[], ["UNKNOWN_BOOKING"]]


def test_a_reused_receipt_number_is_flagged_and_the_message_names_it() -> None:
    ticket = TicketFacts(known=True)
    (finding,) = findings(ticket, CLOSED, receipt_number_used=True)
    assert finding.code == "RECEIPT_NUMBER_REUSED"
    assert "R010-000001" in finding.message
