"""The push's tables: tills and their log positions, operations, tickets with their
bookings, receipts and flags (docs/sync-protocol.md)."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError

from autonom.contracts import EVENT_ADAPTER, BookingPublic, Operation, TicketPublic
from autonom.domain import Booking, Event, Ticket, TicketClosed
from autonom.domain.events import TICKET_EVENTS
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import (
    Repository,
    bulk_insert,
    dialect_insert,
    upsert,
)
from autonom.server.domain import Recorded, TicketFinding, TillLog


class TillRepository(Repository):
    """Registered tills, their credentials and their logs, each with its position."""

    def add(
        self, *, number: int, name: str, credential_hash: str, log_id: str | None, at: datetime
    ) -> bool:
        """Register a till with its first log at position 0 (the till's ``log_id``, or one
        made here, not claimed); False when the number is already taken."""
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
                        credential_issued_at=at,
                    )
                )
        except IntegrityError:  # registered by a concurrent request a moment ago
            return False
        self.connection.execute(
            t.till_logs.insert().values(
                store_id=self.store_id,
                till_number=number,
                log_id=log_id or str(uuid.uuid4()),
                log_number=1,
                claimed=log_id is not None,
                started_at=at,
                applied_through=0,
            )
        )
        return True

    def is_registered(self, number: int) -> bool:
        """Whether a till with this number is registered."""
        found = self.connection.execute(
            select(t.tills.c.number).where(
                t.tills.c.store_id == self.store_id, t.tills.c.number == number
            )
        ).first()
        return found is not None

    def set_credential(
        self, number: int, credential_hash: str, *, issued_at: datetime | None
    ) -> bool:
        """Replace the till's credential hash; ``issued_at`` (None: keep when the credential
        counts as issued). False when the till is not registered."""
        values: dict[str, Any] = {"credential_hash": credential_hash}
        if issued_at is not None:
            values["credential_issued_at"] = issued_at
        result = self.connection.execute(
            update(t.tills)
            .where(t.tills.c.store_id == self.store_id, t.tills.c.number == number)
            .values(**values)
        )
        return result.rowcount == 1

    def number_for_credential(self, credential_hash: str) -> int | None:
        """The number of the till holding the credential with this hash."""
        number = self.connection.execute(
            select(t.tills.c.number).where(
                t.tills.c.store_id == self.store_id,
                t.tills.c.credential_hash == credential_hash,
            )
        ).scalar()
        return None if number is None else int(number)

    def credential_issued_at(self, number: int, *, lock: bool = False) -> datetime:
        """When the till's credential was issued; ``lock`` holds the till's row to commit
        (opening a log: one at a time per till)."""
        query = select(t.tills.c.credential_issued_at).where(
            t.tills.c.store_id == self.store_id, t.tills.c.number == number
        )
        if lock:
            query = query.with_for_update()  # PostgreSQL; SQLite's BEGIN IMMEDIATE did it
        issued: datetime = self.connection.execute(query).scalar_one()
        return issued

    def log(self, number: int, log_id: str | None = None, *, lock: bool = False) -> TillLog | None:
        """The till's log ``log_id`` (None: its current, the last started), or None when the
        server holds no such log; ``lock`` holds its row to commit."""
        lg = t.till_logs
        query = select(lg).where(lg.c.store_id == self.store_id, lg.c.till_number == number)
        if log_id is None:
            query = query.order_by(lg.c.log_number.desc()).limit(1)
        else:
            query = query.where(lg.c.log_id == log_id)
        if lock:
            query = query.with_for_update()  # PostgreSQL; SQLite's BEGIN IMMEDIATE did it
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return TillLog(
            log_id=row.log_id,
            log_number=row.log_number,
            claimed=row.claimed,
            started_at=row.started_at,
            applied_through=int(row.applied_through),
        )

    def open_log(self, number: int, log_id: str, *, after: TillLog, at: datetime) -> TillLog:
        """Start the till's next log, ``log_id``, at position 0."""
        log = TillLog(log_id, after.log_number + 1, claimed=True, started_at=at, applied_through=0)
        self.connection.execute(
            t.till_logs.insert().values(store_id=self.store_id, till_number=number, **asdict(log))
        )
        return log

    def claim_log(self, number: int, log: TillLog, log_id: str) -> TillLog:
        """The till's log whose id the server made takes the till database's own id."""
        self._set(number, log, log_id=log_id, claimed=True)
        return replace(log, log_id=log_id, claimed=True)

    def advance(self, number: int, log: TillLog, *, applied_through: int, at: datetime) -> None:
        """Move the position of the till's ``log`` to ``applied_through`` after a push at
        ``at``; the till's last refusal is mended by it."""
        self._set(number, log, applied_through=applied_through, last_push_at=at)
        r = t.push_refusals
        self.connection.execute(
            delete(r).where(r.c.store_id == self.store_id, r.c.till_number == number)
        )

    def _set(self, number: int, log: TillLog, **values: Any) -> None:
        lg = t.till_logs
        self.connection.execute(
            update(lg)
            .where(
                lg.c.store_id == self.store_id,
                lg.c.till_number == number,
                lg.c.log_number == log.log_number,
            )
            .values(**values)
        )

    def refused(self, number: int, *, code: str, message: str, at: datetime) -> None:
        """Keep the till's last refused push (one row per till, the newest wins)."""
        upsert(
            self.connection,
            t.push_refusals,
            {
                "store_id": self.store_id,
                "till_number": number,
                "code": code,
                "message": message,
                "refused_at": at,
            },
        )


