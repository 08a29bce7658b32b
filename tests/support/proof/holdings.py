"""What a till committed against what the server holds, read from both databases read-only,
counted as the issue counts them (issue 9, point 9): lost, duplicated, unexpected.

* **lost**: something the cashier was told (``Acknowledged``) that the till's file does not
  hold, or something the till committed that the server does not hold after the drain;
* **duplicated**: something the server holds more than once (an operation, a receipt, a
  line, a ticket's receipt);
* **unexpected**: something the server holds that the till never committed or holds
  otherwise (another total, another status, a flag), and any break in the till's own
  file (a gap in the sequence or the receipt numbers, a journal that does not chain).

Each count comes with the findings that make it up, in words, so a failing run says what.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, create_engine, select

from autonom.domain import JournalEntry
from autonom.domain.journal import first_break
from autonom.server.adapters import tables
from tests.support.proof.cashier import Acknowledged

STORE_ID = 1
READ_ONLY_POSTGRESQL = "-c default_transaction_read_only=on"


@dataclass
class Tally:
    """The three counts and the findings behind them."""

    lost: int = 0
    duplicated: int = 0
    unexpected: int = 0
    findings: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.unexpected += other.unexpected
        self.findings += other.findings

    def note(self, count: str, finding: str) -> None:
        """Count one finding under ``count`` (lost, duplicated or unexpected)."""
        setattr(self, count, getattr(self, count) + 1)
        self.findings.append(f"{count}: {finding}")

    @property
    def clean(self) -> bool:
        return self.lost == self.duplicated == self.unexpected == 0


@dataclass(frozen=True)
class TillHoldings:
    """What one till committed: its outbox, tickets, lines and receipts."""

    number: int
    operations: dict[str, int]  # op_id → seq
    tickets: dict[str, str]  # ticket_id → status
    bookings: dict[str, str]  # booking_id → ticket_id
    receipts: dict[str, tuple[str, Decimal]]  # number → (ticket_id, total)
    problems: list[str]  # breaks in the file itself


@dataclass(frozen=True)
class ServerHoldings:
    """What the server holds of one till, row by row (so that a double shows)."""

    operations: list[tuple[int, str]]  # (seq, op_id)
    position: int
    tickets: dict[str, tuple[str, Decimal, str | None]]  # ticket_id → status, total, receipt
    bookings: list[tuple[str, str]]  # (booking_id, ticket_id)
    receipts: list[tuple[str, str, Decimal, bool]]  # number, ticket_id, total, duplicate
    flags: list[str]


def read_till(data_dir: Path, number: int) -> TillHoldings:
    """The till's SQLite file, opened read-only."""
    with sqlite3.connect(f"file:{data_dir / 'till.sqlite'}?mode=ro", uri=True) as db:
        outbox = db.execute("SELECT seq, op_id FROM outbox ORDER BY seq").fetchall()
        journal = [
            JournalEntry(*row)
            for row in db.execute(
                "SELECT seq, kind, payload, prev_hash, hash FROM journal ORDER BY seq"
            )
        ]
        tickets = dict(db.execute("SELECT ticket_id, status FROM tickets").fetchall())
        bookings = dict(db.execute("SELECT booking_id, ticket_id FROM bookings").fetchall())
        receipt_rows = db.execute(
            "SELECT number, ticket_id, total, form, running FROM receipts"
        ).fetchall()
    problems = []
    seqs = [seq for seq, _ in outbox]
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"till {number}: the outbox's sequence has a gap")
    if len(journal) != len(seqs):
        problems.append(f"till {number}: {len(journal)} journal entries, {len(seqs)} operations")
    if (broken := first_break(journal)) is not None:
        problems.append(f"till {number}: the journal breaks at entry {broken}")
    by_form: dict[int, list[int]] = {}
    for _, _, _, form, running in receipt_rows:
        by_form.setdefault(form, []).append(running)
    for form, runnings in by_form.items():
        if sorted(runnings) != list(range(1, len(runnings) + 1)):
            problems.append(f"till {number}: the receipt numbers of form {form:02d} have a gap")
    return TillHoldings(
        number=number,
        operations={op_id: seq for seq, op_id in outbox},
        tickets=tickets,
        bookings=bookings,
        receipts={n: (t, Decimal(total)) for n, t, total, _, _ in receipt_rows},
        problems=problems,
    )


def read_only_engine(db_url: str) -> Engine:
    """An engine on the server's database that cannot write: SQLite opened ``mode=ro``,
    PostgreSQL with read-only transactions."""
    if db_url.startswith("sqlite:///"):
        path = db_url.removeprefix("sqlite:///")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    return create_engine(db_url, connect_args={"options": READ_ONLY_POSTGRESQL})


def read_position(engine: Engine, till_number: int) -> int:
    """The server's ``applied_through`` of ``till_number``'s current log (0 before its first
    push)."""
    lg = tables.till_logs
    with engine.connect() as db:
        position = db.execute(
            select(lg.c.applied_through)
            .where(lg.c.store_id == STORE_ID, lg.c.till_number == till_number)
            .order_by(lg.c.log_number.desc())
            .limit(1)
        ).scalar()
    return int(position or 0)


