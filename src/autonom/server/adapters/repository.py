"""Repositories: the only code that knows the tables. Each works on the unit of work's
connection and on one store (invariant 9), and speaks in domain objects, contracts or
small records, never in rows."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from autonom.contracts import (
    BOOKINGS,
    EVENT_ADAPTER,
    BookingPublic,
    ModeEventIn,
    ModeEventPublic,
    Operation,
    StationSettingsPublic,
    TicketPublic,
)
from autonom.domain import Event, Item, Operator, Role, TaxRate, Ticket, TicketClosed
from autonom.server.adapters import tables as t


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
    number: str
    ticket_id: str
    till_number: int
    total: Decimal
    closed_at: datetime
    offline: bool
    duplicate: bool


@dataclass(frozen=True)
class FlagRecord:
    id: int
    till_number: int
    seq: int
    ticket_id: str | None
    code: str
    message: str
    created_at: datetime


def _insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both engines spell it the same)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _upsert(connection: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert or update by primary key; True when the row was new."""
    key = {c.name: values[c.name] for c in table.primary_key.columns}
    where = [table.c[name] == value for name, value in key.items()]
    existed = connection.execute(select(*table.primary_key.columns).where(*where)).first()
    statement = _insert(connection, table).values(**values)
    changes = {k: v for k, v in values.items() if k not in key}
    connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=changes))
    return existed is None


class Repository:
    def __init__(self, connection: Connection, store_id: int) -> None:
        self.connection = connection
        self.store_id = store_id

    def _is_postgresql(self) -> bool:
        return self.connection.dialect.name == "postgresql"


class TillRepository(Repository):
    def add(self, *, number: int, name: str, credential_hash: str, at: datetime) -> bool:
        """Register a till at position 0; False when the number is already taken."""
        taken = self.connection.execute(
            select(t.tills.c.number).where(
                t.tills.c.store_id == self.store_id, t.tills.c.number == number
            )
        ).first()
        if taken is not None:
            return False
        try:
            with self.connection.begin_nested():
                self.connection.execute(
                    t.tills.insert().values(
                        store_id=self.store_id,
                        number=number,
                        name=name,
                        credential_hash=credential_hash,
                        registered_at=at,
                    )
                )
        except IntegrityError:  # registered by a concurrent request a moment ago
            return False
        position = _insert(self.connection, t.till_positions).values(
            store_id=self.store_id, till_number=number, applied_through=0
        )
        # A till that was registered before keeps its position (its log continues).
        self.connection.execute(position.on_conflict_do_nothing())
        return True

    def set_credential(self, number: int, credential_hash: str) -> bool:
        result = self.connection.execute(
            update(t.tills)
            .where(t.tills.c.store_id == self.store_id, t.tills.c.number == number)
            .values(credential_hash=credential_hash)
        )
        return result.rowcount == 1

    def number_for_credential(self, credential_hash: str) -> int | None:
        number = self.connection.execute(
            select(t.tills.c.number).where(
                t.tills.c.store_id == self.store_id,
                t.tills.c.credential_hash == credential_hash,
            )
        ).scalar()
        return None if number is None else int(number)

    def list(self, *, number: int | None = None) -> list[TillRecord]:
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
                station_settings=_station_settings(r),
            )
            for r in self.connection.execute(query)
        ]

    def position(self, number: int, *, lock: bool = False) -> int:
        """The highest sequence applied for the till; ``lock`` holds its row to commit."""
        p = t.till_positions
        query = select(p.c.applied_through).where(
            p.c.store_id == self.store_id, p.c.till_number == number
        )
        if lock:
            query = query.with_for_update()  # PostgreSQL; SQLite's BEGIN IMMEDIATE did it
        applied = self.connection.execute(query).scalar()
        return int(applied or 0)

    def advance(self, number: int, *, applied_through: int, at: datetime) -> None:
        p = t.till_positions
        self.connection.execute(
            update(p)
            .where(p.c.store_id == self.store_id, p.c.till_number == number)
            .values(applied_through=applied_through, last_push_at=at)
        )


