"""Settling a ticket: a card, a voucher and a customer account each pay at most what is
still due and give no change; cash covers the rest and gives change; a voucher's and an
account's payment keeps what it refers to."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autonom.domain import Payment, PaymentMethod, Refusal, Tender, errors
from autonom.domain.payment import settle

CASH, CARD, VOUCHER, ACCOUNT = (
    PaymentMethod.CASH,
    PaymentMethod.CARD,
    PaymentMethod.VOUCHER,
    PaymentMethod.ACCOUNT,
)


def tender(method: PaymentMethod, amount: str, reference: str | None = None) -> Tender:
    return Tender(method, Decimal(amount), reference)


def test_a_voucher_that_covers_part_leaves_the_rest_to_cash_which_gives_change() -> None:
    payments = settle(
        Decimal("12.80"), [tender(VOUCHER, "10.00", "10000001-03"), tender(CASH, "5.00")]
    )
    assert payments == (
        Payment(VOUCHER, Decimal("10.00"), Decimal("10.00"), "10000001-03"),
        Payment(CASH, Decimal("2.80"), Decimal("5.00")),
    )
    assert sum(p.change for p in payments) == Decimal("2.20")


def test_a_voucher_pays_at_most_what_is_due_and_never_gives_change() -> None:
    with pytest.raises(Refusal) as refused:
        settle(Decimal("8.00"), [tender(VOUCHER, "10.00", "10000001-03")])
    assert refused.value.code == errors.VOUCHER_OVERPAID
    assert "8.00" in refused.value.message


def test_card_voucher_and_account_together_pay_at_most_the_total() -> None:
    with pytest.raises(Refusal) as refused:
        settle(
            Decimal("10.00"),
            [
                tender(CARD, "4.00"),
                tender(VOUCHER, "4.00", "10000001-03"),
                tender(ACCOUNT, "3.00", "7"),
            ],
        )
    assert refused.value.code == errors.ACCOUNT_OVERPAID
    assert "2.00" in refused.value.message  # what was still due when the account came
    exact = settle(
        Decimal("10.00"),
        [
            tender(CARD, "4.00"),
            tender(VOUCHER, "4.00", "10000001-03"),
            tender(ACCOUNT, "2.00", "7"),
        ],
    )
    assert [(p.method, p.amount, p.reference) for p in exact] == [
        (CARD, Decimal("4.00"), None),
        (VOUCHER, Decimal("4.00"), "10000001-03"),
        (ACCOUNT, Decimal("2.00"), "7"),
    ]


def test_two_vouchers_are_two_payments_each_naming_its_voucher() -> None:
    payments = settle(
        Decimal("30.00"),
        [tender(VOUCHER, "20.00", "10000001-03"), tender(VOUCHER, "10.00", "11000004-03")],
    )
    assert [(p.reference, p.amount) for p in payments] == [
        ("10000001-03", Decimal("20.00")),
        ("11000004-03", Decimal("10.00")),
    ]


@pytest.mark.parametrize(
    ("tenders", "code"),
    [
        ([tender(CARD, "6.00")], errors.CARD_OVERPAID),
        ([tender(VOUCHER, "2.00", "10000001-03")], errors.UNDERPAID),
        ([tender(VOUCHER, "0.00", "10000001-03"), tender(CASH, "5.00")], errors.BAD_AMOUNT),
        ([tender(ACCOUNT, "5.01", "7")], errors.ACCOUNT_OVERPAID),
    ],
)
def test_tenders_that_do_not_settle_are_refused(tenders: list[Tender], code: str) -> None:
    with pytest.raises(Refusal) as refused:
        settle(Decimal("5.00"), tenders)
    assert refused.value.code == code


def test_cash_and_card_settle_as_before_without_a_reference() -> None:
    payments = settle(Decimal("4.80"), [tender(CARD, "3.00"), tender(CASH, "5.00")])
    assert payments == (
        Payment(CARD, Decimal("3.00"), Decimal("3.00")),
        Payment(CASH, Decimal("1.80"), Decimal("5.00")),
    )
    assert all(p.reference is None for p in payments)
