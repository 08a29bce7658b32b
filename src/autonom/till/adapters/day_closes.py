"""The till's day closes (R2.8), the one place the ``day_closes`` table's SQL lives: each
Z report as JSON under its number, written in the day close's own transaction, so the
number and the report are kept together or not at all (gapless, never reused)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from pydantic import TypeAdapter

from autonom.domain import Refusal, errors
from autonom.domain.reports import FIRST_PERIOD, PeriodStart, ZReport
from autonom.till.adapters.repository import from_text, to_text

Z_REPORT_DOCUMENT: TypeAdapter[ZReport] = TypeAdapter(ZReport)


class DayCloses:
    """The day closes of this till, on the caller's connection and in its transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def period_start(self) -> PeriodStart:
        """Where the current period starts: after the last day close (none: the first)."""
        row = self._conn.execute(
            "SELECT z_number, closed_at, grand_total, receipts_through FROM day_closes "
            "ORDER BY z_number DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return FIRST_PERIOD
        through = json.loads(row["receipts_through"])
        return PeriodStart(
            z_number=row["z_number"],
            closed_at=from_text(row["closed_at"]),
            grand_total=Decimal(row["grand_total"]),
            receipts_through={int(form): int(last) for form, last in through.items()},
        )

    def add(self, report: ZReport) -> None:
        """Keep a day close (inside the transaction that logs its event)."""
        self._conn.execute(
            "INSERT INTO day_closes (z_number, document_id, closed_at, operator_number, "
            "offline, sales_total, grand_total, receipts_through, report) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                report.z_number,
                report.document_id,
                to_text(report.closed_at),
                report.operator_number,
                int(report.offline),
                str(report.figures.sales_total),
                str(report.grand_total),
                json.dumps({str(f): n for f, n in sorted(report.receipts_through.items())}),
                Z_REPORT_DOCUMENT.dump_json(report).decode(),
            ),
        )

    def get(self, z_number: int) -> ZReport:
        """The day close numbered ``z_number``, or 404 NOT_FOUND."""
        row = self._conn.execute(
            "SELECT report FROM day_closes WHERE z_number = ?", (z_number,)
        ).fetchone()
        if row is None:
            raise Refusal(errors.NOT_FOUND, f"There is no day close {z_number} on this till.", 404)
        return Z_REPORT_DOCUMENT.validate_json(row["report"])

    def recent(self, limit: int = 100) -> list[ZReport]:
        """The latest day closes, newest first."""
        rows = self._conn.execute(
            "SELECT report FROM day_closes ORDER BY z_number DESC LIMIT ?", (limit,)
        ).fetchall()
        return [Z_REPORT_DOCUMENT.validate_json(r["report"]) for r in rows]

    def numbers(self) -> list[int]:
        """Every Z number issued, ascending (for checks and tests)."""
        rows = self._conn.execute("SELECT z_number FROM day_closes ORDER BY z_number")
        return [r["z_number"] for r in rows]
