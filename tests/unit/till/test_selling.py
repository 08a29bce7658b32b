"""A cashier sells on the till: open, book, void, pay, and every refusal on the way."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from autonom.domain import Form, PaymentMethod, Receipt, Refusal, TicketStatus, errors
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    LogIn,
    OpenTicket,
    Tendered,
    VoidBooking,
)
from tests.unit.till.conftest import ANNA, ANNA_PIN, TillUnderTest
from tests.unit.till.fakes import LIVE


def pay(till: TillUnderTest, ticket_id: str, cash: str) -> Receipt:
    """Close the ticket with ``cash`` typed, in live mode."""
    tendered = (Tendered(PaymentMethod.CASH, cash),)
    return handlers.close_ticket(CloseTicket(ticket_id, tendered, ANNA), till.uow(), mode=LIVE)


def test_cashier_books_voids_and_closes_a_ticket_into_a_numbered_receipt(
    till: TillUnderTest,
) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=4, operator_number=ANNA), till.uow())
    espresso = handlers.add_booking(AddBooking(ticket.ticket_id, "100", 2, ANNA), till.uow())
    croissant = handlers.add_booking(AddBooking(ticket.ticket_id, "200", 1, ANNA), till.uow())
    handlers.void_booking(
        VoidBooking(ticket.ticket_id, croissant.booking_id, "guest changed mind", ANNA), till.uow()
    )

    receipt = pay(till, ticket.ticket_id, "10.00")

    assert receipt.number == "10000001-01"
    assert receipt.total == Decimal("4.80")
    assert receipt.change == Decimal("5.20")
    assert [b.booking_id for b in receipt.lines] == [espresso.booking_id]
    assert [b.void_reason for b in receipt.voided_lines] == ["guest changed mind"]
    with till.uow() as uow:
        stored = uow.tickets.get(ticket.ticket_id)
        assert stored.status is TicketStatus.CLOSED
        assert stored.table == 4
        assert uow.receipts.get("10000001-01") == receipt


def test_a_table_already_open_on_this_till_is_reopened_not_duplicated(
    till: TillUnderTest,
) -> None:
    first = handlers.open_ticket(OpenTicket(table=7, operator_number=ANNA), till.uow())
    again = handlers.open_ticket(OpenTicket(table=7, operator_number=ANNA), till.uow())
    assert again.ticket_id == first.ticket_id


def test_operator_logs_in_with_the_right_pin_only(till: TillUnderTest) -> None:
    assert handlers.log_in(LogIn(ANNA, ANNA_PIN), till.uow()).name == "Anna"
    with pytest.raises(Refusal) as refused:
        handlers.log_in(LogIn(ANNA, "1112"), till.uow())
    assert (refused.value.code, refused.value.status) == (errors.WRONG_PIN, 401)
    with pytest.raises(Refusal) as unknown:
        handlers.log_in(LogIn(42, ANNA_PIN), till.uow())
    assert unknown.value.code == errors.UNKNOWN_OPERATOR


def test_booking_an_unknown_or_withdrawn_item_is_refused(till: TillUnderTest) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    for plu in ("999", "300"):
        with pytest.raises(Refusal) as refused:
            handlers.add_booking(AddBooking(ticket.ticket_id, plu, 1, ANNA), till.uow())
        assert refused.value.code == errors.UNKNOWN_ITEM
    with till.uow() as uow:
        assert uow.tickets.get(ticket.ticket_id).bookings == []


@pytest.mark.parametrize("quantity", [0, -1, 1000, 10**9])
def test_an_absurd_quantity_is_refused_and_nothing_is_booked(
    till: TillUnderTest, quantity: int
) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    with pytest.raises(Refusal) as refused:
        handlers.add_booking(AddBooking(ticket.ticket_id, "100", quantity, ANNA), till.uow())
    assert refused.value.code == errors.BAD_QUANTITY
    with till.uow() as uow:
        assert uow.tickets.get(ticket.ticket_id).bookings == []


def test_closing_a_ticket_twice_is_refused_and_uses_no_second_number(
    till: TillUnderTest,
) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), till.uow())
    pay(till, ticket.ticket_id, "5.00")

    with pytest.raises(Refusal) as refused:
        pay(till, ticket.ticket_id, "5.00")

    assert (refused.value.code, refused.value.status) == (errors.TICKET_CLOSED, 409)
    assert till.sell("100").number == "10000002-01"


def test_an_underpaid_or_empty_ticket_is_refused_and_uses_no_number(
    till: TillUnderTest,
) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    with pytest.raises(Refusal) as empty:
        pay(till, ticket.ticket_id, "5.00")
    handlers.add_booking(AddBooking(ticket.ticket_id, "101", 1, ANNA), till.uow())
    with pytest.raises(Refusal) as underpaid:
        pay(till, ticket.ticket_id, "3.00")

    assert (empty.value.code, underpaid.value.code) == (errors.TICKET_EMPTY, errors.UNDERPAID)
    receipt = pay(till, ticket.ticket_id, "3.20")
    assert receipt.number == "10000001-01"


def test_a_command_by_an_unknown_operator_is_refused(till: TillUnderTest) -> None:
    with pytest.raises(Refusal) as refused:
        handlers.open_ticket(OpenTicket(table=None, operator_number=77), till.uow())
    assert refused.value.code == errors.UNKNOWN_OPERATOR


def test_an_unknown_ticket_is_refused(till: TillUnderTest) -> None:
    with pytest.raises(Refusal) as refused:
        handlers.add_booking(AddBooking("no-such-ticket", "100", 1, ANNA), till.uow())
    assert (refused.value.code, refused.value.status) == (errors.TICKET_NOT_FOUND, 404)


def test_receipts_in_emergency_mode_use_their_own_range_and_carry_the_offline_mark(
    till: TillUnderTest,
) -> None:
    live = till.sell("100")
    offline = till.sell("100", offline=True)
    assert (live.number, offline.number) == ("10000001-01", "10000001-02")
    assert (live.offline, offline.offline) == (False, True)
    assert all(b.offline for b in offline.lines)
    with till.uow() as uow:
        assert uow.receipts.numbers(Form.EMERGENCY_RECEIPT) == [1]


def test_documents_never_go_back_in_time_when_the_wall_clock_does(
    till: TillUnderTest,
) -> None:
    first = till.sell("100")
    till.clock.advance(-3600)  # someone set the clock back an hour
    second = till.sell("100")
    assert second.closed_at == first.closed_at
    till.clock.advance(7200)
    third = till.sell("100")
    assert third.closed_at == first.closed_at + timedelta(hours=1)
