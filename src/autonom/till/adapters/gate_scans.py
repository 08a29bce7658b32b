"""The ``gate_scans`` table, the one place its SQL lives: every scan read at this till's
gates (R2.6), with the server's result once known. A scan is added with its
``gate_scanned`` operation in one write unit of work; its result is written when the server
answers (at once, or after the outage). Every method runs inside the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from autonom.domain import GateScanned
from autonom.domain.admission import ScanResult
from autonom.till.adapters.repository import from_text, to_text

_COLUMNS = (
    "nonce, number, gate, operator_number, scanned_at, offline, result, reason, registered_at"
)


@dataclass(frozen=True)
class GateScan:
    """One scan as this till keeps it. ``result`` None: pending, the server has not judged
    it yet (registered after the outage); else accepted or rejected (with ``reason``)."""

    nonce: str
    number: str
    gate: str
    operator_number: int
    scanned_at: datetime
    offline: bool
    result: ScanResult | None
    reason: str | None
    registered_at: datetime | None

    @property
    def pending(self) -> bool:
        return self.result is None


class GateScanRepository:
    """The scans of one connection; see the module docstring."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def add(self, scan: GateScanned) -> None:
        """Keep a scan just read, pending."""
        self._conn.execute(
            "INSERT INTO gate_scans (nonce, number, gate, operator_number, scanned_at, offline) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                scan.document_id,
                scan.admission_number,
                scan.gate,
                scan.operator_number,
                to_text(scan.scanned_at),
                int(scan.offline),
            ),
        )

    def get(self, nonce: str) -> GateScan | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM gate_scans WHERE nonce = ?",  # noqa: S608
            (nonce,),
        ).fetchone()
        return None if row is None else _scan(row)

    def recent(self, limit: int) -> list[GateScan]:
        """The latest scans, newest first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM gate_scans ORDER BY scanned_at DESC, rowid DESC LIMIT ?",  # noqa: S608
            (limit,),
        ).fetchall()
        return [_scan(r) for r in rows]

    def pending(self, limit: int) -> list[GateScan]:
        """The scans the server has not judged yet, oldest first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM gate_scans WHERE result IS NULL "  # noqa: S608
            "ORDER BY scanned_at, rowid LIMIT ?",
            (limit,),
        ).fetchall()
        return [_scan(r) for r in rows]

    def pending_count(self) -> int:
        count: int = self._conn.execute(
            "SELECT count(*) FROM gate_scans WHERE result IS NULL"
        ).fetchone()[0]
        return count

    def record_result(
        self, nonce: str, result: ScanResult, reason: str | None, registered_at: datetime
    ) -> None:
        """Keep the server's result of a pending scan (its first answer stands)."""
        self._conn.execute(
            "UPDATE gate_scans SET result = ?, reason = ?, registered_at = ? "
            "WHERE nonce = ? AND result IS NULL",
            (result.value, reason, to_text(registered_at), nonce),
        )


def _scan(row: sqlite3.Row) -> GateScan:
    return GateScan(
        nonce=row["nonce"],
        number=row["number"],
        gate=row["gate"],
        operator_number=row["operator_number"],
        scanned_at=from_text(row["scanned_at"]),
        offline=bool(row["offline"]),
        result=None if row["result"] is None else ScanResult(row["result"]),
        reason=row["reason"],
        registered_at=None if row["registered_at"] is None else from_text(row["registered_at"]),
    )
