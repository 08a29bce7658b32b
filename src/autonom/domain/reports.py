"""The till's own reports (R2.8): the figures of a period computed from its receipts, the X
report (interim, closes nothing), the report of emergency mode (seed 000: "17 Bericht", the
offline transactions) and the day close with its Z report.

A period runs from the last day close to now. A day close is numbered per till (gapless
from 1, never reused: the caller saves it in the transaction that issues the number), ends
the period, and adds the period's sales to the grand total, which therefore never goes
down. Refused while the till has open tickets of its own (a Z report would cut a table in
half); allowed with no receipt at all (a "null" Z). Pure: the receipts, the time and the
last day close are handed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from autonom.domain import errors
from autonom.domain.card import CardPaymentState
from autonom.domain.errors import Refusal
from autonom.domain.events import DayClosed
from autonom.domain.limits import MAX_Z_NUMBER
from autonom.domain.money import ZERO, TaxTotal
from autonom.domain.numbering import Form, ReceiptNumber, ReceiptRange
from autonom.domain.payment import PaymentMethod, PaymentTotal
from autonom.domain.ticket import Receipt


class ReportKind(StrEnum):
    X = "x"  # interim: the period so far, nothing closed
    OFFLINE = "offline"  # what was done in emergency mode during the period
    Z = "z"  # the day close


@dataclass(frozen=True)
class Figures:
    """What a report says about a set of receipts. ``payment_totals`` add up to
    ``sales_total`` (cash counted net of change); so do ``tax_totals``' gross totals."""

    receipt_count: int
    emergency_count: int  # receipts in the emergency range (form 02, R2.3)
    sales_total: Decimal
    tax_totals: tuple[TaxTotal, ...]
    payment_totals: tuple[PaymentTotal, ...]
    void_count: int  # lines voided on these receipts before they were paid
    void_total: Decimal
    receipt_ranges: tuple[ReceiptRange, ...]  # first and last number per form
    first_at: datetime | None
    last_at: datetime | None
    # Card payments the card device stored offline (R2.5): part of the card total, their
    # bank's verdict still to come when the receipt was made.
    stored_card_count: int = 0
    stored_card_total: Decimal = ZERO


def figures_of(receipts: Iterable[Receipt]) -> Figures:
    """Count and add up ``receipts``: per tax rate, per payment method, voids, ranges."""
    count = emergency = void_count = stored_count = 0
    sales = void_total = stored_total = ZERO
    taxes: dict[tuple[str, Decimal], tuple[Decimal, Decimal]] = {}
    payments: dict[PaymentMethod, tuple[int, Decimal]] = {}
    ranges: dict[int, tuple[ReceiptNumber, ReceiptNumber]] = {}
    first_at: datetime | None = None
    last_at: datetime | None = None
    for receipt in receipts:
        count += 1
        sales += receipt.total
        number = ReceiptNumber.parse(receipt.number)
        if number.form == Form.EMERGENCY_RECEIPT:
            emergency += 1
        low, high = ranges.get(number.form, (number, number))
        ranges[number.form] = (min(low, number), max(high, number))
        for tax in receipt.taxes:
            gross, included = taxes.get((tax.code, tax.percent), (ZERO, ZERO))
            taxes[tax.code, tax.percent] = (gross + tax.gross, included + tax.tax)
        for payment in receipt.payments:
            times, amount = payments.get(payment.method, (0, ZERO))
            payments[payment.method] = (times + 1, amount + payment.amount)
            if payment.card is not None and payment.card.state is CardPaymentState.STORED:
                stored_count += 1
                stored_total += payment.amount
        for line in receipt.voided_lines:
            void_count += 1
            void_total += line.amount
        first_at = receipt.closed_at if first_at is None else min(first_at, receipt.closed_at)
        last_at = receipt.closed_at if last_at is None else max(last_at, receipt.closed_at)
    return Figures(
        receipt_count=count,
        emergency_count=emergency,
        sales_total=sales,
        tax_totals=tuple(
            TaxTotal(code, percent, gross, included)
            for (code, percent), (gross, included) in sorted(taxes.items())
        ),
        payment_totals=tuple(
            PaymentTotal(method, *payments[method])
            for method in PaymentMethod
            if method in payments
        ),
        void_count=void_count,
        void_total=void_total,
        stored_card_count=stored_count,
        stored_card_total=stored_total,
        receipt_ranges=tuple(
            ReceiptRange(form, str(low), str(high)) for form, (low, high) in sorted(ranges.items())
        ),
        first_at=first_at,
        last_at=last_at,
    )


@dataclass(frozen=True)
class PeriodStart:
    """Where the current period starts: the last day close (none yet: everything)."""

    z_number: int = 0  # the last day close's number; 0 before the first
    closed_at: datetime | None = None
    grand_total: Decimal = ZERO
    # Per form, the last running number the day closes so far covered (R2.3: gapless).
    receipts_through: Mapping[int, int] = field(default_factory=dict)

    def covers(self, receipt: Receipt) -> bool:
        """True for a receipt an earlier day close already counted."""
        number = ReceiptNumber.parse(receipt.number)
        return number.running <= self.receipts_through.get(number.form, 0)


