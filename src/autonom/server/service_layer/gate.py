"""Admissions and gate scans on the server (R2.6, docs/admissions.md).

The push writes the admissions of every closed ticket it applies (``register_sold``), so an
admission is valid at the gate once the server has its receipt. ``register_scan`` is the
one rule for a scan, inside the caller's transaction: the live endpoint
(``POST /gate-scans``, ``scan_at_gate``) and the push of a ``gate_scanned`` operation
(``documents.apply``) both call it, so they never disagree. A nonce registered before is a
duplicate: answered with what it counts as, counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from autonom.contracts import GateScanIn, GateScanPublic
from autonom.domain import GateScanned, Refusal, errors
from autonom.domain.admission import (
    ScanResult,
    check_gate,
    duplicate_of,
    judge_scan,
    parse_admission_number,
)
from autonom.server.adapters import AdmissionRecord, SqlUnitOfWork


def register_sold(uow: SqlUnitOfWork, ticket_ids: Sequence[str], *, now: datetime) -> None:
    """Inside the push: the admissions of those tickets that are closed become valid (or
    voided, when their booking is), from ``now``."""
    uow.admissions.add_sold(ticket_ids, at=now)


def register_scan(uow: SqlUnitOfWork, scan: GateScanned, *, now: datetime) -> GateScanPublic:
    """Judge ``scan`` and register it at ``now`` inside the caller's transaction; a nonce
    registered before changes nothing and is answered as a duplicate."""
    admission = uow.admissions.get(scan.admission_number, lock=True)
    earlier = uow.gate_scans.get(scan.document_id)
    if earlier is None:
        verdict = judge_scan(admission=admission, earlier=None)
        if uow.gate_scans.add(scan, verdict, at=now):
            if verdict.result is ScanResult.ACCEPTED and admission is not None:
                uow.admissions.save(admission.used(nonce=scan.document_id, at=scan.scanned_at))
            registered = uow.gate_scans.get(scan.document_id)
            assert registered is not None
            return registered
        # Registered meanwhile by another transaction (the push beside the live call).
        earlier = uow.gate_scans.get(scan.document_id)
        assert earlier is not None
    return earlier.model_copy(
        update={"result": ScanResult.DUPLICATE, "reason": duplicate_of(earlier.verdict())}
    )


def scan_at_gate(
    *, uow: SqlUnitOfWork, till_number: int, scan_in: GateScanIn, now: datetime
) -> GateScanPublic:
    """A till asks about a scan at once (live): registered and answered in one transaction
    (422 BAD_ADMISSION_NUMBER, BAD_GATE)."""
    scan = replace(
        scan_in.scanned(till_number),
        admission_number=parse_admission_number(scan_in.admission_number),
        gate=check_gate(scan_in.gate),
    )
    with uow:
        answer = register_scan(uow, scan, now=now)
        uow.commit()
    return answer


def find_gate_scans(
    *,
    uow: SqlUnitOfWork,
    caller_till: int | None,
    till_number: int | None,
    nonces: Sequence[str] | None,
    limit: int,
) -> list[GateScanPublic]:
    """The scans registered, newest first, each as it counts: a till asks about its own
    (403 WRONG_TILL for another's), the back office (``caller_till`` None) about any."""
    if caller_till is not None:
        if till_number not in (None, caller_till):
            raise Refusal(
                errors.WRONG_TILL,
                f"Till {caller_till} may only ask about its own gate scans.",
                status=403,
            )
        till_number = caller_till
    with uow:
        return uow.gate_scans.find(till_number=till_number, nonces=nonces, limit=limit)


def list_admissions(
    *, uow: SqlUnitOfWork, till_number: int | None, limit: int
) -> list[AdmissionRecord]:
    """The latest admissions sold, newest first (the back office)."""
    with uow:
        return uow.admissions.listed(till_number=till_number, limit=limit)
