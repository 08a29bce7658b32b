"""Payments: what the cashier tenders and how it settles a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from autonom.domain import errors
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
class Payment:
    """A payment on a receipt: ``amount`` settles the ticket, ``tendered - amount`` is change."""

    method: PaymentMethod
    amount: Decimal
    tendered: Decimal

    @property
    def change(self) -> Decimal:
        return self.tendered - self.amount


def settle(total: Decimal, tenders: Sequence[Tender]) -> tuple[Payment, ...]:
    """Apply tenders to a total: card pays at most what is due, cash covers the rest and
    gives change. Refuses UNDERPAID and CARD_OVERPAID."""
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
        payments.append(Payment(PaymentMethod.CARD, card, card))
    if cash:
        payments.append(Payment(PaymentMethod.CASH, due - card, cash))
    return tuple(payments)


@dataclass(frozen=True)
class PaymentTotal:
    """One payment method over a period (a report's line, R2.8): how many payments and what
    they settled — cash net of change. Card payments are one method for now; a split by a
    card payment's state (approved online, stored offline) adds a field here."""

    method: PaymentMethod
    count: int
    amount_total: Decimal