class OperationRepository(Repository):
    def op_ids_at(self, till_number: int, seqs: Sequence[int]) -> dict[int, str]:
        """The op_id stored at each of ``seqs`` for the till (absent seqs are left out)."""
        o = t.operations
        rows = self.connection.execute(
            select(o.c.seq, o.c.op_id).where(
                o.c.store_id == self.store_id, o.c.till_number == till_number, o.c.seq.in_(seqs)
            )
        )
        return {r.seq: r.op_id for r in rows}

    def stored_op_ids(self, op_ids: Sequence[str]) -> set[str]:
        o = t.operations
        rows = self.connection.execute(
            select(o.c.op_id).where(o.c.store_id == self.store_id, o.c.op_id.in_(op_ids))
        )
        return {r.op_id for r in rows}

    def add(self, till_number: int, operation: Operation, *, at: datetime) -> None:
        event = operation.event
        self.connection.execute(
            t.operations.insert().values(
                store_id=self.store_id,
                till_number=till_number,
                seq=operation.seq,
                op_id=str(operation.op_id),
                kind=event.kind,
                ticket_id=event.ticket_id,
                recorded_at=operation.recorded_at,
                applied_at=at,
                payload=EVENT_ADAPTER.dump_json(event).decode(),
            )
        )

    def events_of(self, ticket_id: str) -> list[Event]:
        """The ticket's events in the order the server applied them."""
        o = t.operations
        rows = self.connection.execute(
            select(o.c.payload)
            .where(o.c.store_id == self.store_id, o.c.ticket_id == ticket_id)
            .order_by(o.c.id)
        )
        return [EVENT_ADAPTER.validate_json(r.payload) for r in rows]


class TicketRepository(Repository):
    def lock(self, ticket_ids: Iterable[str]) -> None:
        """Serialise pushes from different tills that touch the same tickets (shared tables).

        Sorted, so two pushes never wait on each other crosswise. SQLite needs nothing:
        its writers already take turns.
        """
        if not self._is_postgresql():
            return
        for ticket_id in sorted(set(ticket_ids)):
            key = zlib.crc32(f"{self.store_id}/{ticket_id}".encode())
            self.connection.execute(select(func.pg_advisory_xact_lock(key)))

    def get(self, ticket_id: str) -> TicketPublic | None:
        row = self.connection.execute(
            select(t.tickets).where(
                t.tickets.c.store_id == self.store_id, t.tickets.c.ticket_id == ticket_id
            )
        ).first()
        return None if row is None else _ticket_public(row._mapping)

    def find(self, *, status: str | None, table: int | None) -> list[TicketPublic]:
        tk = t.tickets
        query = select(tk).where(tk.c.store_id == self.store_id)
        if status is not None:
            query = query.where(tk.c.status == status)
        if table is not None:
            query = query.where(tk.c.table_number == table)
        rows = self.connection.execute(query.order_by(tk.c.opened_at, tk.c.ticket_id))
        return [_ticket_public(r._mapping) for r in rows]

    def save(self, ticket: Ticket) -> None:
        """Write the projection of a ticket rebuilt from its events."""
        receipt = ticket.receipt
        bookings = BOOKINGS.dump_json([BookingPublic.of(b) for b in ticket.bookings]).decode()
        _upsert(
            self.connection,
            t.tickets,
            {
                "store_id": self.store_id,
                "ticket_id": ticket.ticket_id,
                "table_number": ticket.table,
                "till_number": ticket.till_number,
                "owner": ticket.owner,
                "status": ticket.status.value,
                "total": receipt.total if receipt else ticket.total,
                "receipt_number": receipt.number if receipt else None,
                "opened_at": ticket.opened_at,
                "closed_at": receipt.closed_at if receipt else None,
                "bookings": bookings,
            },
        )


