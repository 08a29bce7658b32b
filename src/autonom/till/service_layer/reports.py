"""The till's own reports (R2.8): the X report, the report of emergency mode and the day
close with its Z report, shown on the page and the API and printed as ESC/POS.

The figures are the domain's (``autonom.domain.reports``); this module reads what they need
and, for the day close, writes what it decided in one transaction: the Z report under its
number (``day_closes``), its journal entry and its outbox row (``uow.record``), so a day
close made in emergency mode is queued with its date and time and uploaded in order like
any other operation. Each use case asks the capability matrix first (X_REPORT,
OFFLINE_REPORT, DAY_CLOSE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog

from autonom.devices.printer import PrinterUnavailable, ReceiptPrinter, StoreHeader, report_text
from autonom.domain import DayClosed, reports
from autonom.domain.reports import Report, ZReport
from autonom.till.adapters.unit_of_work import Clock
from autonom.till.domain.capabilities import Availability, Function
from autonom.till.service_layer.capabilities import Capabilities
from autonom.till.service_layer.commands import CloseDay
from autonom.till.service_layer.handlers import SalesMode, new_id
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork

log = structlog.get_logger(__name__)


def close_day(cmd: CloseDay, uow: TillUnitOfWork, *, mode: SalesMode) -> ZReport:
    """Close the day: the next Z number, the figures of the receipts since the last day
    close, kept and logged in one transaction (number and report together or not at all).

    Refused while tickets of this till are open (OPEN_TICKETS) and, as a receipt is, while
    an outage waits for the cashier's decision (R1.4); in emergency mode it is marked
    offline, from the same hold of the mode, kept until COMMIT."""
    with mode.selling() as offline, uow:
        uow.master_data.operator(cmd.operator_number)
        start = uow.day_closes.period_start()
        report = reports.close_day(
            start,
            uow.receipts.after(start.receipts_through),
            open_tickets=uow.tickets.count_own_open(uow.till_number),
            document_id=new_id(),
            till_number=uow.till_number,
            operator_number=cmd.operator_number,
            at=uow.now(),
            offline=offline,
        )
        uow.day_closes.add(report)
        uow.record(report.event())
        uow.commit()
    log.info("day closed", z_number=report.z_number, offline=report.offline)
    return report


@dataclass
class Reports:
    """The reports of one till, wired once (``bootstrap``); the page and the API call these."""

    unit_of_work: Callable[[], TillUnitOfWork]
    reading: Callable[[], TillReadUnitOfWork]
    mode: SalesMode
    capabilities: Capabilities
    printer: ReceiptPrinter
    header: StoreHeader
    till_number: int
    clock: Clock

    def x_report(self) -> Report:
        """The interim report: the receipts since the last day close; closes nothing."""
        self.capabilities.require(Function.X_REPORT)
        with self.reading() as uow:
            start = uow.day_closes.period_start()
            receipts = uow.receipts.after(start.receipts_through)
        return reports.x_report(start, receipts, till_number=self.till_number, at=self.clock())

    def offline_report(self) -> Report:
        """The report of emergency mode (seed 000, "17 Bericht"): the receipts made offline
        since the last day close, the lines voided on them, payments by method, and what the
        server has not confirmed yet."""
        self.capabilities.require(Function.OFFLINE_REPORT)
        with self.reading() as uow:
            start = uow.day_closes.period_start()
            receipts = uow.receipts.after(start.receipts_through)
            unsent_count = uow.outbox.unsent_count()
            unsent_receipts = uow.outbox.unsent_receipt_numbers()
        return reports.offline_report(
            start,
            receipts,
            till_number=self.till_number,
            at=self.clock(),
            unsent_count=unsent_count,
            unsent_receipts=unsent_receipts,
        )

    def day_close(self, operator_number: int) -> ZReport:
        """Close the day with a Z report (see ``close_day``); print it with ``print``."""
        self.capabilities.require(Function.DAY_CLOSE)
        return close_day(CloseDay(operator_number), self.unit_of_work(), mode=self.mode)

    def day_close_availability(self) -> Availability:
        """Whether a day close is possible now, and what differs (the page's button)."""
        return self.capabilities.now(Function.DAY_CLOSE)

    def unsent_day_closes(self) -> set[str]:
        """The document ids of the day closes the server has not confirmed yet (R2.7)."""
        with self.reading() as uow:
            unsent = uow.outbox.unsent_documents(limit=uow.outbox.unsent_count())
        return {d.document_id for d in unsent if d.kind == DayClosed.kind}

    def day_closes(self, limit: int = 100) -> list[ZReport]:
        """The latest day closes, newest first."""
        with self.reading() as uow:
            return uow.day_closes.recent(limit)

    def day_close_report(self, z_number: int) -> ZReport:
        """One day close's Z report (404 NOT_FOUND)."""
        with self.reading() as uow:
            return uow.day_closes.get(z_number)

    def lines(self, report: Report) -> list[str]:
        """The report's lines exactly as the printer prints them."""
        return report_text(report, self.header)

    def print(self, report: Report) -> str | None:
        """Print ``report``; None when printed, else why not. A failure undoes nothing."""
        try:
            self.printer.print_lines(self.lines(report))
        except PrinterUnavailable as error:
            log.warning("printer unavailable", report=report.kind.value, error=str(error))
            return str(error)
        return None
