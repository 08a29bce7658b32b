"""The outbox table, the one place its SQL lives: the operations this till recorded, in
``seq`` order, each marked sent once the server confirmed it (invariant 2).

The unit of work appends rows inside its sale transaction (``append``) and asks the time
of the last one (``last_recorded_at``); the uploader reads batches, marks rows sent and
realigns after a gap on its own connection; the status line and the pages count and list
what is unsent through a read-only unit of work. Every method runs on the connection it
was given, inside the caller's transaction, except ``realign``, which is its own.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime

from autonom.contracts import EVENT_ADAPTER, Operation
from autonom.domain.events import KIND_TITLES
from autonom.till.adapters.repository import from_text, to_text
from autonom.web import MAX_BODY_BYTES

RECEIPT_KIND = "ticket_closed"  # the operation that carries a receipt
# A batch's JSON stays within half the body limit every server has (contracts 1-3: 500
# operations, 4 000 KiB): an operation is its event's JSON and an envelope of at most
# ``OPERATION_ENVELOPE_BYTES`` (seq, op_id, recorded_at, the keys, a comma).
BATCH_BYTES = MAX_BODY_BYTES // 2
OPERATION_ENVELOPE_BYTES = 160


@dataclass(frozen=True)
class UnsentDocument:
    """One operation not yet confirmed by the server (R2.7)."""

    seq: int
    kind: str
    document_id: str  # the ticket's id, or the day close's, the scan's, …
    recorded_at: datetime
    receipt_number: str | None
    offline: bool  # made in emergency mode (the event's OFF mark)

    @property
    def title(self) -> str:
        """What the document is, in the cashier's words."""
        return KIND_TITLES.get(self.kind, self.kind.replace("_", " "))


class Outbox:
    """The outbox rows of one connection; see the module docstring."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    # -- writing (inside the unit of work's transaction) ------------------------------------

    def append(self, operation: Operation) -> None:
        """Add one operation, unsent; written and committed with the sale that made it."""
        event = operation.event
        self._conn.execute(
            "INSERT INTO outbox (seq, op_id, recorded_at, kind, document_id, event) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                operation.seq,
                str(operation.op_id),
                to_text(operation.recorded_at),
                event.kind,
                event.document_id,
                EVENT_ADAPTER.dump_json(event).decode(),
            ),
        )

    def last_recorded_at(self) -> datetime | None:
        """When the latest operation was recorded (documents never go back in time)."""
        row = self._conn.execute(
            "SELECT recorded_at FROM outbox ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return from_text(row["recorded_at"]) if row else None

    def span_since(self, at: datetime) -> tuple[int, int]:
        """The log's part from the first operation recorded at ``at`` or later to the last
        one (R3.3: what a reintegration covered); ``(last + 1, last)`` when none was."""
        row = self._conn.execute(
            "SELECT (SELECT min(seq) FROM outbox WHERE recorded_at >= ?) AS first, "
            "(SELECT coalesce(max(seq), 0) FROM outbox) AS last",
            (to_text(at),),
        ).fetchone()
        last = int(row["last"])
        return (int(row["first"]) if row["first"] is not None else last + 1), last

    # -- the uploader's side ---------------------------------------------------------------

    def next_batch(self, limit: int, max_bytes: int = BATCH_BYTES) -> list[Operation]:
        """The oldest unsent operations, in seq order, as they are pushed: at most ``limit``,
        and only as many as fit in ``max_bytes`` of JSON (at least one), so a batch of big
        events stays under the server's body limit and one of small events is as long as
        allowed."""
        rows = self._conn.execute(
            "SELECT seq, op_id, recorded_at, event FROM outbox WHERE sent = 0 ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        batch: list[Operation] = []
        size = 0
        for r in rows:
            size += OPERATION_ENVELOPE_BYTES + len(r["event"].encode())
            if batch and size > max_bytes:
                break
            batch.append(
                Operation(
                    seq=r["seq"],
                    op_id=uuid.UUID(r["op_id"]),
                    recorded_at=from_text(r["recorded_at"]),
                    event=EVENT_ADAPTER.validate_json(r["event"]),
                )
            )
        return batch

    def mark_sent(self, first: int, through: int) -> None:
        """The server confirmed the operations ``first``–``through`` (of the batch it was
        sent: never beyond it, so a row the server has not seen is never marked)."""
        self._conn.execute(
            "UPDATE outbox SET sent = 1 WHERE sent = 0 AND seq BETWEEN ? AND ?", (first, through)
        )

    def realign(self, applied_through: int) -> None:
        """Make the sent marks agree with the server's position, in one transaction of its
        own: everything up to it is there, everything after it must be (re)sent."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(
                "UPDATE outbox SET sent = (seq <= ?) WHERE sent != (seq <= ?)",
                (applied_through, applied_through),
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    # -- what is unsent (the status line, the unsent screen) ----------------------------------

    def unsent_count(self) -> int:
        """How many operations the server has not confirmed yet."""
        count: int = self._conn.execute("SELECT count(*) FROM outbox WHERE sent = 0").fetchone()[0]
        return count

    def unsent_receipt_count(self) -> int:
        """How many receipts (closed tickets) the server has not confirmed yet."""
        count: int = self._conn.execute(
            "SELECT count(*) FROM outbox WHERE sent = 0 AND kind = ?", (RECEIPT_KIND,)
        ).fetchone()[0]
        return count

    def unsent_by_kind(self) -> dict[str, int]:
        """How many operations of each kind the server has not confirmed yet."""
        rows = self._conn.execute(
            "SELECT kind, count(*) AS n FROM outbox WHERE sent = 0 GROUP BY kind ORDER BY kind"
        ).fetchall()
        return {r["kind"]: r["n"] for r in rows}

    def unsent_documents(self, limit: int = 500) -> list[UnsentDocument]:
        """The unsent operations, oldest first, with the receipt number of each close."""
        rows = self._conn.execute(
            "SELECT o.seq, o.kind, o.document_id, o.recorded_at, t.receipt_number, "
            "coalesce(json_extract(o.event, '$.offline'), 0) AS offline "
            "FROM outbox o LEFT JOIN tickets t ON t.ticket_id = o.document_id "
            "WHERE o.sent = 0 ORDER BY o.seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            UnsentDocument(
                seq=r["seq"],
                kind=r["kind"],
                document_id=r["document_id"],
                recorded_at=from_text(r["recorded_at"]),
                receipt_number=r["receipt_number"] if r["kind"] == RECEIPT_KIND else None,
                offline=bool(r["offline"]),
            )
            for r in rows
        ]

    def unsent_receipt_numbers(self) -> set[str]:
        """The numbers of the receipts the server has not confirmed yet (R2.7)."""
        rows = self._conn.execute(
            "SELECT t.receipt_number FROM outbox o JOIN tickets t ON t.ticket_id = o.document_id "
            "WHERE o.sent = 0 AND o.kind = ? AND t.receipt_number IS NOT NULL",
            (RECEIPT_KIND,),
        ).fetchall()
        return {r["receipt_number"] for r in rows}
