"""Admissions and gate scans (R2.6, docs/admissions.md): the admissions sold, written from
the closed tickets of a push in one statement, and the scans registered, once per nonce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, select, update

from autonom.contracts import GateScanPublic
from autonom.domain import Form, GateScanned, TicketStatus
from autonom.domain.admission import (
    Admission,
    AdmissionState,
    RejectReason,
    ScanResult,
    ScanVerdict,
)
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository, dialect_insert

# An admission's number ends in its form (R2.3): 10000001-04.
_ADMISSION_NUMBERS = f"%-{Form.ADMISSION:02d}"


@dataclass(frozen=True)
class AdmissionRecord:
    """An admission as the back office lists it."""

    number: str
    ticket_id: str
    receipt_number: str
    till_number: int
    sold_at: datetime
    offline: bool
    valid_from: datetime
    state: AdmissionState
    used_at: datetime | None
    used_by: str | None


class AdmissionRepository(Repository):
    """The admissions sold in the store, by number."""

    def add_sold(self, ticket_ids: Sequence[str], *, at: datetime) -> None:
        """Write the admissions of those of ``ticket_ids`` that are closed, valid from
        ``at`` (voided when their booking is): one statement, however many. An admission
        held already becomes voided when its booking was voided since (after the close);
        a number held for another ticket is left as it is (the first sale keeps it)."""
        if not ticket_ids:
            return
        tb, tk, r = t.ticket_bookings, t.tickets, t.receipts
        a = t.admissions
        receipt_offline = (
            select(r.c.offline)
            .where(r.c.store_id == tk.c.store_id, r.c.ticket_id == tk.c.ticket_id)
            .order_by(r.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        sold = (
            select(
                tb.c.issued_number.label("number"),
                tb.c.ticket_id,
                tk.c.receipt_number,
                tb.c.till_number,
                tk.c.closed_at.label("sold_at"),
                func.coalesce(receipt_offline, tb.c.offline).label("offline"),
                case(
                    (tb.c.void_reason.is_(None), AdmissionState.VALID.value),
                    else_=AdmissionState.VOIDED.value,
                ).label("state"),
                # A number sold twice in one batch (a till's restored database): the first.
                func.row_number()
                .over(partition_by=tb.c.issued_number, order_by=(tk.c.closed_at, tb.c.ticket_id))
                .label("rank"),
            )
            .select_from(
                tb.join(tk, and_(tk.c.store_id == tb.c.store_id, tk.c.ticket_id == tb.c.ticket_id))
            )
            .where(
                tb.c.store_id == self.store_id,
                self._one_of(tb.c.ticket_id, ticket_ids),
                tb.c.issued_number.like(_ADMISSION_NUMBERS),
                tk.c.status == TicketStatus.CLOSED.value,
            )
            .subquery()
        )
        rows = select(
            literal(self.store_id),
            sold.c.number,
            sold.c.ticket_id,
            sold.c.receipt_number,
            sold.c.till_number,
            sold.c.sold_at,
            sold.c.offline,
            literal(at, a.c.valid_from.type),
            sold.c.state,
        ).where(sold.c.rank == 1)  # a WHERE also keeps SQLite's upsert after a SELECT unambiguous
        columns = ["store_id", "number", "ticket_id", "receipt_number", "till_number"]
        columns += ["sold_at", "offline", "valid_from", "state"]
        insert = dialect_insert(self.connection, a).from_select(columns, rows)
        voided = AdmissionState.VOIDED.value
        self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[a.c.store_id, a.c.number],
                set_={"state": voided},
                where=and_(
                    insert.excluded.state == voided,
                    a.c.ticket_id == insert.excluded.ticket_id,
                    a.c.state != voided,
                ),
            )
        )

    def get(self, number: str, *, lock: bool = False) -> Admission | None:
        """The admission numbered ``number``; ``lock`` holds its row to commit, so two scans
        of it are judged one after the other (PostgreSQL; SQLite's writers take turns)."""
        a = t.admissions
        query = select(a.c.number, a.c.state, a.c.used_at, a.c.used_by).where(
            a.c.store_id == self.store_id, a.c.number == number
        )
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return Admission(row.number, AdmissionState(row.state), row.used_at, row.used_by)

    def save(self, admission: Admission) -> None:
        """Write the admission's state (used, and by which scan)."""
        a = t.admissions
        self.connection.execute(
            update(a)
            .where(a.c.store_id == self.store_id, a.c.number == admission.number)
            .values(
                state=admission.state.value, used_at=admission.used_at, used_by=admission.used_by
            )
        )

    def listed(self, *, till_number: int | None, limit: int) -> list[AdmissionRecord]:
        """The latest admissions sold, newest first (of one till, if given)."""
        a = t.admissions
        query = select(a).where(a.c.store_id == self.store_id)
        if till_number is not None:
            query = query.where(a.c.till_number == till_number)
        rows = self.connection.execute(
            query.order_by(a.c.valid_from.desc(), a.c.number.desc()).limit(limit)
        )
        return [
            AdmissionRecord(
                number=row.number,
                ticket_id=row.ticket_id,
                receipt_number=row.receipt_number,
                till_number=row.till_number,
                sold_at=row.sold_at,
                offline=row.offline,
                valid_from=row.valid_from,
                state=AdmissionState(row.state),
                used_at=row.used_at,
                used_by=row.used_by,
            )
            for row in rows
        ]


class GateScanRepository(Repository):
    """The scans registered, each nonce once, with the verdict it counts as."""

    def get(self, nonce: str) -> GateScanPublic | None:
        """The scan registered with ``nonce``, or None."""
        g = t.gate_scans
        row = self.connection.execute(
            select(g).where(g.c.store_id == self.store_id, g.c.nonce == nonce)
        ).first()
        return None if row is None else _scan(row)

    def add(self, scan: GateScanned, verdict: ScanVerdict, *, at: datetime) -> bool:
        """Register ``scan`` with ``verdict`` at ``at``; False when its nonce was registered
        meanwhile (by a concurrent transaction, whose row then stands)."""
        insert = dialect_insert(self.connection, t.gate_scans).values(
            store_id=self.store_id,
            nonce=scan.document_id,
            till_number=scan.till_number,
            gate=scan.gate,
            admission_number=scan.admission_number,
            scanned_at=scan.scanned_at,
            operator_number=scan.operator_number,
            offline=scan.offline,
            result=verdict.result.value,
            reason=None if verdict.reason is None else verdict.reason.value,
            used_at=verdict.used_at,
            used_by=verdict.used_by,
            registered_at=at,
        )
        # RETURNING, not rowcount: psycopg reports no rowcount for ON CONFLICT DO NOTHING.
        added = insert.on_conflict_do_nothing().returning(t.gate_scans.c.nonce)
        return self.connection.execute(added).first() is not None

    def find(
        self, *, till_number: int | None, nonces: Sequence[str] | None, limit: int
    ) -> list[GateScanPublic]:
        """The latest scans registered, newest first: of one till, of these nonces, or all."""
        g = t.gate_scans
        query = select(g).where(g.c.store_id == self.store_id)
        if till_number is not None:
            query = query.where(g.c.till_number == till_number)
        if nonces is not None:
            query = query.where(g.c.nonce.in_(sorted(set(nonces))))
        rows = self.connection.execute(
            query.order_by(g.c.registered_at.desc(), g.c.nonce).limit(limit)
        )
        return [_scan(row) for row in rows]


def _scan(row: Any) -> GateScanPublic:
    verdict = ScanVerdict(
        ScanResult(row.result),
        None if row.reason is None else RejectReason(row.reason),
        row.used_at,
        row.used_by,
    )
    return GateScanPublic(
        nonce=row.nonce,
        till_number=row.till_number,
        gate=row.gate,
        admission_number=row.admission_number,
        scanned_at=row.scanned_at,
        operator_number=row.operator_number,
        offline=row.offline,
        result=verdict.result,
        counts_as=verdict.result,
        reason_code=verdict.reason,
        reason=None if verdict.result is ScanResult.ACCEPTED else verdict.words(),
        used_at=row.used_at,
        used_by=row.used_by,
        registered_at=row.registered_at,
    )
