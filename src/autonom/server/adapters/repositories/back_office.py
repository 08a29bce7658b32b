"""What the back office reads across the tables: the tills with their position, last
report and settings, the receipts, the flags. Read only; the writers are elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Table, func, select

from autonom.contracts import StationSettingsPublic
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository
from autonom.server.adapters.repositories.heartbeat import station_settings_of


@dataclass(frozen=True)
class RefusalRecord:
    """The last push of a till the server refused, until a later push is applied."""

    code: str
    message: str
    refused_at: datetime


@dataclass(frozen=True)
class TillRecord:
    """A registered till: its current log (``log_number``) and the position of it, the last
    push refused (if not mended since), its last heartbeat report (``None``s before the
    first one) and its station settings (the defaults when none were set)."""

    till_number: int
    name: str
    registered_at: datetime
    log_number: int
    applied_through: int
    last_push_at: datetime | None
    last_refusal: RefusalRecord | None
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
        lg, pr, st, ss = t.till_logs, t.push_refusals, t.till_status, t.station_settings

        def of_till(table: Table) -> ColumnElement[bool]:
            return (table.c.store_id == t.tills.c.store_id) & (
                table.c.till_number == t.tills.c.number
            )

        latest = t.till_logs.alias("latest")
        current = of_till(lg) & (
            lg.c.log_number
            == select(func.max(latest.c.log_number))
            .where(
                latest.c.store_id == lg.c.store_id,
                latest.c.till_number == lg.c.till_number,
            )
            .scalar_subquery()
        )
        query = (
            select(
                t.tills.c.number,
                t.tills.c.name,
                t.tills.c.registered_at,
                lg.c.log_number,
                lg.c.applied_through,
                lg.c.last_push_at,
                pr.c.code,
                pr.c.message,
                pr.c.refused_at,
                st.c.mode,
                st.c.activity,
                st.c.unsent_operations,
                st.c.reported_at,
                ss.c.emergency_allowed,
                ss.c.auto_return_s,
            )
            .select_from(t.tills)
            .join(lg, current)
            .outerjoin(pr, of_till(pr))
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
                log_number=r.log_number,
                applied_through=r.applied_through,
                last_push_at=r.last_push_at,
                last_refusal=(
                    None
                    if r.code is None
                    else RefusalRecord(code=r.code, message=r.message, refused_at=r.refused_at)
                ),
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
