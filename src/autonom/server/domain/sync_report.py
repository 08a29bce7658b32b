"""The sync report of one reintegration (R3.3), built from what that till's operations did
on the server: pure, from the operations of the covered part of its log and what the
server holds now. The service layer reads them (``service_layer/sync_reports.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from autonom.contracts import TicketPublic
from autonom.domain import BookingsMovedIn, OwnerChanged, TicketClosed, TicketOpened
from autonom.domain.money import ZERO
from autonom.domain.sync_report import (
    ReportedBooking,
    ReportedConflict,
    ReportedMerge,
    ReportedOwner,
    ReportedTicket,
    SyncReport,
)
from autonom.server.domain.projection import Recorded


@dataclass(frozen=True)
class ReportScope:
    """Which reintegration: the till, the part of its log, when its outage began."""

    report_id: str
    till_number: int
    first_seq: int
    through_seq: int
    since: datetime


def build_sync_report(
    scope: ReportScope,
    *,
    made_at: datetime,
    history: Sequence[Recorded],
    tickets: Mapping[str, TicketPublic],
    off_bookings: Sequence[ReportedBooking],
    off_count: int,
    off_total: Decimal,
    conflicts: Sequence[ReportedConflict],
) -> SyncReport:
    """The report of ``scope`` from the till's ticket operations in it (``history``: the
    openings, closes, moves in and owner changes), the tickets they name as the server
    holds them now (``tickets``), its ``OFF`` bookings (``off_count``, ``off_total``; those
    on open tickets in ``off_bookings``) and the flags on them (``conflicts``)."""
    events = [r.event for r in history]
    moved_in: dict[tuple[str, str], int] = {}
    for event in events:
        if isinstance(event, BookingsMovedIn):
            key = (event.from_ticket_id, event.ticket_id)
            moved_in[key] = moved_in.get(key, 0) + len(event.bookings)
    changes = [e for e in events if isinstance(e, OwnerChanged)]
    merges: list[ReportedMerge] = []
    for change in changes:
        if change.merged_from is None:
            continue
        merges.append(
            ReportedMerge(
                merged_ticket_id=change.merged_from,
                into_ticket_id=change.ticket_id,
                table=_table(tickets, change.ticket_id),
                lines=moved_in.get((change.merged_from, change.ticket_id), 0),
                owner=change.owner,
                total=tickets[change.ticket_id].total if change.ticket_id in tickets else ZERO,
            )
        )
    merged = tuple(merges)
    gone = {m.merged_ticket_id for m in merged}
    moved = tuple(
        ReportedTicket(
            ticket_id=event.ticket_id,
            table=event.table,
            total=tickets[event.ticket_id].total,
            off_lines=sum(b.offline for b in tickets[event.ticket_id].bookings),
            owner=tickets[event.ticket_id].owner,
        )
        for event in events
        if isinstance(event, TicketOpened)
        and event.offline
        and event.ticket_id not in gone
        and event.ticket_id in tickets
        and tickets[event.ticket_id].status == "open"
    )
    closes = [e for e in events if isinstance(e, TicketClosed) and e.offline]
    return SyncReport(
        report_id=scope.report_id,
        till_number=scope.till_number,
        made_at=made_at,
        since=scope.since,
        first_seq=scope.first_seq,
        through_seq=scope.through_seq,
        moved=moved,
        merged=merged,
        owners_changed=tuple(
            ReportedOwner(c.ticket_id, _table(tickets, c.ticket_id), c.owner) for c in changes
        ),
        off_bookings=off_count,
        off_total=off_total,
        off_on_open_tickets=tuple(off_bookings),
        offline_receipts=len(closes),
        offline_receipts_total=sum((c.total for c in closes), ZERO),
        conflicts=tuple(conflicts),
    )


def _table(tickets: Mapping[str, TicketPublic], ticket_id: str) -> int | None:
    ticket = tickets.get(ticket_id)
    return ticket.table if ticket is not None else None