def read_server(db_url: str, till_number: int) -> ServerHoldings:
    """What the server's database holds of ``till_number``, read-only, through the server's
    own table definitions (so amounts read as the server reads them)."""
    engine = read_only_engine(db_url)
    o, t, b, r, f = (
        tables.operations,
        tables.tickets,
        tables.ticket_bookings,
        tables.receipts,
        tables.flags,
    )
    try:
        with engine.connect() as db:
            operations = db.execute(
                select(o.c.seq, o.c.op_id).where(
                    o.c.store_id == STORE_ID, o.c.till_number == till_number
                )
            ).all()
            tickets = db.execute(
                select(t.c.ticket_id, t.c.status, t.c.total, t.c.receipt_number).where(
                    t.c.store_id == STORE_ID, t.c.till_number == till_number
                )
            ).all()
            bookings = db.execute(
                select(b.c.booking_id, b.c.ticket_id)
                .join(t, (t.c.store_id == b.c.store_id) & (t.c.ticket_id == b.c.ticket_id))
                .where(t.c.store_id == STORE_ID, t.c.till_number == till_number)
            ).all()
            receipts = db.execute(
                select(r.c.number, r.c.ticket_id, r.c.total, r.c.duplicate).where(
                    r.c.store_id == STORE_ID, r.c.till_number == till_number
                )
            ).all()
            flags = db.execute(
                select(f.c.code, f.c.seq, f.c.ticket_id).where(
                    f.c.store_id == STORE_ID, f.c.till_number == till_number
                )
            ).all()
        position = read_position(engine, till_number)
    finally:
        engine.dispose()
    return ServerHoldings(
        operations=[(int(seq), str(op_id)) for seq, op_id in operations],
        position=position,
        tickets={t: (s, total, r) for t, s, total, r in tickets},
        bookings=[(str(b), str(t)) for b, t in bookings],
        receipts=[(str(n), str(t), total, bool(d)) for n, t, total, d in receipts],
        flags=[f"{code} at seq {seq} (ticket {ticket})" for code, seq, ticket in flags],
    )


def compare(
    till: TillHoldings, server: ServerHoldings, acknowledged: Acknowledged | None = None
) -> Tally:
    """Count what is lost, duplicated and unexpected between one till and the server."""
    tally = Tally()
    n = till.number
    for problem in till.problems:
        tally.note("unexpected", problem)
    if acknowledged is not None:
        _acknowledged_on_till(tally, n, till, acknowledged)

    # Operations: the log itself, one row per op_id on both sides.
    server_ops = Counter(op_id for _, op_id in server.operations)
    for op_id, seq in till.operations.items():
        if op_id not in server_ops:
            tally.note("lost", f"till {n}: operation {seq} ({op_id}) is not on the server")
    for op_id, times in server_ops.items():
        if times > 1:
            tally.note("duplicated", f"till {n}: operation {op_id} is on the server {times} times")
    seqs = Counter(seq for seq, _ in server.operations)
    for seq, times in seqs.items():
        if times > 1:
            tally.note("duplicated", f"till {n}: sequence {seq} is on the server {times} times")
    for seq, op_id in server.operations:
        if till.operations.get(op_id) != seq:
            tally.note("unexpected", f"till {n}: the server holds {op_id} at {seq}, the till not")
    last = max(till.operations.values(), default=0)
    if server.position != last:
        tally.note("unexpected", f"till {n}: server position {server.position}, till at {last}")

    # Receipts: each number once, with the till's ticket and total.
    numbers = Counter(number for number, *_ in server.receipts)
    for number in till.receipts:
        if number not in numbers:
            tally.note("lost", f"till {n}: receipt {number} is not on the server")
    for number, times in numbers.items():
        if times > 1:
            tally.note("duplicated", f"till {n}: receipt {number} is on the server {times} times")
    for number, ticket_id, total, duplicate in server.receipts:
        if duplicate:
            tally.note("duplicated", f"till {n}: receipt {number} is marked a duplicate")
        if till.receipts.get(number) != (ticket_id, total):
            tally.note("unexpected", f"till {n}: receipt {number} ({ticket_id}, {total}) differs")
    per_ticket = Counter(ticket_id for _, ticket_id, _, _ in server.receipts)
    for ticket_id, times in per_ticket.items():
        if times > 1:
            tally.note("duplicated", f"till {n}: ticket {ticket_id} has {times} receipts")

    # Tickets and their lines: the same status; each line once, on the same ticket.
    for ticket_id, status in till.tickets.items():
        held = server.tickets.get(ticket_id)
        if held is None:
            tally.note("lost", f"till {n}: ticket {ticket_id} is not on the server")
        elif held[0] != status:
            tally.note("unexpected", f"till {n}: ticket {ticket_id} is {held[0]}, not {status}")
    for ticket_id in server.tickets.keys() - till.tickets.keys():
        tally.note("unexpected", f"till {n}: ticket {ticket_id} is on the server only")
    lines = Counter(booking_id for booking_id, _ in server.bookings)
    for booking_id in till.bookings:
        if booking_id not in lines:
            tally.note("lost", f"till {n}: line {booking_id} is not on the server")
    for booking_id, times in lines.items():
        if times > 1:
            tally.note("duplicated", f"till {n}: line {booking_id} is on the server {times} times")
    for booking_id, ticket_id in server.bookings:
        if till.bookings.get(booking_id) != ticket_id:
            tally.note("unexpected", f"till {n}: line {booking_id} is on {ticket_id} on the server")
    for flag in server.flags:
        tally.note("unexpected", f"till {n}: flag {flag}")
    return tally


def _acknowledged_on_till(
    tally: Tally, n: int, till: TillHoldings, acknowledged: Acknowledged
) -> None:
    for ticket_id in acknowledged.tickets - till.tickets.keys():
        tally.note("lost", f"till {n}: ticket {ticket_id} was acknowledged, the till lost it")
    for booking_id in acknowledged.bookings - till.bookings.keys():
        tally.note("lost", f"till {n}: line {booking_id} was acknowledged, the till lost it")
    for number, total in acknowledged.receipts.items():
        held = till.receipts.get(number)
        if held is None:
            tally.note("lost", f"till {n}: receipt {number} was acknowledged, the till lost it")
        elif held[1] != total:
            tally.note("unexpected", f"till {n}: receipt {number} acknowledged {total}, {held[1]}")