class OperationRepository(Repository):
    """Every operation a till pushed, kept in the order the server applied them, each with
    the till's log it belongs to."""

    def op_ids_at(self, till_number: int, log_number: int, seqs: Sequence[int]) -> dict[int, str]:
        """The op_id stored at each of ``seqs`` of the till's log (absent seqs are left out)."""
        o = t.operations
        rows = self.connection.execute(
            select(o.c.seq, o.c.op_id).where(
                o.c.store_id == self.store_id,
                o.c.till_number == till_number,
                o.c.log_number == log_number,
                self._one_of(o.c.seq, seqs),
            )
        )
        return {r.seq: r.op_id for r in rows}

    def stored_op_ids(self, op_ids: Sequence[str]) -> set[str]:
        """Which of ``op_ids`` the server holds already, at any sequence."""
        o = t.operations
        rows = self.connection.execute(
            select(o.c.op_id).where(o.c.store_id == self.store_id, self._one_of(o.c.op_id, op_ids))
        )
        return {r.op_id for r in rows}

    def add(
        self, till_number: int, log_number: int, operations: Sequence[Operation], *, at: datetime
    ) -> None:
        """Keep operations of the till, applied at ``at``, in their order (the ids are the
        server's apply order): one bulk insert (``COPY`` on PostgreSQL)."""
        rows = [
            operation_row(self.store_id, till_number, log_number, op, at=at) for op in operations
        ]
        bulk_insert(self.connection, t.operations, rows)

    def history_of(
        self, ticket_ids: Iterable[str], *, known: Mapping[str, Event] | None = None
    ) -> dict[str, list[Recorded]]:
        """Every operation of each of the tickets, with its till, sequence and recorded
        time (the projection orders them by what happened, R3.2), in one query. ``known``:
        events by op_id the caller holds already (the push's own), not decoded again."""
        known = known or {}
        ids = sorted(set(ticket_ids))
        history: dict[str, list[Recorded]] = {ticket_id: [] for ticket_id in ids}
        if not ids:
            return history
        o = t.operations
        rows = self.connection.execute(
            select(o.c.document_id, o.c.till_number, o.c.seq, o.c.recorded_at, o.c.op_id)
            .add_columns(o.c.payload)
            .where(o.c.store_id == self.store_id, self._one_of(o.c.document_id, ids))
            .order_by(o.c.id)
        )
        for row in rows:
            event = known.get(row.op_id)
            if event is None:
                event = EVENT_ADAPTER.validate_json(row.payload)
            assert isinstance(event, TICKET_EVENTS)
            history[row.document_id].append(
                Recorded(event, row.till_number, row.seq, row.recorded_at, row.op_id)
            )
        return history


