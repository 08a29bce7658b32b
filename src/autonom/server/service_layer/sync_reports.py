"""The sync report (R3.3): built on the server when a till has pushed everything of a
reintegration, from what its operations did; kept, listed in the back office, and
answered to the till, which prints it on the front-office printer. Asking again with the
same ``report_id`` answers the report kept (a lost answer costs nothing)."""

from __future__ import annotations

from datetime import datetime

from autonom.contracts import SyncReportRequest
from autonom.domain import Refusal, errors
from autonom.domain.sync_report import SyncReport
from autonom.server.adapters import SqlUnitOfWork, SyncReportRecord
from autonom.server.domain import ReportScope, build_sync_report, follow_up_id


def make_sync_report(
    *, uow: SqlUnitOfWork, till_number: int, request: SyncReportRequest, now: datetime
) -> SyncReport:
    """The report of the till's reintegration ``request`` names, built and kept once."""
    report_id = str(request.report_id)
    with uow:
        kept_by = uow.sync_reports.till_of(report_id)
        if kept_by is not None:
            if kept_by != till_number:
                raise Refusal(errors.WRONG_TILL, "That sync report is another till's.", status=403)
            kept = uow.sync_reports.get(report_id)
            assert kept is not None
            return kept
        # Never past what the server holds of the till's (current) log: the report says what
        # was done.
        log = uow.tills.log(till_number)
        assert log is not None  # every registered till has one
        through = min(request.through_seq, log.applied_through)
        first = min(request.first_seq, through + 1)
        scope = ReportScope(report_id, till_number, first, through, request.since)
        history = uow.sync_reports.ticket_history(till_number, log.log_number, first, through)
        touched, applied = uow.sync_reports.touched(till_number, log.log_number, first, through)
        touched |= {follow_up_id(ticket_id) for ticket_id in touched}
        named = {r.event.ticket_id for r in history}
        tickets = {t.ticket_id: t for t in (uow.tickets.get(i) for i in sorted(named)) if t}
        off_count, off_total = uow.sync_reports.off_bookings(till_number, request.since)
        report = build_sync_report(
            scope,
            made_at=now,
            history=history,
            tickets=tickets,
            off_bookings=uow.sync_reports.off_on_open_tickets(till_number, request.since),
            off_count=off_count,
            off_total=off_total,
            conflicts=uow.sync_reports.conflicts(till_number, first, through, touched, applied),
        )
        uow.sync_reports.add(report)
        uow.commit()
    return report


def list_sync_reports(*, uow: SqlUnitOfWork, till_number: int | None) -> list[SyncReportRecord]:
    """The sync reports kept, newest first (R3.3)."""
    with uow:
        return uow.sync_reports.recent(till_number=till_number)


def get_sync_report(*, uow: SqlUnitOfWork, report_id: str) -> SyncReport:
    with uow:
        report = uow.sync_reports.get(report_id)
    if report is None:
        raise Refusal(errors.SYNC_REPORT_NOT_FOUND, f"There is no sync report {report_id}.", 404)
    return report
