"""The sync report on paper (R3.3): what moved, what merged and who owns it, the OFF lines
still on open tickets, the conflicts — 42 characters a line, whatever the names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from autonom.devices.printer import StoreHeader, sync_report_text
from autonom.domain.limits import MAX_AMOUNT, MAX_NAME_LENGTH, MAX_TABLE
from autonom.domain.sync_report import (
    ReportedBooking,
    ReportedConflict,
    ReportedMerge,
    ReportedOwner,
    ReportedTicket,
    SyncReport,
)

HEADER = StoreHeader(name="Café Autonom", address="Hauptstraße 1, Berlin", vat_id="DE1")
AT = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def report(*, name: str = "Croissant", conflicts: int = 1) -> SyncReport:
    return SyncReport(
        report_id="r1",
        till_number=10,
        made_at=AT,
        since=AT,
        first_seq=118,
        through_seq=342,
        moved=(ReportedTicket("t5", 5, Decimal("3.40"), 1, 2),),
        merged=(ReportedMerge("t3-offline", "t3", MAX_TABLE, 2, 2, MAX_AMOUNT),),
        owners_changed=(ReportedOwner("t3", MAX_TABLE, 2),),
        off_bookings=5,
        off_total=Decimal("12.10"),
        off_on_open_tickets=(ReportedBooking("b1", "t3", MAX_TABLE, name, 999, MAX_AMOUNT),),
        offline_receipts=2,
        offline_receipts_total=Decimal("6.60"),
        conflicts=tuple(
            ReportedConflict("FOLLOW_UP_TICKET", "Ticket t7 (table 7) was paid … " * 4, "t7", 10, 3)
            for _ in range(conflicts)
        ),
    )


def test_the_report_names_each_section_with_its_figures() -> None:
    lines = sync_report_text(report(), HEADER)
    text = "\n".join(lines)
    assert "SYNC REPORT" in text
    assert "MOVED 1:1 (1 open)" in text
    assert f"Table {MAX_TABLE}: 2 line(s)" in text
    assert "owner now operator 2" in text
    assert any(line.startswith("OFF bookings (5)") and line.endswith("12.10") for line in lines)
    assert any(line.endswith(f"{MAX_AMOUNT} OFF") for line in lines)
    assert "CONFLICTS FOR A PERSON (1)" in text
    assert "FOLLOW_UP_TICKET" in text


def test_every_line_fits_the_paper_even_at_every_limit() -> None:
    lines = sync_report_text(report(name="W" * MAX_NAME_LENGTH, conflicts=3), HEADER)
    assert max(len(line) for line in lines) <= 42


def test_a_report_without_conflicts_says_none() -> None:
    lines = sync_report_text(report(conflicts=0), HEADER)
    assert lines[-2:] == ["CONFLICTS FOR A PERSON (0)", "  none"]