def operation_row(
    store_id: int, till_number: int, log_number: int, operation: Operation, *, at: datetime
) -> dict[str, Any]:
    """The ``operations`` row of one operation of the till's log ``log_number``, applied at
    ``at``: the one place such a row is made."""
    event = operation.event
    return {
        "store_id": store_id,
        "till_number": till_number,
        "log_number": log_number,
        "seq": operation.seq,
        "op_id": str(operation.op_id),
        "kind": event.kind,
        "document_id": event.document_id,
        "recorded_at": operation.recorded_at,
        "applied_at": at,
        "payload": EVENT_ADAPTER.dump_json(event).decode(),
    }


class TicketRepository(Repository):
    """Each ticket as the server merged it: one ``tickets`` row and its ``ticket_bookings``."""

    def lock(self, ticket_ids: Iterable[str]) -> None:
        """Serialise pushes from different tills that touch the same tickets (shared tables).

        One statement, the locks taken in the order of the sorted ids (``unnest`` hands
        them over in the array's order), so two pushes never wait on each other crosswise.
        SQLite needs nothing: its writers already take turns.
        """
        if not self._is_postgresql():
            return
        keys = [
            zlib.crc32(f"{self.store_id}/{ticket_id}".encode())
            for ticket_id in sorted(set(ticket_ids))
        ]
        if keys:
            self.connection.execute(_LOCK_TICKETS, {"keys": keys})

    def get(self, ticket_id: str) -> TicketPublic | None:
        """The ticket with its bookings, or None when the server never saw it."""
        tk = t.tickets
        found = self._read(
            select(tk).where(tk.c.store_id == self.store_id, tk.c.ticket_id == ticket_id)
        )
        return found[0] if found else None

    def find(self, *, status: str | None, table: int | None) -> list[TicketPublic]:
        """Tickets by status and table, oldest first, each with its bookings."""
        tk = t.tickets
        query = select(tk).where(tk.c.store_id == self.store_id)
        if status is not None:
            query = query.where(tk.c.status == status)
        if table is not None:
            query = query.where(tk.c.table_number == table)
        return self._read(query.order_by(tk.c.opened_at, tk.c.ticket_id))

    def follows(self, ticket_ids: Iterable[str]) -> dict[str, str | None]:
        """Of ``ticket_ids``, those the server holds, each with the ticket it follows (a
        follow-up's parent, R3.2) or None."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return {}
        tk = t.tickets
        rows = self.connection.execute(
            select(tk.c.ticket_id, tk.c.follows).where(
                tk.c.store_id == self.store_id, self._one_of(tk.c.ticket_id, ids)
            )
        )
        return {row.ticket_id: row.follows for row in rows}

    def remove(self, ticket_ids: Iterable[str]) -> None:
        """Delete follow-up tickets a family no longer has (their lines were paid after
        all, R3.2), with their bookings."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return
        for table in (t.ticket_bookings, t.tickets):
            self.connection.execute(
                delete(table).where(table.c.store_id == self.store_id, table.c.ticket_id.in_(ids))
            )

    def save(
        self, tickets: Sequence[tuple[Ticket, str | None]], *, prune: Collection[str] = ()
    ) -> None:
        """Write the projections of tickets rebuilt from their events, each with the ticket
        it follows (a follow-up's parent, R3.2, or None): the rows of the tickets new to the
        server and their bookings in one bulk insert each, those of the tickets it held in
        one upsert each (a void changes a booking). Of the held tickets in ``prune``, the
        rows of bookings no longer on them (moved to another ticket or to a follow-up) are
        deleted first, in one statement; only they are asked. (The push's advisory locks
        keep a ticket from turning up between the question which are held and the insert.)"""
        if not tickets:
            return
        held = self.follows(ticket.ticket_id for ticket, _ in tickets)
        tk, tb = t.tickets, t.ticket_bookings
        ticket_rows = []
        for ticket, follows in tickets:
            receipt = ticket.receipt
            ticket_rows.append(
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
                    "follows": follows,
                }
            )
        bulk_insert(self.connection, tk, [r for r in ticket_rows if r["ticket_id"] not in held])
        held_tickets = [r for r in ticket_rows if r["ticket_id"] in held]
        if held_tickets:
            insert = dialect_insert(self.connection, tk)
            changes = {c.name: insert.excluded[c.name] for c in tk.columns if not c.primary_key}
            self.connection.execute(
                insert.on_conflict_do_update(
                    index_elements=[tk.c.store_id, tk.c.ticket_id], set_=changes
                ),
                held_tickets,
            )
        pruned = [
            ticket
            for ticket, _ in tickets
            if ticket.ticket_id in prune and ticket.ticket_id in held
        ]
        if pruned:
            kept = [(ticket.ticket_id, b.booking_id) for ticket in pruned for b in ticket.bookings]
            stale = delete(tb).where(
                tb.c.store_id == self.store_id,
                tb.c.ticket_id.in_([ticket.ticket_id for ticket in pruned]),
            )
            if kept:
                stale = stale.where(tuple_(tb.c.ticket_id, tb.c.booking_id).not_in(kept))
            self.connection.execute(stale)
        new_rows: list[dict[str, Any]] = []
        held_rows: list[dict[str, Any]] = []
        for ticket, _ in tickets:
            rows = new_rows if ticket.ticket_id not in held else held_rows
            rows += [
                {"store_id": self.store_id, "ticket_id": ticket.ticket_id, "line": line}
                | {name: getattr(booking, name) for name in BOOKING_COLUMNS}
                for line, booking in enumerate(ticket.bookings, start=1)
            ]
        bulk_insert(self.connection, tb, new_rows)
        if held_rows:
            upsert_bookings = dialect_insert(self.connection, tb)
            # One statement, its rows as parameters: compiled once and cached, sent as
            # multi-row VALUES by SQLAlchemy's insertmanyvalues.
            statement = upsert_bookings.on_conflict_do_update(
                index_elements=[tb.c.store_id, tb.c.ticket_id, tb.c.booking_id],
                set_={name: upsert_bookings.excluded[name] for name in ("line", *BOOKING_COLUMNS)},
            )
            self.connection.execute(statement, held_rows)

    def _read(self, query: Any) -> list[TicketPublic]:
        """The tickets ``query`` selects, with their bookings read in one more query."""
        rows = self.connection.execute(query).all()
        if not rows:
            return []
        tb = t.ticket_bookings
        bookings: dict[str, list[BookingPublic]] = {row.ticket_id: [] for row in rows}
        for b in self.connection.execute(
            select(tb)
            .where(tb.c.store_id == self.store_id, tb.c.ticket_id.in_(list(bookings)))
            .order_by(tb.c.ticket_id, tb.c.line)
        ):
            booking = Booking(**{name: b._mapping[name] for name in BOOKING_COLUMNS})
            bookings[b.ticket_id].append(BookingPublic.of(booking))
        return [
            TicketPublic(
                ticket_id=row.ticket_id,
                table=row.table_number,
                till_number=row.till_number,
                owner=row.owner,
                opened_at=row.opened_at,
                status=row.status,
                total=row.total,
                receipt_number=row.receipt_number,
                bookings=bookings[row.ticket_id],
                follows=row.follows,
            )
            for row in rows
        ]


