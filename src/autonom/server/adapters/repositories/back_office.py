"""What the back office reads across the tables: the tills with their position, last
report and settings, the receipts, the flags. Read only; the writers are elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Table, select

from autonom.contracts import StationSettingsPublic
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository
from autonom.server.adapters.repositories.heartbeat import station_settings_of


@dataclass(frozen=True)
class TillRecord:
    """A registered till: its log position, its last heartbeat report (``None``s before the
    first one) and its station settings (the defaults when none were set)."""

    till_number: int
    name: str
    registered_at: datetime
    applied_through: int
    last_push_at: datetime | None
    mode: str | None
    activity: str | None
    unsent_operations: int | None
    reported_at: datetime | None
    station_settings: StationSettingsPublic


@dataclass(frozen=True)
class ReceiptRecord:
    """A receipt as the back office lists it."""

    number: str
    ticket_id: str
    till_number: int
    total: Decimal
    closed_at: datetime
    offline: bool
    duplicate: bool


@dataclass(frozen=True)
class FlagRecord:
    """A flag as the back office lists it."""

    id: int
    till_number: int
    seq: int
    ticket_id: str | None
    code: str
    message: str
    created_at: datetime


class BackOfficeQueries(Repository):
    """The back office's lists, each one query."""

    def tills(self, *, number: int | None = None) -> list[TillRecord]:
        """Every registered till (or only ``number``) with its position, last report and
        station settings."""
        p, st, ss = t.till_positions, t.till_status, t.station_settings

        def of_till(table: Table) -> ColumnElement[bool]:
            return (table.c.store_id == t.tills.c.store_id) & (
                table.c.till_number == t.tills.c.number
            )

        query = (
            select(
                t.tills.c.number,
                t.tills.c.name,
                t.tills.c.registered_at,
                p.c.applied_through,
                p.c.last_push_at,
                st.c.mode,
                st.c.activity,
                st.c.unsent_operations,
                st.c.reported_at,
                ss.c.emergency_allowed,
                ss.c.auto_return_s,
            )
            .join(p, of_till(p))
            .outerjoin(st, of_till(st))
            .outerjoin(ss, of_till(ss))
            .where(t.tills.c.store_id == self.store_id)
            .order_by(t.tills.c.number)
        )
        if number is not None:
            query = query.where(t.tills.c.number == number)
        return [
            TillRecord(
                till_number=r.number,
                name=r.name,
                registered_at=r.registered_at,
                applied_through=r.applied_through,
                last_push_at=r.last_push_at,
                mode=r.mode,
                activity=r.activity,
                unsent_operations=r.unsent_operations,
                reported_at=r.reported_at,
                station_settings=station_settings_of(r),
            )
            for r in self.connection.execute(query)
        ]

    def receipts(self, *, till_number: int | None, day: date | None) -> list[ReceiptRecord]:
        """Receipts, optionally of one till and of one day (UTC), in closing order."""
        r = t.receipts
        query = select(r).where(r.c.store_id == self.store_id)
        if till_number is not None:
            query = query.where(r.c.till_number == till_number)
        if day is not None:
            start = datetime.combine(day, time(), tzinfo=UTC)
            query = query.where(r.c.closed_at >= start, r.c.closed_at < start + timedelta(days=1))
        rows = self.connection.execute(query.order_by(r.c.closed_at, r.c.id))
        return [
            ReceiptRecord(
                number=row.number,
                ticket_id=row.ticket_id,
                till_number=row.till_number,
                total=row.total,
                closed_at=row.closed_at,
                offline=row.offline,
                duplicate=row.duplicate,
            )
            for row in rows
        ]

    def flags(self) -> list[FlagRecord]:
        """Every flag, oldest first."""
        rows = self.connection.execute(
            select(t.flags).where(t.flags.c.store_id == self.store_id).order_by(t.flags.c.id)
        )
        return [
            FlagRecord(
                id=r.id,
                till_number=r.till_number,
                seq=r.seq,
                ticket_id=r.ticket_id,
                code=r.code,
                message=r.message,
                created_at=r.created_at,
            )
            for r in rows
        ]
