"""Tickets: booking, voiding with a reason, paying cash or card, closing into a receipt."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TypedDict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonom.domain import (
    Item,
    NumberRange,
    PaymentMethod,
    Refusal,
    TaxRate,
    Tender,
    Ticket,
    TicketStatus,
    errors,
)

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
STANDARD = TaxRate("A", Decimal("19"), "standard")
REDUCED = TaxRate("B", Decimal("7"), "reduced")
ESPRESSO = Item("100", "Espresso", Decimal("2.40"), "A")
CROISSANT = Item("200", "Croissant", Decimal("1.90"), "B")
RATES = {"A": STANDARD, "B": REDUCED}


def new_ticket(table: int | None = None) -> Ticket:
    return Ticket.open(ticket_id="t-1", table=table, till_number=10, operator_number=1, at=AT)


def book(ticket: Ticket, item: Item, quantity: int = 1, booking_id: str | None = None) -> str:
    booking = ticket.book(
        item,
        RATES[item.tax_code],
        quantity,
        booking_id=booking_id or f"b-{len(ticket.bookings) + 1}",
        operator_number=1,
        till_number=10,
        at=AT,
    )
    return booking.booking_id


def close(ticket: Ticket, *tenders: Tender, number_range: NumberRange | None = None) -> object:
    return ticket.close(
        tenders,
        (number_range or NumberRange(10, 1)).issue(),
        operator_number=1,
        till_number=10,
        at=AT,
    )


def cash(amount: str) -> Tender:
    return Tender(PaymentMethod.CASH, Decimal(amount))


def card(amount: str) -> Tender:
    return Tender(PaymentMethod.CARD, Decimal(amount))


def test_a_table_ticket_books_two_items_and_pays_cash_with_change() -> None:
    ticket = new_ticket(table=5)
    book(ticket, ESPRESSO, 2)
    book(ticket, CROISSANT)
    receipt = ticket.close(
        [cash("10.00")], NumberRange(10, 1, 4).issue(), operator_number=1, till_number=10, at=AT
    )
    assert receipt.number == "10000005-01"
    assert receipt.table == 5
    assert receipt.total == Decimal("6.70")
    assert receipt.change == Decimal("3.30")
    assert [(t.code, t.gross, t.tax) for t in receipt.taxes] == [
        ("A", Decimal("4.80"), Decimal("0.77")),
        ("B", Decimal("1.90"), Decimal("0.12")),
    ]
    assert ticket.status is TicketStatus.CLOSED


def test_a_voided_line_is_not_paid_and_keeps_its_reason() -> None:
    ticket = new_ticket()
    keep = book(ticket, ESPRESSO)
    wrong = book(ticket, CROISSANT)
    ticket.void(wrong, "  customer changed mind ", operator_number=2, till_number=10, at=AT)
    receipt = ticket.close([card("2.40")], NumberRange(10, 1).issue(), **_who())
    assert [b.booking_id for b in receipt.lines] == [keep]
    assert receipt.voided_lines[0].void_reason == "customer changed mind"
    assert receipt.voided_lines[0].voided_by == 2
    assert receipt.total == Decimal("2.40")


class Who(TypedDict):
    operator_number: int
    till_number: int
    at: datetime


def _who() -> Who:
    return {"operator_number": 1, "till_number": 10, "at": AT}


@pytest.mark.parametrize("quantity", [0, -1, 1000, 10**9])
def test_absurd_quantities_are_refused(quantity: int) -> None:
    ticket = new_ticket()
    with pytest.raises(Refusal) as refusal:
        book(ticket, ESPRESSO, quantity)
    assert refusal.value.code == errors.BAD_QUANTITY
    assert ticket.bookings == []
    assert ticket.events[-1].kind == "ticket_opened"


def test_a_void_needs_a_reason_and_happens_once() -> None:
    ticket = new_ticket()
    line = book(ticket, ESPRESSO)
    with pytest.raises(Refusal) as missing:
        ticket.void(line, "  ", **_who())
    assert missing.value.code == errors.VOID_REASON_MISSING
    ticket.void(line, "wrong item", **_who())
    with pytest.raises(Refusal) as twice:
        ticket.void(line, "again", **_who())
    assert twice.value.code == errors.ALREADY_VOIDED


@pytest.mark.parametrize(
    ("tenders", "code"),
    [
        ([cash("4.00")], errors.UNDERPAID),
        ([card("5.00")], errors.CARD_OVERPAID),
        ([card("1.00"), cash("1.00")], errors.UNDERPAID),
        ([], errors.UNDERPAID),
    ],
)
def test_payments_that_do_not_settle_are_refused_and_leave_the_ticket_open(
    tenders: list[Tender], code: str
) -> None:
    ticket = new_ticket()
    book(ticket, ESPRESSO, 2)
    with pytest.raises(Refusal) as refusal:
        close(ticket, *tenders)
    assert refusal.value.code == code
    assert ticket.status is TicketStatus.OPEN


def test_card_and_cash_split_gives_change_only_from_cash() -> None:
    ticket = new_ticket()
    book(ticket, ESPRESSO, 2)
    receipt = ticket.close([card("3.00"), cash("5.00")], NumberRange(10, 1).issue(), **_who())
    assert [(p.method, p.amount, p.tendered) for p in receipt.payments] == [
        (PaymentMethod.CARD, Decimal("3.00"), Decimal("3.00")),
        (PaymentMethod.CASH, Decimal("1.80"), Decimal("5.00")),
    ]
    assert receipt.change == Decimal("3.20")


def test_a_closed_ticket_refuses_more_bookings_and_a_second_close() -> None:
    ticket = new_ticket()
    book(ticket, ESPRESSO)
    close(ticket, cash("2.40"))
    with pytest.raises(Refusal) as booking:
        book(ticket, ESPRESSO)
    with pytest.raises(Refusal) as second:
        close(ticket, cash("2.40"))
    assert booking.value.code == second.value.code == errors.TICKET_CLOSED


def test_an_empty_ticket_cannot_be_paid() -> None:
    with pytest.raises(Refusal) as refusal:
        close(new_ticket(), cash("1.00"))
    assert refusal.value.code == errors.TICKET_EMPTY


def test_replaying_the_events_rebuilds_the_same_receipt() -> None:
    ticket = new_ticket(table=3)
    book(ticket, ESPRESSO, 3)
    line = book(ticket, CROISSANT)
    ticket.void(line, "dropped", **_who())
    close(ticket, cash("20.00"))
    assert Ticket.replay(ticket.events).receipt == ticket.receipt


def test_the_same_booking_applied_twice_counts_once() -> None:
    ticket = new_ticket()
    book(ticket, ESPRESSO, booking_id="same")
    ticket.apply(ticket.events[-1])
    assert len(ticket.bookings) == 1


lines = st.lists(
    st.tuples(st.sampled_from([ESPRESSO, CROISSANT]), st.integers(1, 20), st.booleans()),
    min_size=1,
    max_size=30,
)


@given(lines)
def test_totals_equal_the_sum_of_the_live_lines_and_taxes_add_up(
    booked: list[tuple[Item, int, bool]],
) -> None:
    ticket = new_ticket()
    for item, quantity, voided in booked:
        line = book(ticket, item, quantity)
        if voided:
            ticket.void(line, "test", **_who())
    expected = sum(
        (item.price * quantity for item, quantity, voided in booked if not voided), Decimal(0)
    )
    assert ticket.total == expected
    assert sum((t.gross for t in ticket.taxes()), Decimal(0)) == expected
    for tax in ticket.taxes():
        assert tax.net + tax.tax == tax.gross
