"""The till's local store: one SQLite file, ``<data_dir>/till.sqlite``.

Plain SQL on the standard library's ``sqlite3`` (STYLE allows plain SQL): the sale path
(load a ticket, write its rows, one journal entry and one outbox row per event, fsync)
must stay around a millisecond, and an ORM's session and identity map would cost more
than the whole transaction. ``journal_mode=WAL`` lets the uploader read while a sale
writes; ``synchronous=FULL`` makes every commit durable before it returns (invariant 3).
The schema grows by numbered migrations recorded in ``PRAGMA user_version``.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from autonom.domain import Refusal
from autonom.domain.errors import STORAGE_FAILED

DB_FILE = "till.sqlite"
BUSY_TIMEOUT_MS = 5000  # the uploader's writes take microseconds; this is a generous bound

# Migration N (1-based) brings a database from user_version N-1 to N. Never edit a
# migration that has shipped; append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE till_identity (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        number INTEGER NOT NULL,
        server_url TEXT NOT NULL,
        credential TEXT,
        registered_at TEXT,
        master_data_version INTEGER,
        master_data_at TEXT
    );
    CREATE TABLE tax_rates (
        code TEXT PRIMARY KEY,
        percent TEXT NOT NULL,
        name TEXT NOT NULL
    );
    CREATE TABLE items (
        plu TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        price TEXT NOT NULL,
        tax_code TEXT NOT NULL,
        active INTEGER NOT NULL
    );
    CREATE INDEX items_by_name ON items (name COLLATE NOCASE);
    CREATE TABLE operators (
        number INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        pin_hash TEXT NOT NULL
    );
    CREATE TABLE tickets (
        ticket_id TEXT PRIMARY KEY,
        till_number INTEGER NOT NULL,
        owner INTEGER NOT NULL,
        table_number INTEGER,
        opened_at TEXT NOT NULL,
        offline INTEGER NOT NULL,
        status TEXT NOT NULL,
        shared INTEGER NOT NULL DEFAULT 0,
        receipt_number TEXT,
        closed_at TEXT
    );
    CREATE INDEX tickets_open_by_table ON tickets (status, table_number);
    CREATE TABLE bookings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        booking_id TEXT NOT NULL UNIQUE,
        ticket_id TEXT NOT NULL REFERENCES tickets (ticket_id),
        plu TEXT NOT NULL,
        name TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price TEXT NOT NULL,
        tax_code TEXT NOT NULL,
        tax_percent TEXT NOT NULL,
        operator_number INTEGER NOT NULL,
        till_number INTEGER NOT NULL,
        booked_at TEXT NOT NULL,
        offline INTEGER NOT NULL,
        foreign_booking INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX bookings_of_ticket ON bookings (ticket_id, id);
    CREATE TABLE voids (
        booking_id TEXT PRIMARY KEY REFERENCES bookings (booking_id),
        reason TEXT NOT NULL,
        operator_number INTEGER,
        voided_at TEXT
    );
    CREATE TABLE payments (
        ticket_id TEXT NOT NULL REFERENCES tickets (ticket_id),
        position INTEGER NOT NULL,
        method TEXT NOT NULL,
        amount TEXT NOT NULL,
        tendered TEXT NOT NULL,
        PRIMARY KEY (ticket_id, position)
    );
    CREATE TABLE receipts (
        number TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets (ticket_id),
        form INTEGER NOT NULL,
        running INTEGER NOT NULL,
        closed_at TEXT NOT NULL,
        total TEXT NOT NULL,
        offline INTEGER NOT NULL,
        document TEXT NOT NULL,
        UNIQUE (form, running)
    );
    CREATE INDEX receipts_by_time ON receipts (closed_at);
    CREATE TABLE number_ranges (
        till INTEGER NOT NULL,
        form INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (till, form)
    );
    CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        op_id TEXT NOT NULL UNIQUE,
        recorded_at TEXT NOT NULL,
        kind TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        event TEXT NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent = 0;
    """,
    # 2: the heartbeat's log of mode changes (R1.1), the mode a restart resumes and the
    # station settings cached from the server (R1.4, R1.5).
    """
    CREATE TABLE mode_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        link TEXT NOT NULL,
        words TEXT NOT NULL,
        state TEXT NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX mode_events_unsent ON mode_events (seq) WHERE sent = 0;
    CREATE TABLE station (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mode TEXT NOT NULL,
        emergency_allowed INTEGER NOT NULL,
        auto_return_s INTEGER NOT NULL,
        settings_at TEXT
    );
    INSERT INTO station (id, mode, emergency_allowed, auto_return_s) VALUES (1, 'live', 1, 30);
    """,
    # 3: an operation belongs to a document (a ticket, a day close, a gate scan, …).
    """
    ALTER TABLE outbox RENAME COLUMN ticket_id TO document_id;
    ALTER TABLE items ADD COLUMN kind TEXT NOT NULL DEFAULT 'goods';
    ALTER TABLE bookings ADD COLUMN issued_number TEXT;
    CREATE UNIQUE INDEX bookings_by_issued_number ON bookings (issued_number)
        WHERE issued_number IS NOT NULL;
    """,
    # 4: the day closes with their Z reports (R2.8), numbered per till from 1; the report as
    # JSON, and per form the last receipt each one covered (where the next period starts).
    """
    CREATE TABLE day_closes (
        z_number INTEGER PRIMARY KEY,
        document_id TEXT NOT NULL UNIQUE,
        closed_at TEXT NOT NULL,
        operator_number INTEGER NOT NULL,
        offline INTEGER NOT NULL,
        sales_total TEXT NOT NULL,
        grand_total TEXT NOT NULL,
        receipts_through TEXT NOT NULL,
        report TEXT NOT NULL
    );
    """,
    # 5: the scans read at this till's gates (R2.6), each with the server's result once
    # known (NULL: pending, registered after the outage).
    """
    CREATE TABLE gate_scans (
        nonce TEXT PRIMARY KEY,
        number TEXT NOT NULL,
        gate TEXT NOT NULL,
        operator_number INTEGER NOT NULL,
        scanned_at TEXT NOT NULL,
        offline INTEGER NOT NULL,
        result TEXT,
        reason TEXT,
        registered_at TEXT
    );
    CREATE INDEX gate_scans_by_time ON gate_scans (scanned_at);
    CREATE INDEX gate_scans_pending ON gate_scans (scanned_at) WHERE result IS NULL;
    """,
    # 6: a payment names the voucher or the customer account it was paid with.
    """
    ALTER TABLE payments ADD COLUMN reference TEXT;
    """,
    # 7: card payments (R2.5): each intent written before the card device is asked, what
    # the device answered, the receipt it closed, the bank's later verdict; and how far the
    # device's list of changes has been read.
    """
    CREATE TABLE card_payments (
        payment_id TEXT PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        amount TEXT NOT NULL,
        card_type TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        masked_pan TEXT,
        approval_code TEXT,
        receipt_number TEXT,
        stored_offline INTEGER NOT NULL DEFAULT 0,
        refusal_code TEXT,
        settled_at TEXT
    );
    CREATE INDEX card_payments_of_ticket ON card_payments (ticket_id, created_at);
    CREATE TABLE card_device_changes (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        through INTEGER NOT NULL
    );
    """,
    # 8: this database's log id (issue 9), a UUID4 made once, here: when a database is
    # created, or the first time an older one is opened (its rows keep their seqs). The
    # server keeps positions per till and log, so a replaced till (a new database) starts
    # a log of its own instead of colliding with the old one's seqs.
    # The id is a random UUID4 made in SQL (version 4, variant 10xx).
    """
    CREATE TABLE till_log (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        log_id TEXT NOT NULL
    );
    INSERT INTO till_log (id, log_id) VALUES (1, lower(
        hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
        || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)
        || '-' || hex(randomblob(6))));
    """,
)


