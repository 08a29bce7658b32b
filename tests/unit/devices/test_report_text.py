"""The till's reports on paper and on the page (R2.8): one layout, 42 characters a line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from autonom.devices import StoreHeader, report_text
from autonom.domain import PaymentMethod, Tender
from autonom.domain.limits import MAX_GRAND_TOTAL, MAX_PERIOD_AMOUNT
from autonom.domain.money import ZERO
from autonom.domain.reports import (
    FIRST_PERIOD,
    PeriodStart,
    ZReport,
    close_day,
    offline_report,
    x_report,
)
from tests.support.receipts import AT, CROISSANT, ESPRESSO, TILL, Sales

HEADER = StoreHeader(name="Café Autonom", address="Hauptstraße 1, Berlin", vat_id="DE1")
WIDTH = 42


def line_with(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert len(found) == 1, f"expected one line with {text!r} in {lines}"
    return found[0]


def z_report(start: PeriodStart = FIRST_PERIOD, *, offline: bool = False) -> ZReport:
    sales = Sales()
    receipts = [
        sales.sell([(ESPRESSO, 2)], tenders=[Tender(PaymentMethod.CASH, Decimal("10"))]),
        sales.sell([(CROISSANT, 1)], tenders=[Tender(PaymentMethod.CARD, Decimal("1.90"))]),
        sales.sell([(ESPRESSO, 1), (CROISSANT, 1)], offline=True, void_first=True),
    ]
    return close_day(
        start,
        receipts,
        open_tickets=0,
        document_id="z",
        till_number=TILL,
        operator_number=7,
        at=AT + timedelta(hours=10),
        offline=offline,
    )


def test_an_x_report_shows_counts_ranges_taxes_payments_and_voids() -> None:
    sales = Sales()
    receipts = [sales.sell([(ESPRESSO, 2)]), sales.sell([(CROISSANT, 1)], offline=True)]

    lines = report_text(x_report(FIRST_PERIOD, receipts, till_number=TILL, at=AT), HEADER)

    assert lines[0].strip() == "Café Autonom"
    assert line_with(lines, "REPORT").strip() == "X REPORT (INTERIM)"
    assert line_with(lines, "Since").split() == ["Since", "the", "first", "receipt"]
    assert line_with(lines, "Receipts").split() == ["Receipts", "2"]
    assert line_with(lines, "emergency range").split()[-1] == "1"
    assert line_with(lines, "form 01").split() == ["form", "01", "10000001-01"]
    assert line_with(lines, "form 02").split() == ["form", "02", "10000001-02"]
    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "6.70"]
    assert line_with(lines, "Tax A 19%").split() == ["Tax", "A", "19%", "gross", "4.80"]
    assert line_with(lines, "Cash (2)").endswith(" 6.70")
    assert line_with(lines, "Voided lines (0)").endswith(" 0.00")
    assert not any("Grand total" in line or "not yet sent" in line for line in lines)
    assert all(len(line) <= WIDTH for line in lines)


def test_a_z_report_has_its_number_operator_grand_total_and_the_offline_mark() -> None:
    previous = PeriodStart(
        z_number=41, closed_at=AT, grand_total=Decimal("1000.00"), receipts_through={}
    )

    lines = report_text(z_report(previous, offline=True), HEADER)

    assert line_with(lines, "REPORT").strip() == "Z REPORT - DAY CLOSE 0042"
    assert line_with(lines, "Closed by").split() == ["Closed", "by", "Operator", "7"]
    assert line_with(lines, "Since").split()[0:2] == ["Since", AT.astimezone().strftime("%d.%m.%Y")]
    assert line_with(lines, "Card (1)").endswith(" 1.90")
    assert line_with(lines, "Voided lines (1)").endswith(" 2.40")
    assert line_with(lines, "Grand total").split() == ["Grand", "total", "EUR", "1008.60"]
    assert any("AUTONOMOUS - OFFLINE" in line for line in lines)
    assert not any("NULL Z" in line for line in lines)


def test_a_null_z_says_so() -> None:
    first = z_report()
    null = close_day(
        first.next_period(),
        [],
        open_tickets=0,
        document_id="z2",
        till_number=TILL,
        operator_number=7,
        at=AT + timedelta(days=1),
        offline=False,
    )

    lines = report_text(null, HEADER)

    assert any("NULL Z" in line for line in lines)
    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "0.00"]
    assert line_with(lines, "Grand total").split()[-1] == "8.60"
    assert not any("AUTONOMOUS" in line for line in lines)


def test_the_report_of_emergency_mode_lists_what_is_not_sent() -> None:
    sales = Sales()
    receipts = [sales.sell(), *(sales.sell(offline=True) for _ in range(5))]
    unsent = [r.number for r in receipts]

    report = offline_report(
        FIRST_PERIOD, receipts, till_number=TILL, at=AT, unsent_count=24, unsent_receipts=unsent
    )
    lines = report_text(report, HEADER)

    assert line_with(lines, "REPORT").strip() == "REPORT OF EMERGENCY MODE"
    assert line_with(lines, "Receipts").split() == ["Receipts", "5"]
    assert line_with(lines, "Operations not yet sent").split()[-1] == "24"
    listed = " ".join(lines[lines.index("Unsent receipts:") + 1 :]).split()
    assert listed == sorted(unsent)
    assert all(len(line) <= WIDTH for line in lines)


def test_the_largest_amounts_still_fit_the_paper() -> None:
    start = PeriodStart(z_number=1, closed_at=AT, grand_total=MAX_GRAND_TOTAL - MAX_PERIOD_AMOUNT)
    report = z_report(start)
    assert report.grand_total > MAX_PERIOD_AMOUNT

    lines = report_text(report, HEADER)

    assert line_with(lines, "Grand total").endswith(f"EUR {report.grand_total:.2f}")
    assert all(len(line) <= WIDTH for line in lines)
    assert report.figures.sales_total > ZERO
