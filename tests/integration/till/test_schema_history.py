"""A till file from every released schema version (``PRAGMA user_version``) opens with
today's code, sells, and uploads its old unsent operations in order; a file from a newer
version is refused with a clear message. The old file is built as that version left it:
its migrations only, and rows in the columns that version had."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from autonom.contracts import Operation
from autonom.domain import PaymentMethod
from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.store import DB_FILE, MIGRATIONS, TillStore
from autonom.till.service_layer.commands import Tendered
from autonom.till.service_layer.uploader import Uploader
from tests.integration.till.conftest import ANNA, TILL, dead_server_url, make_till
from tests.unit.till.fakes import SequencedServer

# The tables of each version that hold a till's data (the station row comes with 2's script).
DATA_TABLES = (
    "till_identity",
    "tax_rates",
    "items",
    "operators",
    "tickets",
    "bookings",
    "voids",
    "payments",
    "receipts",
    "number_ranges",
    "journal",
    "outbox",
)
# Columns renamed since an earlier version: (table, its old name) → today's name.
RENAMED = {("outbox", "ticket_id"): "document_id"}
SENT_BEFORE = 3  # the server already holds the first sale's three operations
MODE_EVENT = ("2026-11-20T08:00:00+00:00", "server", "ONLINE", "up", 0)


def a_till_with_history(folder: Path) -> tuple[Path, list[Operation]]:
    """A till file of today with what a till holds after a while: master data, a closed
    receipt, an open table with bookings and a void, outbox rows sent and unsent. Also the
    operations the server already holds."""
    till = make_till(folder)
    try:
        selling = till.selling
        sold = selling.open_ticket(ANNA, None)
        selling.book(ANNA, sold.ticket_id, "100", 1)
        selling.pay(ANNA, sold.ticket_id, [Tendered(PaymentMethod.CASH)])
        table = selling.open_ticket(ANNA, 4)
        selling.book(ANNA, table.ticket_id, "200", 2)
        espresso = selling.book(ANNA, table.ticket_id, "100", 1).bookings[-1]
        selling.void(ANNA, table.ticket_id, espresso.booking_id, "wrong item")
        with till.store.lock:
            outbox = Outbox(till.store.conn)
            sent = outbox.next_batch(SENT_BEFORE)
            outbox.mark_sent(1, SENT_BEFORE)
    finally:
        till.stop()
    return folder / DB_FILE, sent


def file_at_version(version: int, source: Path, folder: Path) -> Path:
    """A till file migrated to ``version`` only, holding ``source``'s rows in the columns
    that version had."""
    folder.mkdir(parents=True)
    path = folder / DB_FILE
    conn = sqlite3.connect(path, isolation_level=None)
    for number in range(1, version + 1):
        conn.executescript(MIGRATIONS[number - 1])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("ATTACH DATABASE ? AS today", (str(source),))
    for table in DATA_TABLES:
        names = [r[1] for r in conn.execute(f"PRAGMA main.table_info({table})")]
        columns = ", ".join(names)
        today = ", ".join(RENAMED.get((table, name), name) for name in names)
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {today} FROM today.{table}")
    if version >= 2:
        conn.execute(
            "INSERT INTO mode_events (at, link, words, state, sent) VALUES (?, ?, ?, ?, ?)",
            MODE_EVENT,
        )
    conn.execute("DETACH DATABASE today")
    conn.close()
    return path


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS) + 1))
def test_a_till_file_of_every_released_version_opens_sells_and_uploads_in_order(
    tmp_path: Path, version: int
) -> None:
    source, sent = a_till_with_history(tmp_path / "today")
    old = file_at_version(version, source, tmp_path / f"version-{version}")
    unsent_before = sqlite3.connect(old).execute("SELECT max(seq) FROM outbox").fetchone()[0]

    till = make_till(old.parent, master_data=False)  # today's code opens the old file
    try:
        assert till.store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        log_id = till.store.log_id()  # migration 8: a log id of its own, its rows' seqs kept
        assert log_id.version == 4
        selling = till.selling
        assert [t.table for t in selling.open_tickets()] == [4]
        table = selling.open_ticket(ANNA, 4)  # the old open table, not a new one
        assert table.total == Decimal("3.80")
        selling.book(ANNA, table.ticket_id, "102", 1)
        closed = selling.pay(ANNA, table.ticket_id, [Tendered(PaymentMethod.CASH)])
        assert closed.receipt.number == f"{TILL}000002-01"  # the range goes on
        assert closed.receipt.total == Decimal("7.20")
        if version >= 2:
            assert [e.entry.words for e in till.station.recent()] == ["ONLINE"]
    finally:
        till.stop()

    with sqlite3.connect(old) as db:  # the same id for as long as the file lives
        assert db.execute("SELECT log_id FROM till_log").fetchone()[0] == str(log_id)
    server = SequencedServer(applied=list(sent))
    uploader = Uploader(old, server)
    try:
        uploader.push_pending()
        assert uploader.unsent_count() == 0
    finally:
        uploader.stop()
    pushed = [op.seq for op in server.applied[SENT_BEFORE:]]
    assert pushed == list(range(SENT_BEFORE + 1, unsent_before + 3))  # old unsent, then new


def test_a_till_file_of_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "newer"
    folder.mkdir()
    conn = sqlite3.connect(folder / DB_FILE)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()

    with pytest.raises(RuntimeError, match="newer than this program knows"):
        TillStore(folder, till_number=TILL, server_url=dead_server_url())
    assert sqlite3.connect(folder / DB_FILE).execute("PRAGMA user_version").fetchone()[0] == (
        len(MIGRATIONS) + 1
    )
