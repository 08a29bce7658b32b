"""Payments: what the cashier tenders and how it settles a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from autonom.domain import errors
from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.errors import Refusal
from autonom.domain.money import ZERO


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    VOUCHER = "voucher"  # redeemed on the server first; ``reference`` is the voucher's number
    ACCOUNT = "account"  # put on a customer's account; ``reference`` is the customer's number


# The methods the server says yes to before a till closes with them (a voucher redeemed,
# an account charge authorised): never a plain tender typed at the till.
AUTHORISED_BY_SERVER = frozenset({PaymentMethod.VOUCHER, PaymentMethod.ACCOUNT})

# The methods that pay at most what is due and give no change, in the order they are
# applied, each with the refusal when they would pay more (a card, like a voucher).
_EXACT: tuple[tuple[PaymentMethod, str, str], ...] = (
    (PaymentMethod.CARD, errors.CARD_OVERPAID, "A card"),
    (PaymentMethod.VOUCHER, errors.VOUCHER_OVERPAID, "A voucher"),
    (PaymentMethod.ACCOUNT, errors.ACCOUNT_OVERPAID, "A customer account"),
)


@dataclass(frozen=True)
class Tender:
    """What the cashier enters: a method, the amount handed over and, for a voucher or an
    account, what it refers to (the voucher's or the customer's number)."""

    method: PaymentMethod
    amount: Decimal
    reference: str | None = None


@dataclass(frozen=True)
class CardSlip:
    """What the card device answered for a card payment on a receipt (R2.5): ``approved``
    with its approval code, or ``stored`` offline with the bank's verdict still to come."""

    payment_id: str
    card_type: CardType
    masked_pan: str
    state: CardPaymentState
    approval_code: str | None = None


@dataclass(frozen=True)
class Payment:
    """A payment on a receipt: ``amount`` settles the ticket, ``tendered - amount`` is change.
    ``reference`` names the voucher or the customer account it was paid with (None for
    cash and card; a receipt from a till of contract 1 has none)."""

    method: PaymentMethod
    amount: Decimal
    tendered: Decimal
    reference: str | None = None
    card: CardSlip | None = None  # the device's slip of a card payment (R2.5)

    @property
    def change(self) -> Decimal:
        return self.tendered - self.amount


def settle(
    total: Decimal, tenders: Sequence[Tender], slip: CardSlip | None = None
) -> tuple[Payment, ...]:
    """Apply tenders to a total: a card, a voucher and an account each pay at most what is
    still due (card first, then vouchers, then accounts; every voucher and account its own
    payment with its reference), cash covers the rest and gives change; ``slip`` is the card
    device's answer for the card part. Refuses BAD_AMOUNT, CARD_OVERPAID, VOUCHER_OVERPAID,
    ACCOUNT_OVERPAID and UNDERPAID."""
    due = total
    if any(t.amount <= 0 for t in tenders):
        raise Refusal(errors.BAD_AMOUNT, "Each payment must be more than zero.")
    paid = ZERO
    payments: list[Payment] = []
    for method, code, name in _EXACT:
        of_method = [t for t in tenders if t.method is method]
        amount = sum((t.amount for t in of_method), ZERO)
        if paid + amount > due:
            raise Refusal(code, f"{name} pays at most the {due - paid} still due.")
        paid += amount
        if method is PaymentMethod.CARD:
            if amount:
                payments.append(Payment(method, amount, amount, card=slip))
            elif slip is not None:
                raise ValueError("a card slip without a card tender")
        else:
            payments.extend(Payment(method, t.amount, t.amount, t.reference) for t in of_method)
    cash = sum((t.amount for t in tenders if t.method is PaymentMethod.CASH), ZERO)
    if paid + cash < due:
        raise Refusal(errors.UNDERPAID, f"{due - paid - cash} is still due.")
    if cash:
        payments.append(Payment(PaymentMethod.CASH, due - paid, cash))
    return tuple(payments)


@dataclass(frozen=True)
class PaymentTotal:
    """One payment method over a period (a report's line, R2.8): how many payments and what
    they settled — cash net of change. Card payments are one method for now; a split by a
    card payment's state (approved online, stored offline) adds a field here."""

    method: PaymentMethod
    count: int
    amount_total: Decimal
