"""The rules of the functions that need the server (R2.4), pure: a voucher redeemed at most
up to what it holds, a sold-offline voucher told apart from an unknown one, held
redemptions settled by the ticket's receipt, an account charged within its limit, an
event's seats never oversold, and the operator settlement's sums."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from autonom.domain import (
    Booking,
    Form,
    Payment,
    PaymentMethod,
    Receipt,
    ReceiptNumber,
    Refusal,
    TicketClosed,
    errors,
)
from autonom.domain.numbering import voucher_number
from autonom.server.domain.server_functions import (
    AccountCharge,
    CustomerFacts,
    EventFacts,
    RedemptionFacts,
    RedemptionState,
    SeatHold,
    VoucherFacts,
    account_charges,
    charge_findings,
    check_charge,
    check_redemption,
    check_same_redemption,
    check_seats,
    operator_settlement,
    settle_redemptions,
    settle_seats,
    vouchers_sold,
)

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NUMBER = ReceiptNumber(10, 1, Form.VOUCHER)


def voucher(remaining: str, value: str = "20.00") -> VoucherFacts:
    return VoucherFacts(str(NUMBER), Decimal(value), Decimal(remaining), 10, "10000001-01", AT)


def held(redemption_id: str, amount: str, number: str = str(NUMBER)) -> RedemptionFacts:
    return RedemptionFacts(redemption_id, number, "t1", 11, Decimal(amount), RedemptionState.HELD)


def closed(
    *payments: Payment, operator: int = 1, till: int = 11, number: str = "11000001-01"
) -> TicketClosed:
    total = sum((p.amount for p in payments), Decimal("0.00"))
    return TicketClosed(
        ticket_id="t1",
        receipt_number=number,
        till_number=till,
        operator_number=operator,
        closed_at=AT,
        total=total,
        taxes=(),
        payments=payments,
        offline=False,
    )


def voucher_payment(amount: str, number: str = str(NUMBER)) -> Payment:
    return Payment(PaymentMethod.VOUCHER, Decimal(amount), Decimal(amount), number)


def refusal_of(call: object, *args: object, **kwargs: object) -> Refusal:
    with pytest.raises(Refusal) as refused:
        call(*args, **kwargs)  # type: ignore[operator]
    return refused.value


# -- vouchers ------------------------------------------------------------------------------


def test_a_voucher_number_is_a_number_of_form_03() -> None:
    assert voucher_number(" 10000001-03 ") == NUMBER
    for typed in ("10000001-01", "abc", "", "10000001-3"):
        assert refusal_of(voucher_number, typed).code == errors.VOUCHER_UNKNOWN


def test_a_voucher_pays_up_to_what_it_holds() -> None:
    check_redemption(
        number=NUMBER, amount=Decimal("20.00"), voucher=voucher("20.00"), issuer_registered=True
    )
    more = refusal_of(
        check_redemption,
        number=NUMBER,
        amount=Decimal("12.00"),
        voucher=voucher("11.50"),
        issuer_registered=True,
    )
    assert (more.code, more.detail) == (errors.VOUCHER_INSUFFICIENT, {"remaining": "11.50"})
    used_up = refusal_of(
        check_redemption,
        number=NUMBER,
        amount=Decimal("1.00"),
        voucher=voucher("0.00"),
        issuer_registered=True,
    )
    assert used_up.code == errors.VOUCHER_EXHAUSTED


def test_a_request_that_replaces_an_unsettled_one_counts_its_amount_back() -> None:
    # 15.00 held for this ticket earlier; asking 18.00 instead fits the 20.00 voucher.
    check_redemption(
        number=NUMBER,
        amount=Decimal("18.00"),
        voucher=voucher("5.00"),
        replaced=Decimal("15.00"),
        issuer_registered=True,
    )


def test_an_unknown_voucher_of_a_registered_till_may_be_sold_offline_and_not_synced() -> None:
    not_yet = refusal_of(
        check_redemption,
        number=NUMBER,
        amount=Decimal("1.00"),
        voucher=None,
        issuer_registered=True,
    )
    assert (not_yet.code, not_yet.status) == (errors.VOUCHER_NOT_REGISTERED, 409)
    assert "emergency mode" in not_yet.message
    assert "till 10" in not_yet.message
    unknown = refusal_of(
        check_redemption,
        number=NUMBER,
        amount=Decimal("1.00"),
        voucher=None,
        issuer_registered=False,
    )
    assert (unknown.code, unknown.status) == (errors.VOUCHER_UNKNOWN, 404)


def test_the_same_redemption_asked_again_is_the_same_and_its_id_cannot_be_reused() -> None:
    first = held("r1", "5.00")
    assert (
        check_same_redemption(first, number=str(NUMBER), ticket_id="t1", amount=Decimal("5.00"))
        is first
    )
    other = refusal_of(
        check_same_redemption, first, number=str(NUMBER), ticket_id="t1", amount=Decimal("6.00")
    )
    assert other.code == errors.REDEMPTION_CONFLICT


def test_the_receipt_uses_the_holds_it_pays_with_and_releases_the_others() -> None:
    holds = [held("r1", "5.00"), held("r2", "7.00"), held("r3", "2.00", "11000002-03")]
    settled = settle_redemptions(holds, closed(voucher_payment("7.00")))
    assert [r.redemption_id for r in settled.used] == ["r2"]
    assert [r.redemption_id for r in settled.released] == ["r1", "r3"]
    assert settled.findings == []


def test_a_receipt_paid_by_a_voucher_nobody_redeemed_is_flagged_not_refused() -> None:
    settled = settle_redemptions([], closed(voucher_payment("7.00")))
    assert settled.used == settled.released == []
    [finding] = settled.findings
    assert finding.code == errors.VOUCHER_NOT_REDEEMED
    assert str(NUMBER) in finding.message


def test_a_receipt_registers_each_voucher_line_at_its_amount() -> None:
    def line(booking_id: str, issued: str | None, price: str) -> Booking:
        return Booking(
            booking_id=booking_id,
            plu="900",
            name="Gift voucher",
            quantity=1,
            unit_price=Decimal(price),
            tax_code="Z",
            tax_percent=Decimal("0.00"),
            operator_number=1,
            till_number=10,
            booked_at=AT,
            offline=True,
            issued_number=issued,
        )

    receipt = Receipt(
        number="10000001-02",
        ticket_id="t1",
        till_number=10,
        table=None,
        operator_number=1,
        closed_at=AT,
        lines=(
            line("b1", "10000001-03", "20.00"),
            line("b2", "10000001-04", "12.00"),
            line("b3", None, "2.00"),
        ),
        voided_lines=(),
        total=Decimal("34.00"),
        taxes=(),
        payments=(),
        offline=True,
    )
    [sold] = vouchers_sold(receipt)  # the admission (form 04) and the goods are no vouchers
    assert (sold.number, sold.value, sold.remaining) == (
        "10000001-03",
        Decimal("20.00"),
        Decimal("20.00"),
    )
    assert (sold.till_number, sold.receipt_number, sold.sold_at) == (10, "10000001-02", AT)


# -- customer accounts ----------------------------------------------------------------------


def test_an_account_takes_a_charge_up_to_its_limit() -> None:
    customer = CustomerFacts(7, "Café Krone", Decimal("100.00"), Decimal("80.00"))
    assert check_charge(customer, number=7, amount=Decimal("20.00")) is customer
    over = refusal_of(check_charge, customer, number=7, amount=Decimal("20.01"))
    assert (over.code, over.detail) == (errors.ACCOUNT_LIMIT_REACHED, {"available": "20.00"})
    assert (
        refusal_of(check_charge, None, number=8, amount=Decimal("1.00")).code
        == errors.CUSTOMER_UNKNOWN
    )


def test_a_receipt_over_the_limit_or_for_an_unknown_account_is_flagged() -> None:
    receipt = closed(
        Payment(PaymentMethod.ACCOUNT, Decimal("30.00"), Decimal("30.00"), "7"),
        Payment(PaymentMethod.ACCOUNT, Decimal("1.00"), Decimal("1.00"), "not a number"),
    )
    charges, found = account_charges(receipt)
    assert charges == [AccountCharge(7, Decimal("30.00"))]
    assert [f.code for f in found] == [errors.CUSTOMER_UNKNOWN]
    over = CustomerFacts(7, "Café Krone", Decimal("100.00"), Decimal("110.00"))  # charged already
    assert [f.code for f in charge_findings(over, charges[0], receipt)] == [
        errors.ACCOUNT_OVER_LIMIT
    ]
    within = CustomerFacts(7, "Café Krone", Decimal("100.00"), Decimal("100.00"))
    assert charge_findings(within, charges[0], receipt) == []
    assert [f.code for f in charge_findings(None, charges[0], receipt)] == [errors.CUSTOMER_UNKNOWN]


# -- event seats ----------------------------------------------------------------------------


def test_seats_are_sold_up_to_the_capacity_and_no_further() -> None:
    check_seats(EventFacts("850", 100, 98), plu="850", seats=2, ticketing_down=False)
    last = refusal_of(
        check_seats, EventFacts("850", 100, 99), plu="850", seats=2, ticketing_down=False
    )
    assert (last.code, last.detail) == (errors.EVENT_SOLD_OUT, {"left": 1})
    full = refusal_of(
        check_seats, EventFacts("850", 100, 100), plu="850", seats=1, ticketing_down=False
    )
    assert full.code == errors.EVENT_SOLD_OUT
    assert "Sold out" in full.message
    assert (
        refusal_of(check_seats, None, plu="100", seats=1, ticketing_down=False).code
        == errors.EVENT_UNKNOWN
    )
    down = refusal_of(
        check_seats, EventFacts("850", 100, 0), plu="850", seats=1, ticketing_down=True
    )
    assert down.code == errors.EVENT_TICKET_OFFLINE


def test_the_receipt_sells_the_seats_of_its_lines_and_gives_back_the_others() -> None:
    holds = [SeatHold("b1", "850", "t1", 2), SeatHold("b2", "850", "t1", 1)]
    sold, released = settle_seats(holds, ["b1", "b9"])
    assert [h.booking_id for h in sold] == ["b1"]
    assert [h.booking_id for h in released] == ["b2"]


# -- the operator settlement ----------------------------------------------------------------


def test_the_settlement_sums_one_operators_receipts_of_every_till_by_payment_method() -> None:
    cash = Payment(PaymentMethod.CASH, Decimal("2.40"), Decimal("5.00"))
    card = Payment(PaymentMethod.CARD, Decimal("3.20"), Decimal("3.20"))
    receipts = [
        closed(cash, operator=1, till=10, number="10000001-01"),
        closed(card, voucher_payment("4.00"), operator=1, till=11, number="11000001-02"),
        closed(cash, operator=2, till=10, number="10000002-01"),
    ]
    found = operator_settlement(1, date(2026, 11, 20), receipts)
    assert [r.number for r in found.receipts] == ["10000001-01", "11000001-02"]
    assert found.total == Decimal("9.60")
    assert found.payments == {
        PaymentMethod.CASH: Decimal("2.40"),  # what settled the ticket, not what was handed over
        PaymentMethod.CARD: Decimal("3.20"),
        PaymentMethod.VOUCHER: Decimal("4.00"),
    }
    assert found.tills == [10, 11]
    assert operator_settlement(3, date(2026, 11, 20), receipts).receipts == []