FIRST_PERIOD = PeriodStart()


@dataclass(frozen=True, kw_only=True)
class Report:
    """A report as shown and printed. The report of emergency mode also says what the
    server has not confirmed yet (``unsent_count`` operations, ``unsent_receipts``)."""

    kind: ReportKind
    till_number: int
    made_at: datetime
    period_start: datetime | None  # the last day close; None: since the till began
    figures: Figures
    unsent_count: int | None = None
    unsent_receipts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ZReport(Report):
    """The day close's report: numbered, with the operator who closed, the grand total of
    every day close so far and the offline mark (closed in emergency mode)."""

    kind: ReportKind = ReportKind.Z
    document_id: str
    z_number: int
    operator_number: int
    grand_total: Decimal
    offline: bool
    receipts_through: Mapping[int, int]

    @property
    def closed_at(self) -> datetime:
        return self.made_at

    @property
    def null(self) -> bool:
        """A day close with no receipt since the last one (a "null" Z)."""
        return self.figures.receipt_count == 0

    def next_period(self) -> PeriodStart:
        """Where the period after this day close starts."""
        return PeriodStart(
            z_number=self.z_number,
            closed_at=self.closed_at,
            grand_total=self.grand_total,
            receipts_through=self.receipts_through,
        )

    def event(self) -> DayClosed:
        """The operation this day close is logged and uploaded as."""
        figures = self.figures
        return DayClosed(
            document_id=self.document_id,
            till_number=self.till_number,
            operator_number=self.operator_number,
            z_number=self.z_number,
            closed_at=self.closed_at,
            period_start=self.period_start,
            receipt_count=figures.receipt_count,
            sales_total=figures.sales_total,
            tax_totals=figures.tax_totals,
            payment_totals=figures.payment_totals,
            void_count=figures.void_count,
            void_total=figures.void_total,
            receipt_ranges=figures.receipt_ranges,
            grand_total=self.grand_total,
            offline=self.offline,
        )


def in_period(start: PeriodStart, receipts: Iterable[Receipt]) -> list[Receipt]:
    """The receipts no day close has counted yet."""
    return [r for r in receipts if not start.covers(r)]


def x_report(
    start: PeriodStart, receipts: Iterable[Receipt], *, till_number: int, at: datetime
) -> Report:
    """The interim report: the period so far; closes nothing, may be made any time."""
    return Report(
        kind=ReportKind.X,
        till_number=till_number,
        made_at=at,
        period_start=start.closed_at,
        figures=figures_of(in_period(start, receipts)),
    )


def offline_report(
    start: PeriodStart,
    receipts: Iterable[Receipt],
    *,
    till_number: int,
    at: datetime,
    unsent_count: int,
    unsent_receipts: Iterable[str],
) -> Report:
    """The report of emergency mode (seed 000, "17 Bericht"): the period's receipts made
    offline and the lines voided on them, and what the server has not confirmed yet."""
    offline = [r for r in in_period(start, receipts) if r.offline]
    return Report(
        kind=ReportKind.OFFLINE,
        till_number=till_number,
        made_at=at,
        period_start=start.closed_at,
        figures=figures_of(offline),
        unsent_count=unsent_count,
        unsent_receipts=tuple(sorted(unsent_receipts)),
    )


def check_no_open_tickets(open_tickets: int) -> None:
    """Refuse a day close while tickets of this till are open (OPEN_TICKETS, 409)."""
    if open_tickets:
        which = "ticket is" if open_tickets == 1 else "tickets are"
        raise Refusal(
            errors.OPEN_TICKETS,
            f"{open_tickets} {which} still open on this till. Pay or settle "
            f"{'it' if open_tickets == 1 else 'them'} first, then close the day: a Z report "
            "would otherwise cut a table in half.",
            409,
            detail={"open_tickets": open_tickets},
        )


def close_day(
    start: PeriodStart,
    receipts: Iterable[Receipt],
    *,
    open_tickets: int,
    document_id: str,
    till_number: int,
    operator_number: int,
    at: datetime,
    offline: bool,
) -> ZReport:
    """The day close after ``start``: the next Z number, the period's figures and the grand
    total. Refused while ``open_tickets`` of this till are open, or when the till's Z
    numbers are used up (RANGE_EXHAUSTED)."""
    check_no_open_tickets(open_tickets)
    if start.z_number >= MAX_Z_NUMBER:
        raise Refusal(
            errors.RANGE_EXHAUSTED,
            f"Till {till_number} has used every day close number up to {MAX_Z_NUMBER}; "
            "ask the store manager to open a new till number.",
            409,
        )
    period = in_period(start, receipts)
    figures = figures_of(period)
    through = dict(start.receipts_through)
    for receipt in period:
        number = ReceiptNumber.parse(receipt.number)
        through[number.form] = max(through.get(number.form, 0), number.running)
    return ZReport(
        till_number=till_number,
        made_at=at,
        period_start=start.closed_at,
        figures=figures,
        document_id=document_id,
        z_number=start.z_number + 1,
        operator_number=operator_number,
        grand_total=start.grand_total + figures.sales_total,
        offline=offline,
        receipts_through=through,
    )
