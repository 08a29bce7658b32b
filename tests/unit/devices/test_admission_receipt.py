"""An admission on the receipt (R2.6): its number for the gate's scanner, and, sold in
emergency mode, that the gate cannot know it until the till has synced."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from autonom.devices import StoreHeader, receipt_text
from autonom.devices.printer import NOT_AT_GATE_YET, WIDTH
from autonom.domain import (
    Form,
    Item,
    ItemKind,
    NumberRange,
    PaymentMethod,
    Receipt,
    TaxRate,
    Tender,
    Ticket,
)

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
REDUCED = TaxRate("B", Decimal("7"), "reduced")
DAY_TICKET = Item("800", "Day admission", Decimal("12.00"), "B", kind=ItemKind.ADMISSION)
PRETZEL = Item("202", "Butter pretzel", Decimal("2.10"), "B")
HEADER = StoreHeader(name="Zoo Autonom", address="Tiergarten 1", vat_id="DE123456789")


def sale(*, offline: bool) -> Receipt:
    """Two admissions and a pretzel on till 10, closed live or in emergency mode."""
    ticket = Ticket.open(ticket_id="t-1", table=None, till_number=10, operator_number=7, at=AT)
    admissions = NumberRange(10, Form.ADMISSION)
    for item in (DAY_TICKET, DAY_TICKET, PRETZEL):
        issued = admissions.issue() if item.kind is ItemKind.ADMISSION else None
        ticket.book(
            item,
            REDUCED,
            1,
            booking_id=f"b-{len(ticket.bookings)}",
            operator_number=7,
            till_number=10,
            at=AT,
            offline=offline,
            issued_number=issued,
        )
    form = Form.EMERGENCY_RECEIPT if offline else Form.RECEIPT
    return ticket.close(
        [Tender(PaymentMethod.CASH, Decimal("30"))],
        NumberRange(10, form).issue(),
        operator_number=7,
        till_number=10,
        at=AT,
        offline=offline,
    )


def test_each_admission_prints_its_number_for_the_gate() -> None:
    lines = receipt_text(sale(offline=False), HEADER, till_number=10)
    numbers = [line.strip() for line in lines if line.strip().startswith("Admission ")]
    assert numbers == ["Admission 10000001-04", "Admission 10000002-04"]
    assert not any(NOT_AT_GATE_YET in line for line in lines)
    pretzel = next(i for i, line in enumerate(lines) if "Butter pretzel" in line)
    assert "Admission" not in lines[pretzel + 1]  # goods carry no number


def test_an_admission_sold_offline_says_it_is_not_valid_at_the_gate_until_synced() -> None:
    lines = receipt_text(sale(offline=True), HEADER, till_number=10)
    marks = [i for i, line in enumerate(lines) if line.strip() == NOT_AT_GATE_YET]
    assert len(marks) == 2
    assert all(lines[i - 1].strip().startswith("Admission 1000000") for i in marks)
    assert all(len(line) <= WIDTH for line in lines)
