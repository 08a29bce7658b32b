"""The ``card_payments`` table (every card payment's intent and what became of it, R2.5)
and ``card_device_changes`` (how far the card device's list of changes has been read).
Every SQL of these tables is here; every method runs inside the caller's transaction."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from autonom.domain.card import CardType
from autonom.till.adapters.repository import from_text, to_text
from autonom.till.domain.card_payments import CardIntent, IntentState

LIST_LIMIT = 200

# The states in which an intent keeps its ticket from being paid otherwise
# (``CardIntent.unfinished``), as SQL.
_UNFINISHED = (
    "(state IN ('requested', 'unknown') "
    "OR (state IN ('approved', 'stored') AND receipt_number IS NULL))"
)


class CardPaymentRepository:
    """The till's card payments, one row per intent (``CardIntent``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, intent: CardIntent) -> None:
        """A new intent, written before the device is asked."""
        self._conn.execute(
            "INSERT INTO card_payments (payment_id, ticket_id, amount, card_type, state, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                intent.payment_id,
                intent.ticket_id,
                str(intent.amount),
                intent.card_type.value,
                intent.state.value,
                to_text(intent.created_at),
            ),
        )

    def save(self, intent: CardIntent) -> None:
        """Write what changed of an intent (its state, the device's answer, its receipt)."""
        self._conn.execute(
            "UPDATE card_payments SET amount = ?, card_type = ?, state = ?, masked_pan = ?, "
            "approval_code = ?, receipt_number = ?, stored_offline = ?, refusal_code = ?, "
            "settled_at = ? WHERE payment_id = ?",
            (
                str(intent.amount),
                intent.card_type.value,
                intent.state.value,
                intent.masked_pan,
                intent.approval_code,
                intent.receipt_number,
                int(intent.stored_offline),
                intent.refusal_code,
                to_text(intent.settled_at) if intent.settled_at else None,
                intent.payment_id,
            ),
        )

    def get(self, payment_id: str) -> CardIntent | None:
        row = self._conn.execute(
            "SELECT * FROM card_payments WHERE payment_id = ?", (payment_id,)
        ).fetchone()
        return _intent(row) if row else None

    def unfinished(self, ticket_id: str) -> CardIntent | None:
        """The ticket's card payment that is not resolved yet (``CardIntent.unfinished``)."""
        row = self._conn.execute(
            f"SELECT * FROM card_payments WHERE ticket_id = ? AND {_UNFINISHED} "  # noqa: S608
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (ticket_id,),
        ).fetchone()
        return _intent(row) if row else None

    def awaiting_the_bank(self) -> int:
        """How many card payments on receipts were stored offline and wait for the bank."""
        count: int = self._conn.execute(
            "SELECT count(*) FROM card_payments WHERE state = 'stored' "
            "AND receipt_number IS NOT NULL"
        ).fetchone()[0]
        return count

    def outcome_unknown(self) -> list[CardIntent]:
        """Every intent the device may or may not have taken, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM card_payments WHERE state IN ('requested', 'unknown') "
            "ORDER BY created_at, rowid"
        ).fetchall()
        return [_intent(r) for r in rows]

    def of_receipt(self, receipt_number: str) -> list[CardIntent]:
        rows = self._conn.execute(
            "SELECT * FROM card_payments WHERE receipt_number = ? ORDER BY created_at",
            (receipt_number,),
        ).fetchall()
        return [_intent(r) for r in rows]

    def recent(self, limit: int = LIST_LIMIT) -> list[CardIntent]:
        """The latest card payments, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM card_payments ORDER BY created_at DESC, rowid DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_intent(r) for r in rows]

    def changes_through(self) -> int:
        """The device's change number read so far (0: nothing read yet)."""
        row = self._conn.execute("SELECT through FROM card_device_changes WHERE id = 1").fetchone()
        return int(row["through"]) if row else 0

    def save_changes_through(self, through: int) -> None:
        self._conn.execute(
            "INSERT INTO card_device_changes (id, through) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET through = excluded.through",
            (through,),
        )


def _intent(row: sqlite3.Row) -> CardIntent:
    return CardIntent(
        payment_id=row["payment_id"],
        ticket_id=row["ticket_id"],
        amount=Decimal(row["amount"]),
        card_type=CardType(row["card_type"]),
        state=IntentState(row["state"]),
        created_at=from_text(row["created_at"]),
        masked_pan=row["masked_pan"],
        approval_code=row["approval_code"],
        receipt_number=row["receipt_number"],
        stored_offline=bool(row["stored_offline"]),
        refusal_code=row["refusal_code"],
        settled_at=from_text(row["settled_at"]) if row["settled_at"] else None,
    )