def _ticket_public(row: Any) -> TicketPublic:
    return TicketPublic(
        ticket_id=row["ticket_id"],
        table=row["table_number"],
        till_number=row["till_number"],
        owner=row["owner"],
        opened_at=row["opened_at"],
        status=row["status"],
        total=row["total"],
        receipt_number=row["receipt_number"],
        bookings=BOOKINGS.validate_json(row["bookings"]),
    )


class ReceiptRepository(Repository):
    def number_used(self, number: str) -> bool:
        r = t.receipts
        found = self.connection.execute(
            select(r.c.id).where(r.c.store_id == self.store_id, r.c.number == number).limit(1)
        ).first()
        return found is not None

    def add(self, event: TicketClosed, *, duplicate: bool) -> None:
        self.connection.execute(
            t.receipts.insert().values(
                store_id=self.store_id,
                number=event.receipt_number,
                ticket_id=event.ticket_id,
                till_number=event.till_number,
                total=event.total,
                closed_at=event.closed_at,
                offline=event.offline,
                duplicate=duplicate,
                payload=EVENT_ADAPTER.dump_json(event).decode(),
            )
        )

    def list(self, *, till_number: int | None, day: date | None) -> list[ReceiptRecord]:
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


class FlagRepository(Repository):
    def add(
        self, *, till_number: int, seq: int, ticket_id: str | None, code: str, message: str
    ) -> None:
        self.connection.execute(
            t.flags.insert().values(
                store_id=self.store_id,
                till_number=till_number,
                seq=seq,
                ticket_id=ticket_id,
                code=code,
                message=message,
                created_at=datetime.now(UTC),
            )
        )

    def list(self) -> list[FlagRecord]:
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


def _station_settings(row: Any) -> StationSettingsPublic:
    """The settings of a (possibly outer-joined) row; no row means the defaults."""
    if row.emergency_allowed is None:
        return StationSettingsPublic()
    return StationSettingsPublic(
        emergency_allowed=row.emergency_allowed, auto_return_s=row.auto_return_s
    )


class StationSettingsRepository(Repository):
    def get(self, till_number: int) -> StationSettingsPublic:
        """The till's settings; the defaults when none were set."""
        ss = t.station_settings
        row = self.connection.execute(
            select(ss.c.emergency_allowed, ss.c.auto_return_s).where(
                ss.c.store_id == self.store_id, ss.c.till_number == till_number
            )
        ).first()
        return StationSettingsPublic() if row is None else _station_settings(row)

    def put(self, till_number: int, settings: StationSettingsPublic, *, at: datetime) -> None:
        _upsert(
            self.connection,
            t.station_settings,
            {
                "store_id": self.store_id,
                "till_number": till_number,
                "emergency_allowed": settings.emergency_allowed,
                "auto_return_s": settings.auto_return_s,
                "updated_at": at,
            },
        )


class TillStatusRepository(Repository):
    def record(
        self, till_number: int, *, mode: str, activity: str, unsent_operations: int, at: datetime
    ) -> int:
        """Keep the till's latest report and return the highest event seq held for it.

        The upsert keeps the till's status row locked to commit: a second process receiving
        the same report waits here, then reads what the first one stored (PostgreSQL: the
        upsert's row lock, and the next statement sees the first one's events; SQLite:
        BEGIN IMMEDIATE).
        """
        st = t.till_status
        report = {
            "mode": mode,
            "activity": activity,
            "unsent_operations": unsent_operations,
            "reported_at": at,
        }
        statement = _insert(self.connection, st).values(
            store_id=self.store_id, till_number=till_number, **report
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[st.c.store_id, st.c.till_number], set_=report
            )
        )
        me = t.mode_events
        held = self.connection.execute(
            select(func.coalesce(func.max(me.c.seq), 0)).where(
                me.c.store_id == self.store_id, me.c.till_number == till_number
            )
        ).scalar_one()
        return int(held)


