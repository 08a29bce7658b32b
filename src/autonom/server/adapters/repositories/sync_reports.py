"""The sync reports (R3.3) and what one is built from: a till's ticket operations in a part
of its log, its OFF bookings, the flags on them. Read in a few set-wise queries; the
report itself is kept as the JSON the till printed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from autonom.contracts import EVENT_ADAPTER, SYNC_REPORT
from autonom.domain.events import TICKET_EVENTS
from autonom.domain.money import ZERO
from autonom.domain.sync_report import ReportedBooking, ReportedConflict, SyncReport
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository
from autonom.server.domain import Recorded

# The operations a report reads whole; the rest (bookings above all) it only counts.
REPORTED_KINDS = ("ticket_opened", "ticket_closed", "bookings_moved_in", "owner_changed")


@dataclass(frozen=True)
class SyncReportRecord:
    """A kept report as the back office lists it."""

    report_id: str
    till_number: int
    made_at: datetime
    first_seq: int
    through_seq: int
    conflicts: int


class SyncReportRepository(Repository):
    """Kept sync reports, and the reads a new one is built from."""

    def get(self, report_id: str) -> SyncReport | None:
        r = t.sync_reports
        row = self.connection.execute(
            select(r.c.payload).where(r.c.store_id == self.store_id, r.c.report_id == report_id)
        ).first()
        return None if row is None else SYNC_REPORT.validate_json(row.payload)

    def till_of(self, report_id: str) -> int | None:
        r = t.sync_reports
        number = self.connection.execute(
            select(r.c.till_number).where(r.c.store_id == self.store_id, r.c.report_id == report_id)
        ).scalar()
        return None if number is None else int(number)

    def add(self, report: SyncReport) -> None:
        self.connection.execute(
            t.sync_reports.insert().values(
                store_id=self.store_id,
                report_id=report.report_id,
                till_number=report.till_number,
                first_seq=report.first_seq,
                through_seq=report.through_seq,
                since=report.since,
                made_at=report.made_at,
                conflicts=len(report.conflicts),
                payload=SYNC_REPORT.dump_json(report).decode(),
            )
        )

    def recent(self, *, till_number: int | None, limit: int = 200) -> list[SyncReportRecord]:
        """The reports, newest first, optionally of one till."""
        r = t.sync_reports
        query = select(r).where(r.c.store_id == self.store_id)
        if till_number is not None:
            query = query.where(r.c.till_number == till_number)
        rows = self.connection.execute(query.order_by(r.c.made_at.desc()).limit(limit))
        return [
            SyncReportRecord(
                report_id=row.report_id,
                till_number=row.till_number,
                made_at=row.made_at,
                first_seq=row.first_seq,
                through_seq=row.through_seq,
                conflicts=row.conflicts,
            )
            for row in rows
        ]

    # -- what a report is built from ------------------------------------------------------

    def ticket_history(
        self, till_number: int, log_number: int, first: int, through: int
    ) -> list[Recorded]:
        """The openings, closes, moves in and owner changes in ``first``–``through`` of the
        till's log ``log_number``."""
        o = t.operations
        rows = self.connection.execute(
            select(o.c.till_number, o.c.seq, o.c.recorded_at, o.c.op_id, o.c.payload)
            .where(
                o.c.store_id == self.store_id,
                o.c.till_number == till_number,
                o.c.log_number == log_number,
                o.c.seq.between(first, through),
                o.c.kind.in_(REPORTED_KINDS),
            )
            .order_by(o.c.seq)
        )
        history = []
        for row in rows:
            event = EVENT_ADAPTER.validate_json(row.payload)
            assert isinstance(event, TICKET_EVENTS)
            history.append(Recorded(event, row.till_number, row.seq, row.recorded_at, row.op_id))
        return history

    def touched(
        self, till_number: int, log_number: int, first: int, through: int
    ) -> tuple[set[str], datetime | None]:
        """The documents the operations ``first``–``through`` of the till's log
        ``log_number`` touched, and when the first of them was applied."""
        o = t.operations
        where = (
            o.c.store_id == self.store_id,
            o.c.till_number == till_number,
            o.c.log_number == log_number,
            o.c.seq.between(first, through),
        )
        ids = {
            row[0]
            for row in self.connection.execute(select(o.c.document_id).where(*where).distinct())
        }
        applied = self.connection.execute(select(func.min(o.c.applied_at)).where(*where)).scalar()
        return ids, applied

    def off_bookings(self, till_number: int, since: datetime) -> tuple[int, Decimal]:
        """How many lines the till booked offline since ``since`` (its time), and their
        amount, wherever they are now (merged, moved, paid)."""
        tb = t.ticket_bookings
        count, total = 0, ZERO
        for row in self.connection.execute(
            select(tb.c.quantity, tb.c.unit_price, tb.c.void_reason).where(
                tb.c.store_id == self.store_id,
                tb.c.till_number == till_number,
                tb.c.offline.is_(True),
                tb.c.booked_at >= since,
            )
        ):
            count += 1
            if row.void_reason is None:
                total += row.unit_price * row.quantity
        return count, total

    def off_on_open_tickets(self, till_number: int, since: datetime) -> list[ReportedBooking]:
        """The till's live OFF lines since ``since`` that wait on open tickets now."""
        tk, tb = t.tickets, t.ticket_bookings
        rows = self.connection.execute(
            select(tb, tk.c.table_number)
            .join(tk, (tk.c.store_id == tb.c.store_id) & (tk.c.ticket_id == tb.c.ticket_id))
            .where(
                tk.c.store_id == self.store_id,
                tk.c.status == "open",
                tb.c.till_number == till_number,
                tb.c.offline.is_(True),
                tb.c.void_reason.is_(None),
                tb.c.booked_at >= since,
            )
            .order_by(tk.c.table_number, tb.c.ticket_id, tb.c.line)
        )
        return [
            ReportedBooking(
                booking_id=row.booking_id,
                ticket_id=row.ticket_id,
                table=row.table_number,
                name=row.name,
                quantity=row.quantity,
                amount=row.unit_price * row.quantity,
            )
            for row in rows
        ]

    def conflicts(
        self,
        till_number: int,
        first: int,
        through: int,
        ticket_ids: Iterable[str],
        after: datetime | None,
    ) -> list[ReportedConflict]:
        """The flags on the till's operations ``first``–``through`` or on the tickets
        they touched, raised since ``after`` (the first of them applied)."""
        f = t.flags
        query = select(f).where(f.c.store_id == self.store_id)
        if after is not None:
            query = query.where(f.c.created_at >= after)
        ids = set(ticket_ids)
        return [
            ReportedConflict(
                code=row.code,
                message=row.message,
                ticket_id=row.ticket_id,
                till_number=row.till_number,
                seq=row.seq,
            )
            for row in self.connection.execute(query.order_by(f.c.id))
            if (row.till_number == till_number and first <= row.seq <= through)
            or row.ticket_id in ids
        ]
