"""The sync report on the till (R3.3): when a reintegration is done (everything of emergency
mode is on the server, the till live again) the till asks the server for the report of
what it did and prints it on its printer, the front-office printer of its station. The
server builds and keeps it (the back office shows it); the till only asks and prints.

Asked on the uploader's thread after a push round, until the server answers: the request
carries an id made by the till, so asking again gets the same report, never a second one.
A till restarted before it got its report asks nothing more (the back office has it).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import structlog

from autonom.contracts import SyncReportRequest
from autonom.devices.printer import (
    PrinterUnavailable,
    ReceiptPrinter,
    StoreHeader,
    sync_report_text,
)
from autonom.domain import Refusal
from autonom.domain.sync_report import SyncReport
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork

log = structlog.get_logger(__name__)

# A till whose log never recorded an outage reports from its first operation.
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


class SyncReportSource(Protocol):
    """The server's side (``ServerLink``)."""

    def sync_report(self, request: SyncReportRequest) -> SyncReport: ...


class OutageLog(Protocol):
    """When the latest outage began (``StationStore``)."""

    def outage_began(self) -> datetime | None: ...


class SyncReports:
    """See the module docstring; safe to call from any thread."""

    def __init__(
        self,
        *,
        reading: Callable[[], TillReadUnitOfWork],
        station: OutageLog,
        server: SyncReportSource,
        printer: ReceiptPrinter,
        header: StoreHeader,
        wake: Callable[[], object] = lambda: None,
    ) -> None:
        self._reading = reading
        self._station = station
        self._server = server
        self._printer = printer
        self._header = header
        self._wake = wake
        self._lock = threading.Lock()
        self._pending: SyncReportRequest | None = None
        self._last: SyncReport | None = None
        self.printer_problem: str | None = None

    def due(self) -> None:
        """The reintegration is done: ask for its report (on the next push round)."""
        since = self._station.outage_began() or BEGINNING
        with self._reading() as uow:
            first, through = uow.outbox.span_since(since)
        with self._lock:
            if self._pending is None:
                self._pending = SyncReportRequest(
                    report_id=uuid.uuid4(),
                    since=since,
                    first_seq=max(first, 1),
                    through_seq=through,
                )
        self._wake()

    def deliver(self) -> None:
        """Ask the server for the pending report and print it; kept pending if the server
        does not answer (asked again after the next push round)."""
        with self._lock:
            pending = self._pending
        if pending is None:
            return
        try:
            report = self._server.sync_report(pending)
        except (ServerUnreachable, Refusal) as problem:
            log.info("sync report not fetched yet", problem=str(problem))
            return
        try:
            self._printer.print_lines(sync_report_text(report, self._header))
            not_printed = None
        except PrinterUnavailable as error:
            log.warning("sync report not printed", error=str(error))
            not_printed = str(error)
        with self._lock:  # shown once printed (or known not to be)
            self._pending = None
            self._last = report
            self.printer_problem = not_printed
        log.info(
            "sync report printed",
            report_id=report.report_id,
            merged=len(report.merged),
            conflicts=len(report.conflicts),
        )

    def last(self) -> SyncReport | None:
        """The latest report this till got since it started."""
        return self._last

    def lines(self, report: SyncReport) -> list[str]:
        """The report's lines exactly as printed."""
        return sync_report_text(report, self._header)
