"""Repositories: the only code that knows the tables. Each works on the unit of work's
connection and on one store (invariant 9), and speaks in domain objects, contracts or
small records, never in rows."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from autonom.contracts import EVENT_ADAPTER, BookingPublic, Operation, TicketPublic
from autonom.domain import Event, Item, Operator, Role, TaxRate, Ticket, TicketClosed
from autonom.server.adapters import tables as t


@dataclass(frozen=True)
class TillRecord:
    till_number: int
    name: str
    registered_at: datetime
    applied_through: int
    last_push_at: datetime | None


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

    def list(self) -> list[TillRecord]:
        p = t.till_positions
        rows = self.connection.execute(
            select(
                t.tills.c.number,
                t.tills.c.name,
                t.tills.c.registered_at,
                p.c.applied_through,
                p.c.last_push_at,
            )
            .join(p, (p.c.store_id == t.tills.c.store_id) & (p.c.till_number == t.tills.c.number))
            .where(t.tills.c.store_id == self.store_id)
            .order_by(t.tills.c.number)
        )
        return [
            TillRecord(
                till_number=r.number,
                name=r.name,
                registered_at=r.registered_at,
                applied_through=r.applied_through,
                last_push_at=r.last_push_at,
            )
            for r in rows
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
        bookings = [BookingPublic.of(b).model_dump(mode="json") for b in ticket.bookings]
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
                "bookings": json.dumps(bookings),
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
        bookings=[BookingPublic.model_validate(b) for b in json.loads(row["bookings"])],
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
    "OperationRepository",
    "ReceiptRecord",
    "ReceiptRepository",
    "TicketRepository",
    "TillRecord",
    "TillRepository",
]
