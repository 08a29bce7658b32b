"""The till's units of work on SQLite: ``SqliteUnitOfWork`` writes, ``SqliteReadUnitOfWork``
only reads. Both implement the service layer's protocols (``service_layer.unit_of_work``).

Writing: ``with uow: …; uow.commit()`` — the block holds the store's sales lock and starts
with ``BEGIN IMMEDIATE``, so reading a ticket and writing it cannot interleave with another
sale. ``commit`` writes, for every new domain event of the tickets touched: the state rows,
one journal entry and one outbox row, then COMMITs once (fsync). Leaving the block without
commit rolls everything back; a crash anywhere before COMMIT leaves nothing behind. Every
sale, ticket and receipt is written this way; the only other writers are the master-data
snapshot (also through this unit of work), the registration's credential (``TillStore``),
the uploader's sent marks (``Outbox``) and the mode log (``StationStore``), each on tables
of its own.

Reading: ``with reading: …`` — this thread's own read connection, a plain (deferred)
``BEGIN`` in WAL: a consistent snapshot of the last commit, no sales lock, no write lock,
so a status poll or a page never waits for a sale, nor a sale for it.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Self

from autonom.contracts import Operation
from autonom.crash_points import CrashPoint, crash_point
from autonom.domain import Event, JournalEntry, Ticket
from autonom.domain.journal import next_entry
from autonom.till.adapters.card_payments import CardPaymentRepository
from autonom.till.adapters.day_closes import DayCloses
from autonom.till.adapters.gate_scans import GateScanRepository
from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.repository import (
    MasterDataSnapshot,
    NumberRanges,
    ReceiptRepository,
    TicketRepository,
)
from autonom.till.adapters.store import TillStore, storage_refusal

Clock = Callable[[], datetime]


def canonical_json(operation: Operation) -> str:
    """The journal's payload: sorted keys, no spaces, decimals as text — stable to hash."""
    return json.dumps(
        operation.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


class SqliteReadUnitOfWork:
    """One read-only transaction on this thread's read connection; see the module docstring."""

    tickets: TicketRepository
    master_data: MasterDataSnapshot
    receipts: ReceiptRepository
    outbox: Outbox
    day_closes: DayCloses
    gate_scans: GateScanRepository
    card_payments: CardPaymentRepository

    def __init__(self, store: TillStore) -> None:
        self._store = store
        self.till_number = store.till_number

    def __enter__(self) -> Self:
        conn = self._store.read_connection()
        try:
            conn.execute("BEGIN")
        except sqlite3.Error as error:
            raise storage_refusal(error) from error
        self._conn = conn
        self.tickets = TicketRepository(conn)
        self.master_data = MasterDataSnapshot(conn)
        self.receipts = ReceiptRepository(conn)
        self.outbox = Outbox(conn)
        self.day_closes = DayCloses(conn)
        self.gate_scans = GateScanRepository(conn)
        self.card_payments = CardPaymentRepository(conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")  # nothing was written: ending the snapshot


class SqliteUnitOfWork:
    """One write transaction on the till's database; see the module docstring."""

    tickets: TicketRepository
    master_data: MasterDataSnapshot
    ranges: NumberRanges
    receipts: ReceiptRepository
    outbox: Outbox
    day_closes: DayCloses
    gate_scans: GateScanRepository
    card_payments: CardPaymentRepository

    def __init__(self, store: TillStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._conn = store.conn
        self._now: datetime | None = None
        self._active = False
        self._operations_written = 0
        self.till_number = store.till_number

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            self._store.lock.release()
            raise storage_refusal(error) from error
        self._active = True
        self._now = None
        self._operations_written = 0
        self._recorded: list[Event] = []
        self.tickets = TicketRepository(self._conn)
        self.master_data = MasterDataSnapshot(self._conn)
        self.ranges = NumberRanges(self._conn, self.till_number)
        self.receipts = ReceiptRepository(self._conn)
        self.outbox = Outbox(self._conn)
        self.day_closes = DayCloses(self._conn)
        self.gate_scans = GateScanRepository(self._conn)
        self.card_payments = CardPaymentRepository(self._conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        written = 0
        try:
            if self._active:
                self.rollback()
            written = self._operations_written
        finally:
            self._store.lock.release()
        if written:
            self._store.committed()

    def now(self) -> datetime:
        """The time for this transaction's documents: the wall clock, but never earlier than
        the last operation already recorded (invariant 8: documents never go back in time)."""
        if self._now is None:
            wall = self._clock()
            last = self.outbox.last_recorded_at()
            self._now = max(wall, last) if last is not None else wall
        return self._now

    def record(self, event: Event) -> None:
        """Log the event of a document that is not a ticket (a day close, a gate scan, …):
        its journal entry and outbox row are written by ``commit``, after the tickets'
        events, in the order recorded. Its own rows are the caller's repository's."""
        self._recorded.append(event)

    def commit(self) -> None:
        """Write the new events' state, journal entries and outbox rows, then COMMIT."""
        try:
            self.write_pending()
            crash_point(CrashPoint.TILL_BEFORE_COMMIT)
            self._conn.execute("COMMIT")
        except sqlite3.Error as error:
            self.rollback()
            raise storage_refusal(error) from error
        self._active = False
        for ticket in self.tickets.seen:
            ticket.events.clear()

    def rollback(self) -> None:
        self._active = False
        self._operations_written = 0
        self._recorded = []
        # The connection may already have rolled back by itself (SQLITE_FULL, I/O error).
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def write_pending(self) -> int:
        """Write the rows of the pending events inside the open transaction (no COMMIT);
        return how many operations were written. Public so a crash test can stop here."""
        pending = list(self._pending_events())
        if not pending:
            return 0
        recorded_at = self.now()
        prev = self._last_journal_entry()
        for ticket, event in pending:
            if ticket is not None:
                self.tickets.write_event(ticket, event)
            seq = prev.seq + 1 if prev else 1
            operation = Operation(seq=seq, op_id=uuid.uuid4(), recorded_at=recorded_at, event=event)
            entry = next_entry(prev, event.kind, canonical_json(operation))
            self._conn.execute(
                "INSERT INTO journal (seq, kind, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?)",
                (entry.seq, entry.kind, entry.payload, entry.prev_hash, entry.hash),
            )
            self.outbox.append(operation)
            prev = entry
        self._operations_written = len(pending)
        return len(pending)

    def _pending_events(self) -> Iterator[tuple[Ticket | None, Event]]:
        done: set[int] = set()
        for ticket in self.tickets.seen:
            if id(ticket) in done:
                continue
            done.add(id(ticket))
            for event in ticket.events:
                yield ticket, event
        recorded, self._recorded = self._recorded, []
        for event in recorded:
            yield None, event

    def _last_journal_entry(self) -> JournalEntry | None:
        row = self._conn.execute(
            "SELECT seq, kind, payload, prev_hash, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return JournalEntry(*row) if row else None


def read_journal(conn: sqlite3.Connection) -> list[JournalEntry]:
    """The whole journal in sequence order (for ``first_break`` and ``autonom verify``)."""
    rows = conn.execute("SELECT seq, kind, payload, prev_hash, hash FROM journal ORDER BY seq")
    return [JournalEntry(*row) for row in rows]
