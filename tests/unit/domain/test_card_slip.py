"""A card payment on a receipt carries the card device's slip (R2.5): settled with the
card tender, recorded in TicketClosed, held to the domain's limits, and read back from the
wire exactly."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.contracts import EVENT_ADAPTER, Operation
from autonom.domain import (
    CardPaymentSettled,
    CardSlip,
    Form,
    Item,
    NumberRange,
    PaymentMethod,
    Refusal,
    TaxRate,
    Tender,
    Ticket,
    TicketClosed,
)
from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.events import check_event
from autonom.domain.payment import settle

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STANDARD = TaxRate(code="A", percent=Decimal("19.00"), name="Standard")
CAKE = Item(plu="200", name="Cheesecake", price=Decimal("4.20"), tax_code="A")
SLIP = CardSlip(
    payment_id=str(uuid.uuid4()),
    card_type=CardType.VISA,
    masked_pan="************1111",
    state=CardPaymentState.STORED,
)


def card(amount: str) -> Tender:
    return Tender(PaymentMethod.CARD, Decimal(amount))


def cash(amount: str) -> Tender:
    return Tender(PaymentMethod.CASH, Decimal(amount))


def test_the_slip_goes_with_the_card_part_and_cash_covers_the_rest() -> None:
    payments = settle(Decimal("10.00"), [card("6.00"), cash("5.00")], SLIP)

    assert [(p.method, p.amount, p.card) for p in payments] == [
        (PaymentMethod.CARD, Decimal("6.00"), SLIP),
        (PaymentMethod.CASH, Decimal("4.00"), None),
    ]
    assert payments[1].change == Decimal("1.00")


def test_a_slip_without_a_card_tender_is_a_bug_not_a_payment() -> None:
    with pytest.raises(ValueError, match="without a card tender"):
        settle(Decimal("10.00"), [cash("10.00")], SLIP)


def test_the_rules_of_a_card_tender_hold_with_a_slip_too() -> None:
    with pytest.raises(Refusal) as overpaid:
        settle(Decimal("3.00"), [card("4.00")], SLIP)

    assert overpaid.value.code == "CARD_OVERPAID"


def closed_by_card() -> Ticket:
    ticket = Ticket.open(ticket_id="t1", table=None, till_number=10, operator_number=1, at=AT)
    ticket.book(CAKE, STANDARD, 1, booking_id="b1", operator_number=1, till_number=10, at=AT)
    number = NumberRange(till=10, form=Form.EMERGENCY_RECEIPT).issue()
    ticket.close(
        [card("4.20")], number, operator_number=1, till_number=10, at=AT, offline=True, card=SLIP
    )
    return ticket


def test_a_receipt_paid_by_card_records_its_slip_within_the_limits() -> None:
    ticket = closed_by_card()
    closed = ticket.events[-1]

    assert isinstance(closed, TicketClosed)
    assert ticket.receipt is not None
    assert ticket.receipt.payments[0].card == SLIP
    assert check_event(closed) == []


def test_a_slip_over_the_limits_is_named_field_by_field() -> None:
    closed = closed_by_card().events[-1]
    assert isinstance(closed, TicketClosed)
    slip = replace(SLIP, masked_pan="", approval_code="1" * 13)
    bad = replace(closed, payments=(replace(closed.payments[0], card=slip),))

    assert check_event(bad) == [
        "payments.0.card.masked_pan must be 1 to 19 characters",
        "payments.0.card.approval_code must be 1 to 12 characters",
    ]


def test_the_slip_and_the_banks_verdict_travel_on_the_wire_exactly() -> None:
    closed = closed_by_card().events[-1]
    settled = CardPaymentSettled(
        document_id=SLIP.payment_id,
        till_number=10,
        receipt_number="10000001-02",
        amount=Decimal("4.20"),
        state=CardPaymentState.DECLINED,
        settled_at=AT,
    )

    for event in (closed, settled):
        operation = Operation(seq=1, op_id=uuid.uuid4(), recorded_at=AT, event=event)
        wire = operation.model_dump(mode="json")
        assert Operation.model_validate(wire).event == event
        assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) == event
    assert settled.document_id == SLIP.payment_id
    assert check_event(settled) == []
