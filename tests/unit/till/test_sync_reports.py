"""The till's side of the sync report (R3.3): once reintegrated it asks the server for the
report of its operations since the outage began, asks again with the same id until an
answer comes, and prints it; a printer that fails never loses the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from autonom.contracts import SyncReportRequest
from autonom.devices.printer import PrinterUnavailable, StoreHeader
from autonom.domain import Receipt
from autonom.domain.money import ZERO
from autonom.domain.sync_report import SyncReport
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer.sync_reports import SyncReports
from tests.unit.till.conftest import TillUnderTest

HEADER = StoreHeader(name="Café", address="", vat_id="")


@dataclass
class Server:
    answering: bool = False
    asked: list[SyncReportRequest] = field(default_factory=list)

    def sync_report(self, request: SyncReportRequest) -> SyncReport:
        self.asked.append(request)
        if not self.answering:
            raise ServerUnreachable("timed out")
        return SyncReport(
            report_id=str(request.report_id),
            till_number=10,
            made_at=request.since,
            since=request.since,
            first_seq=request.first_seq,
            through_seq=request.through_seq,
            moved=(),
            merged=(),
            owners_changed=(),
            off_bookings=0,
            off_total=ZERO,
            off_on_open_tickets=(),
            offline_receipts=0,
            offline_receipts_total=Decimal("0.00"),
            conflicts=(),
        )


@dataclass
class Printer:
    working: bool = True
    printed: list[list[str]] = field(default_factory=list)

    def print_receipt(self, receipt: Receipt, header: StoreHeader, till_number: int) -> None:
        raise AssertionError("only the report is printed here")

    def print_lines(self, lines: Sequence[str]) -> None:
        if not self.working:
            raise PrinterUnavailable("tcp:10.0.0.9:9100 does not answer")
        self.printed.append(list(lines))


@dataclass
class Outage:
    began: datetime | None

    def outage_began(self) -> datetime | None:
        return self.began


def reports(till: TillUnderTest, server: Server, printer: Printer) -> SyncReports:
    till.sell()  # operations 1-3, before the outage
    began = till.clock.now + timedelta(minutes=1)
    till.clock.advance(120)
    till.sell(offline=True)  # operations 4-6, in it
    return SyncReports(
        reading=till.reading, station=Outage(began), server=server, printer=printer, header=HEADER
    )


@pytest.fixture
def server() -> Server:
    return Server()


def test_the_report_is_asked_until_the_server_answers_then_printed_once(
    till: TillUnderTest, server: Server
) -> None:
    printer = Printer()
    service = reports(till, server, printer)
    service.due()
    service.deliver()
    assert service.last() is None
    assert printer.printed == []

    server.answering = True
    service.deliver()
    service.deliver()  # nothing pending any more

    (first, second) = server.asked
    assert first == second  # the same report id: the server keeps it once
    assert (first.first_seq, first.through_seq) == (4, 6)
    report = service.last()
    assert report is not None
    assert report.report_id == str(first.report_id)
    assert len(printer.printed) == 1
    assert "SYNC REPORT" in [line.strip() for line in printer.printed[0]]
    assert service.printer_problem is None


def test_a_printer_that_fails_keeps_the_report_and_says_why(
    till: TillUnderTest, server: Server
) -> None:
    server.answering = True
    service = reports(till, server, Printer(working=False))
    service.due()
    service.deliver()
    assert service.last() is not None
    assert service.printer_problem == "tcp:10.0.0.9:9100 does not answer"