def storage_refusal(error: sqlite3.Error) -> Refusal:
    """A full disk or an I/O error as the cashier sees it: nothing was saved, say what to do."""
    reason = str(error) or type(error).__name__
    return Refusal(
        STORAGE_FAILED,
        f"The till could not save this to its disk ({reason}); nothing of it was saved. "
        "Free disk space or call the store manager, then try again.",
        status=409,
    )


def connect(path: Path) -> sqlite3.Connection:
    """Open the till's database with the durability settings every connection needs."""
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves, so a transaction
    # is exactly what the unit of work says it is and none is ever open by accident.
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database without blocking writers (PASSIVE)."""
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def read_log_id(conn: sqlite3.Connection) -> uuid.UUID:
    """This database's log id (migration 8), the same for as long as the file lives."""
    row = conn.execute("SELECT log_id FROM till_log WHERE id = 1").fetchone()
    return uuid.UUID(row[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations the database has not seen yet; return its schema version."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"The till database has schema version {version}, newer than this program "
            f"knows ({len(MIGRATIONS)}); run the newer Autonom version."
        )
    for number in range(version + 1, len(MIGRATIONS) + 1):
        # executescript commits first; the migration and its version bump are one
        # transaction, so a crash leaves the old or the new schema, never half of one.
        conn.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
    return len(MIGRATIONS)


class TillStore:
    """The open database of one till: the write connection the cashier's commands share,
    the lock that serialises them (SQLite has one writer anyway), one read connection per
    thread for the read-only unit of work (a sqlite3 connection must not be shared by two
    threads at once), and who to wake after a commit. The uploader and the mode log open
    their own connections with ``connect``."""

    def __init__(self, data_dir: Path, *, till_number: int, server_url: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_FILE
        self.conn = connect(self.path)
        # Checkpoints fsync the whole database: the uploader runs them (``checkpoint``) so
        # that no sale ever pays for one (invariant 1).
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        migrate(self.conn)
        self.lock = threading.Lock()
        self._readers = threading.local()
        self._all_readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self.till_number = self._claim_identity(till_number, server_url)

    def read_connection(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use). In WAL a reader sees the
        last commit and never waits for a writer, so reads never queue behind sales."""
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA wal_autocheckpoint=0")  # the uploader checkpoints
            conn.execute("PRAGMA query_only=ON")  # a reader can never write by mistake
            self._readers.conn = conn
            with self._readers_lock:
                self._all_readers.append(conn)
        return conn

    def _claim_identity(self, till_number: int, server_url: str) -> int:
        """Bind this file to one till number; starting it as another till is refused."""
        row = self.conn.execute("SELECT number FROM till_identity WHERE id = 1").fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO till_identity (id, number, server_url) VALUES (1, ?, ?)",
                (till_number, server_url),
            )
            return till_number
        if row["number"] != till_number:
            self.conn.close()
            raise ValueError(
                f"{self.path} belongs to till {row['number']}, not till {till_number}; "
                "give each till its own --data-dir."
            )
        self.conn.execute("UPDATE till_identity SET server_url = ? WHERE id = 1", (server_url,))
        return till_number

    def log_id(self) -> uuid.UUID:
        """This database's log id: every push and the registration carry it."""
        with self.lock:
            return read_log_id(self.conn)

    def credential(self) -> str | None:
        """The credential the server issued at registration, if the till has registered."""
        with self.lock:
            row = self.conn.execute("SELECT credential FROM till_identity WHERE id = 1").fetchone()
        return row["credential"] if row else None

    def save_credential(self, credential: str, registered_at: str) -> None:
        """Keep the credential durably before it is ever used."""
        with self.lock:
            self.conn.execute(
                "UPDATE till_identity SET credential = ?, registered_at = ? WHERE id = 1",
                (credential, registered_at),
            )

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every commit that wrote operations (wakes the uploader)."""
        self._after_commit.append(callback)

    def committed(self) -> None:
        for callback in self._after_commit:
            callback()

    def close(self) -> None:
        """Close the connections; an open transaction is rolled back, as on a crash."""
        with self._readers_lock:
            readers, self._all_readers = self._all_readers, []
        for reader in readers:
            reader.close()
        self.conn.close()
