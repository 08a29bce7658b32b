"""The heartbeat's part of the till's storage: the mode log (R1.1), the mode a restart
resumes and the station settings cached from the server (R1.4, R1.5). How many tickets are
local to emergency mode (R1.6) is the tickets repository's to count, not this store's.

Its own SQLite connection with short transactions, used from the heartbeat thread and the
page, so it never holds the sales' lock. Every log entry goes to the ``mode_events`` table
(reported to the server later) and, as one plain-text line, to the day's log file
``<data_dir>/logs/heartbeat-<till>-<YYYY-MM-DD>.log`` (local time, as in seed 000).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autonom.contracts import ModeEventIn
from autonom.till.adapters.repository import from_text, to_text
from autonom.till.adapters.store import connect
from autonom.till.domain import Link, LogEntry, Mode, StationSettings, log_file_name

LOG_DIR = "logs"


@dataclass(frozen=True)
class LoggedEntry:
    seq: int
    entry: LogEntry
    sent: bool


class StationStore:
    """See the module docstring; safe to share between threads."""

    def __init__(self, db_path: Path, log_dir: Path, till_number: int) -> None:
        self.log_dir = log_dir
        self._till_number = till_number
        self._conn = connect(db_path)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- the log ---------------------------------------------------------------------------

    def record(self, entry: LogEntry) -> int:
        """Keep ``entry`` in the database and append its line to the day's file; its seq."""
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO mode_events (at, link, words, state) VALUES (?, ?, ?, ?)",
                (to_text(entry.at), entry.link.value, entry.words, entry.state),
            )
        seq = cursor.lastrowid
        assert seq is not None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file(entry.at).open("a", encoding="utf-8") as file:
            file.write(entry.line + "\n")
        return seq

    def log_file(self, day: datetime) -> Path:
        return self.log_dir / log_file_name(self._till_number, day.date())

    def unsent(self, limit: int) -> list[ModeEventIn]:
        """Entries the server has not confirmed yet, oldest first, as reported."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, at, link, words, state FROM mode_events WHERE sent = 0 "
                "ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            ModeEventIn(
                seq=r["seq"],
                at=from_text(r["at"]),
                link=r["link"],
                words=r["words"],
                state=r["state"],
            )
            for r in rows
        ]

    def acknowledge(self, events_through: int) -> None:
        """The server holds this till's events up to ``events_through``: mark them sent.

        A number above any this database ever gave means the server holds the log of a
        former database of this till (a replaced disk): the unsent entries are renumbered
        after it, so the server takes them instead of skipping them as resent.
        """
        with self._lock:
            highest: int = self._conn.execute(
                "SELECT coalesce(max(seq), 0) FROM mode_events"
            ).fetchone()[0]
            if events_through <= highest:
                self._conn.execute(
                    "UPDATE mode_events SET sent = 1 WHERE sent = 0 AND seq <= ?",
                    (events_through,),
                )
                return
            # Every new number is above every old one, so no two rows ever share one.
            self._conn.execute(
                "UPDATE mode_events SET seq = seq + ? WHERE sent = 0", (events_through,)
            )

    def recent(self, limit: int = 50) -> list[LoggedEntry]:
        """The latest entries, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, at, link, words, state, sent FROM mode_events "
                "ORDER BY seq DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            LoggedEntry(
                seq=r["seq"],
                entry=LogEntry(
                    from_text(r["at"]).astimezone(), Link(r["link"]), r["words"], r["state"]
                ),
                sent=bool(r["sent"]),
            )
            for r in rows
        ]

    def outage_began(self) -> datetime | None:
        """When the latest outage of the server link began (the till went to "outage
        pending"), as the log holds it; None when it never had one."""
        with self._lock:
            row = self._conn.execute(
                "SELECT at FROM mode_events WHERE link = ? AND state = ? ORDER BY seq DESC LIMIT 1",
                (Link.SERVER.value, Mode.OUTAGE_PENDING.value),
            ).fetchone()
        return from_text(row["at"]) if row else None

    # -- mode and settings -----------------------------------------------------------------

    def saved_mode(self) -> Mode:
        with self._lock:
            row = self._conn.execute("SELECT mode FROM station WHERE id = 1").fetchone()
        return Mode(row["mode"])

    def save_mode(self, mode: Mode) -> None:
        with self._lock:
            self._conn.execute("UPDATE station SET mode = ? WHERE id = 1", (mode.value,))

    def station_settings(self) -> StationSettings:
        with self._lock:
            row = self._conn.execute(
                "SELECT emergency_allowed, auto_return_s FROM station WHERE id = 1"
            ).fetchone()
        return StationSettings(bool(row["emergency_allowed"]), float(row["auto_return_s"]))

    def save_station_settings(self, settings: StationSettings, at: datetime) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE station SET emergency_allowed = ?, auto_return_s = ?, settings_at = ? "
                "WHERE id = 1",
                (int(settings.emergency_allowed), int(settings.auto_return_s), to_text(at)),
            )
