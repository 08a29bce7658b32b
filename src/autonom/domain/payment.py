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


@dataclass(frozen=True)
class Tender:
    """What the cashier enters: a method and the amount handed over."""

    method: PaymentMethod
    amount: Decimal


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
    """A payment on a receipt: ``amount`` settles the ticket, ``tendered - amount`` is change."""

    method: PaymentMethod
    amount: Decimal
    tendered: Decimal
    card: CardSlip | None = None  # the device's slip of a card payment (R2.5)

    @property
    def change(self) -> Decimal:
        return self.tendered - self.amount


def settle(
    total: Decimal, tenders: Sequence[Tender], slip: CardSlip | None = None
) -> tuple[Payment, ...]:
    """Apply tenders to a total: card pays at most what is due, cash covers the rest and
    gives change; ``slip`` is the card device's answer for the card part. Refuses UNDERPAID
    and CARD_OVERPAID."""
    due = total
    card = sum((t.amount for t in tenders if t.method is PaymentMethod.CARD), ZERO)
    cash = sum((t.amount for t in tenders if t.method is PaymentMethod.CASH), ZERO)
    if any(t.amount <= 0 for t in tenders):
        raise Refusal(errors.BAD_AMOUNT, "Each payment must be more than zero.")
    if card > due:
        raise Refusal(errors.CARD_OVERPAID, f"A card pays at most the {due} due.")
    if card + cash < due:
        raise Refusal(errors.UNDERPAID, f"{due - card - cash} is still due.")
    payments: list[Payment] = []
    if card:
        payments.append(Payment(PaymentMethod.CARD, card, card, card=slip))
    elif slip is not None:
        raise ValueError("a card slip without a card tender")
    if cash:
        payments.append(Payment(PaymentMethod.CASH, due - card, cash))
    return tuple(payments)
