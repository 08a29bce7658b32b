"""The emulated device's memory: one SQLite file, ``<data_dir>/card-device.sqlite``.

A stored payment is the device's promise to forward it: it is committed (WAL,
``synchronous=FULL``) before the till hears ``stored``, so a device that loses power keeps
every payment it accepted. Every payment is one row; its ``position`` is the order the
device received it in (the order stored payments are forwarded in) and its ``change`` the
device's change number of its last change, which a till asks from (``changed_after``).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.money import ZERO

DB_FILE = "card-device.sqlite"
BUSY_TIMEOUT_MS = 5000

# Migration N (1-based) brings the file from user_version N-1 to N; append, never edit.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE payments (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        payment_id TEXT NOT NULL UNIQUE,
        till_number INTEGER NOT NULL,
        amount TEXT NOT NULL,
        card_type TEXT NOT NULL,
        masked_pan TEXT NOT NULL,
        state TEXT NOT NULL,
        approval_code TEXT,
        received_at TEXT NOT NULL,
        forwarded_at TEXT,
        change INTEGER NOT NULL UNIQUE
    );
    CREATE INDEX payments_by_state ON payments (state, position);
    CREATE INDEX payments_by_till_change ON payments (till_number, change);
    """,
)

# Fixed column names, never a value: the queries below only splice this constant in.
_COLUMNS = (
    "payment_id, till_number, amount, card_type, masked_pan, state, approval_code, "
    "received_at, forwarded_at, change"
)


@dataclass(frozen=True)
class StoredPayment:
    """One payment as the device holds it."""

    payment_id: UUID
    till_number: int
    amount: Decimal
    card_type: CardType
    masked_pan: str
    state: CardPaymentState
    approval_code: str | None
    received_at: datetime
    forwarded_at: datetime | None
    change: int


class PaymentStore:
    """The payments table. One connection behind one lock: the requests (a thread pool)
    and the forwarder take turns, so "look up, decide, insert" is one step."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_FILE
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._migrate()

    def _migrate(self) -> None:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise ValueError(
                f"{self.path} was written by a newer card device (schema {version}); "
                f"this one knows up to {len(MIGRATIONS)}"
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            # The migration and its version bump are one transaction.
            self._db.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
            )

    def transaction(self) -> AbstractContextManager[PaymentTransaction]:
        """One write transaction under the store's lock; committed when the block ends
        without an exception, rolled back otherwise."""
        return self._within("BEGIN IMMEDIATE")

    def reading(self) -> AbstractContextManager[PaymentTransaction]:
        """A consistent read (a deferred transaction, no write lock); write nothing in it.
        The store's one connection still serves one caller at a time: each takes
        microseconds, and a device serves one till."""
        return self._within("BEGIN")

    @contextmanager
    def _within(self, begin: str) -> Iterator[PaymentTransaction]:
        with self._lock:
            self._db.execute(begin)
            try:
                yield PaymentTransaction(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PaymentTransaction:
    """The reads and writes of one transaction (``PaymentStore.transaction``)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def find(self, payment_id: UUID) -> StoredPayment | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM payments WHERE payment_id = ?",  # noqa: S608
            (str(payment_id),),
        ).fetchone()
        return _payment(row) if row else None

    def stored(self) -> tuple[int, Decimal]:
        """How many payments wait to be forwarded, and their sum."""
        amounts = self._db.execute(
            "SELECT amount FROM payments WHERE state = ?", (CardPaymentState.STORED.value,)
        ).fetchall()
        return len(amounts), sum((Decimal(a) for (a,) in amounts), ZERO)

    def next_to_forward(self) -> StoredPayment | None:
        """The stored payment received first."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM payments WHERE state = ? ORDER BY position LIMIT 1",  # noqa: S608
            (CardPaymentState.STORED.value,),
        ).fetchone()
        return _payment(row) if row else None

    def changed_after(self, till_number: int, after: int, limit: int) -> list[StoredPayment]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM payments WHERE till_number = ? AND change > ? "  # noqa: S608
            "ORDER BY change LIMIT ?",
            (till_number, after, limit),
        ).fetchall()
        return [_payment(row) for row in rows]

    def last_change(self) -> int:
        last: int | None = self._db.execute("SELECT max(change) FROM payments").fetchone()[0]
        return last or 0

    def add(
        self,
        *,
        payment_id: UUID,
        till_number: int,
        amount: Decimal,
        card_type: CardType,
        masked_pan: str,
        state: CardPaymentState,
        approval_code: str | None,
        received_at: datetime,
    ) -> StoredPayment:
        change = self.last_change() + 1
        self._db.execute(
            "INSERT INTO payments (payment_id, till_number, amount, card_type, masked_pan, "
            "state, approval_code, received_at, change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(payment_id),
                till_number,
                str(amount),
                card_type.value,
                masked_pan,
                state.value,
                approval_code,
                received_at.isoformat(),
                change,
            ),
        )
        found = self.find(payment_id)
        assert found is not None
        return found

    def record_verdict(
        self,
        payment_id: UUID,
        state: CardPaymentState,
        approval_code: str | None,
        forwarded_at: datetime,
    ) -> StoredPayment:
        """A stored payment's final result from the bank."""
        self._db.execute(
            "UPDATE payments SET state = ?, approval_code = ?, forwarded_at = ?, change = ? "
            "WHERE payment_id = ?",
            (
                state.value,
                approval_code,
                forwarded_at.isoformat(),
                self.last_change() + 1,
                str(payment_id),
            ),
        )
        found = self.find(payment_id)
        assert found is not None
        return found


def _payment(row: Any) -> StoredPayment:
    """A row of ``_COLUMNS`` as the payment it is."""
    payment_id, till, amount, card_type, masked_pan, state, code, received, forwarded, change = row
    return StoredPayment(
        payment_id=UUID(payment_id),
        till_number=till,
        amount=Decimal(amount),
        card_type=CardType(card_type),
        masked_pan=masked_pan,
        state=CardPaymentState(state),
        approval_code=code,
        received_at=datetime.fromisoformat(received),
        forwarded_at=None if forwarded is None else datetime.fromisoformat(forwarded),
        change=change,
    )