# Every advisory lock of a push's tickets in one statement (PostgreSQL).
_LOCK_TICKETS = text(
    "SELECT count(pg_advisory_xact_lock(key)) FROM unnest(CAST(:keys AS bigint[])) AS key"
)

# The columns of ``ticket_bookings`` that are the domain ``Booking``'s fields, by name.
BOOKING_COLUMNS = tuple(
    c.name for c in t.ticket_bookings.columns if c.name not in ("store_id", "ticket_id", "line")
)


class ReceiptRepository(Repository):
    """Receipts of closed tickets; a reused number is kept as a duplicate (invariant 6)."""

    def numbers_used(self, numbers: Iterable[str]) -> set[str]:
        """Which of ``numbers`` the store holds a receipt of already, in one query."""
        wanted = sorted(set(numbers))
        if not wanted:
            return set()
        r = t.receipts
        rows = self.connection.execute(
            select(r.c.number)
            .distinct()
            .where(r.c.store_id == self.store_id, self._one_of(r.c.number, wanted))
        )
        return {row.number for row in rows}

    def closed_between(self, start: datetime, end: datetime) -> list[TicketClosed]:
        """Every receipt closed from ``start`` until before ``end``, reused numbers too (a
        sale all the same), in closing order, as the till's ``TicketClosed``."""
        r = t.receipts
        rows = self.connection.execute(
            select(r.c.payload)
            .where(r.c.store_id == self.store_id, r.c.closed_at >= start, r.c.closed_at < end)
            .order_by(r.c.closed_at, r.c.id)
        )
        closed = [EVENT_ADAPTER.validate_json(row.payload) for row in rows]
        return [event for event in closed if isinstance(event, TicketClosed)]

    def add(self, receipts: Sequence[tuple[TicketClosed, bool]]) -> None:
        """Keep the receipts of closed tickets, each with whether its number was used
        before (a ``duplicate``), in one bulk insert."""
        rows = [
            {
                "store_id": self.store_id,
                "number": event.receipt_number,
                "ticket_id": event.ticket_id,
                "till_number": event.till_number,
                "total": event.total,
                "closed_at": event.closed_at,
                "offline": event.offline,
                "duplicate": duplicate,
                "payload": EVENT_ADAPTER.dump_json(event).decode(),
            }
            for event, duplicate in receipts
        ]
        bulk_insert(self.connection, t.receipts, rows)


