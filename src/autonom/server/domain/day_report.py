"""The store's day report on the server (R3.4): every receipt of a day the server holds,
whichever way it came — pushed live, or uploaded later by a till that reintegrated after an
outage. Per till, per tax rate and per payment method, with the receipts made in emergency
mode counted apart. Pure: the day's receipts (the tills' ``TicketClosed``) are handed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from autonom.domain import PaymentMethod, TicketClosed
from autonom.domain.money import ZERO


@dataclass
class TillDay:
    """One till's share of the day."""

    till_number: int
    receipt_count: int = 0
    offline_count: int = 0  # receipts made in emergency mode (uploaded by reintegration)
    total: Decimal = ZERO
    offline_total: Decimal = ZERO


@dataclass
class DayReport:
    """The day's receipts of every till: totals by till, tax rate and payment method."""

    day: date
    tills: dict[int, TillDay] = field(default_factory=dict)
    taxes: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = field(default_factory=dict)
    payments: dict[PaymentMethod, Decimal] = field(default_factory=dict)

    @property
    def receipt_count(self) -> int:
        return sum(t.receipt_count for t in self.tills.values())

    @property
    def offline_count(self) -> int:
        return sum(t.offline_count for t in self.tills.values())

    @property
    def total(self) -> Decimal:
        return sum((t.total for t in self.tills.values()), ZERO)


def day_report(day: date, closed: Iterable[TicketClosed]) -> DayReport:
    """Add up the day's receipts; payments count what settled the tickets, not the change;
    taxes are (gross, tax) per code and rate."""
    report = DayReport(day)
    for receipt in closed:
        till = report.tills.setdefault(receipt.till_number, TillDay(receipt.till_number))
        till.receipt_count += 1
        till.total += receipt.total
        if receipt.offline:
            till.offline_count += 1
            till.offline_total += receipt.total
        for tax in receipt.taxes:
            gross, included = report.taxes.get((tax.code, tax.percent), (ZERO, ZERO))
            report.taxes[tax.code, tax.percent] = (gross + tax.gross, included + tax.tax)
        for payment in receipt.payments:
            report.payments[payment.method] = (
                report.payments.get(payment.method, ZERO) + payment.amount
            )
    report.tills = dict(sorted(report.tills.items()))
    return report
