"""What tills and the back office read: shared tickets, receipts, flags."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from autonom.contracts import TicketPublic
from autonom.domain import Refusal, TicketStatus, errors
from autonom.server.adapters import FlagRecord, ReceiptRecord, SqlUnitOfWork
from autonom.server.domain.day_report import DayReport
from autonom.server.domain.day_report import day_report as report_of_day


def find_tickets(
    *, uow: SqlUnitOfWork, status: TicketStatus | None, table: int | None
) -> list[TicketPublic]:
    """Tickets as the server merged them, e.g. the open ticket of a table (live mode)."""
    with uow:
        return uow.tickets.find(status=status.value if status else None, table=table)


def get_ticket(*, uow: SqlUnitOfWork, ticket_id: str) -> TicketPublic:
    with uow:
        ticket = uow.tickets.get(ticket_id)
    if ticket is None:
        raise Refusal(errors.TICKET_NOT_FOUND, f"The server has no ticket {ticket_id}.", 404)
    return ticket


def find_receipts(
    *, uow: SqlUnitOfWork, till_number: int | None, day: date | None
) -> list[ReceiptRecord]:
    """Receipts, optionally of one till and of one day (UTC)."""
    with uow:
        return uow.back_office.receipts(till_number=till_number, day=day)


def day_report(*, uow: SqlUnitOfWork, day: date) -> DayReport:
    """The store's day (UTC) from every receipt the server holds, those a till uploaded
    when it reintegrated after an outage included (R3.4)."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    with uow:
        closed = uow.receipts.closed_between(start, start + timedelta(days=1))
    return report_of_day(day, closed)


def list_flags(*, uow: SqlUnitOfWork) -> list[FlagRecord]:
    """Everything the server accepted but a person should look at (invariant 6)."""
    with uow:
        return uow.back_office.flags()