class FlagRepository(Repository):
    """What the server accepted but a person should look at (invariant 6)."""

    def add(
        self, *, till_number: int, seq: int, ticket_id: str | None, code: str, message: str
    ) -> None:
        """Raise one flag about operation ``seq`` of the till."""
        self.connection.execute(
            t.flags.insert(), [self._row(till_number, seq, ticket_id, code, message)]
        )

    def add_all(self, findings: Sequence[TicketFinding]) -> None:
        """Raise a flag for each finding about a ticket, in their order, in one statement."""
        if findings:
            self.connection.execute(
                t.flags.insert(),
                [self._row(f.till_number, f.seq, f.ticket_id, f.code, f.message) for f in findings],
            )

    def _row(
        self, till_number: int, seq: int, ticket_id: str | None, code: str, message: str
    ) -> dict[str, Any]:
        return {
            "store_id": self.store_id,
            "till_number": till_number,
            "seq": seq,
            "ticket_id": ticket_id,
            "code": code,
            "message": message,
            "created_at": datetime.now(UTC),
        }

    def replace_for_tickets(
        self, ticket_ids: Iterable[str], found: Sequence[TicketFinding], codes: Iterable[str]
    ) -> None:
        """Make the tickets' flags of ``codes`` (those a ticket's history decides, R3.2) be
        ``found``: a flag that still holds is kept as it was (its time too), one no longer
        true goes, a new one is added. So the flags depend on the operations, not on the
        order they arrived in."""
        ids = sorted(set(ticket_ids))
        if not ids:
            return
        f = t.flags
        codes = sorted(set(codes))
        existing = {
            (row.ticket_id, row.code, row.till_number, row.seq): (row.id, row.message)
            for row in self.connection.execute(
                select(f.c.id, f.c.ticket_id, f.c.code, f.c.till_number, f.c.seq, f.c.message)
                .where(
                    f.c.store_id == self.store_id,
                    self._one_of(f.c.ticket_id, ids),
                    f.c.code.in_(codes),
                )
                .order_by(f.c.id)
            )
        }
        wanted = {finding.key: finding for finding in found}
        gone = [flag_id for key, (flag_id, _) in existing.items() if key not in wanted]
        if gone:
            self.connection.execute(delete(f).where(f.c.id.in_(gone)))
        self.add_all([finding for key, finding in wanted.items() if key not in existing])
        for key, finding in wanted.items():
            held = existing.get(key)
            if held is not None and held[1] != finding.message:
                self.connection.execute(
                    update(f).where(f.c.id == held[0]).values(message=finding.message)
                )