class ModeEventRepository(Repository):
    def add(self, till_number: int, events: Sequence[ModeEventIn], *, at: datetime) -> None:
        """Store ``events`` of the till, received at ``at``."""
        self.connection.execute(
            t.mode_events.insert(),
            [
                {
                    "store_id": self.store_id,
                    "till_number": till_number,
                    "seq": event.seq,
                    "at": event.at,
                    "link": event.link,
                    "words": event.words,
                    "state": event.state,
                    "received_at": at,
                }
                for event in events
            ],
        )

    def list(self, till_number: int, *, limit: int) -> list[ModeEventPublic]:
        """The till's latest ``limit`` events, newest first."""
        me = t.mode_events
        rows = self.connection.execute(
            select(me)
            .where(me.c.store_id == self.store_id, me.c.till_number == till_number)
            .order_by(me.c.seq.desc())
            .limit(limit)
        )
        return [
            ModeEventPublic(
                till_number=r.till_number,
                seq=r.seq,
                at=r.at,
                link=r.link,
                words=r.words,
                state=r.state,
                received_at=r.received_at,
            )
            for r in rows
        ]


class MasterDataRepository(Repository):
    def version(self) -> int:
        s = t.stores
        version = self.connection.execute(
            select(s.c.master_data_version).where(s.c.store_id == self.store_id)
        ).scalar()
        return int(version or 0)

    def bump_version(self) -> int:
        """Count one more change; a till refreshes its snapshot when the version moved."""
        s = t.stores
        self.connection.execute(
            update(s)
            .where(s.c.store_id == self.store_id)
            .values(master_data_version=s.c.master_data_version + 1)
        )
        return self.version()

    def tax_rate(self, code: str) -> TaxRate | None:
        r = t.tax_rates
        row = self.connection.execute(
            select(r).where(r.c.store_id == self.store_id, r.c.code == code)
        ).first()
        return None if row is None else TaxRate(code=row.code, percent=row.percent, name=row.name)

    def tax_rates(self) -> list[TaxRate]:
        r = t.tax_rates
        rows = self.connection.execute(
            select(r).where(r.c.store_id == self.store_id).order_by(r.c.code)
        )
        return [TaxRate(code=row.code, percent=row.percent, name=row.name) for row in rows]

    def put_tax_rate(self, rate: TaxRate) -> bool:
        """Insert or update; True when the rate is new."""
        values = {"code": rate.code, "percent": rate.percent, "name": rate.name}
        return _upsert(self.connection, t.tax_rates, {"store_id": self.store_id, **values})

    def items(self) -> list[Item]:
        i = t.items
        rows = self.connection.execute(
            select(i).where(i.c.store_id == self.store_id).order_by(i.c.plu)
        )
        return [
            Item(plu=r.plu, name=r.name, price=r.price, tax_code=r.tax_code, active=r.active)
            for r in rows
        ]

    def put_item(self, item: Item) -> bool:
        """Insert or update; True when the item is new."""
        values = {
            "plu": item.plu,
            "name": item.name,
            "price": item.price,
            "tax_code": item.tax_code,
            "active": item.active,
        }
        return _upsert(self.connection, t.items, {"store_id": self.store_id, **values})

    def operators(self) -> list[Operator]:
        o = t.operators
        rows = self.connection.execute(
            select(o).where(o.c.store_id == self.store_id).order_by(o.c.number)
        )
        return [
            Operator(number=r.number, name=r.name, role=Role(r.role), pin_hash=r.pin_hash)
            for r in rows
        ]

    def put_operator(self, operator: Operator) -> bool:
        """Insert or update; True when the operator is new."""
        values = {
            "number": operator.number,
            "name": operator.name,
            "role": operator.role.value,
            "pin_hash": operator.pin_hash,
        }
        return _upsert(self.connection, t.operators, {"store_id": self.store_id, **values})


__all__ = [
    "FlagRecord",
    "FlagRepository",
    "MasterDataRepository",
    "ModeEventRepository",
    "OperationRepository",
    "ReceiptRecord",
    "ReceiptRepository",
    "StationSettingsRepository",
    "TicketRepository",
    "TillRecord",
    "TillRepository",
    "TillStatusRepository",
]
