"""The gate's JSON API (``/api/gate-scans``, R2.6): a gate device or a test scans an
admission's number through the till, which records it and, live, asks the server at once;
offline the scan is pending until the server registered it after the outage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from autonom.contracts.fields import Inbound
from autonom.contracts.gate import AdmissionNumberText, GateName
from autonom.till.adapters.gate_scans import GateScan
from autonom.till.entrypoints.api import ERRORS
from autonom.till.entrypoints.deps import ApiSessionDep, TillDep
from autonom.till.service_layer.gate import DEFAULT_GATE, Scanned, scan_result, scan_words

router = APIRouter(prefix="/api", responses=ERRORS, tags=["gate"])


class GateScanTillIn(Inbound):
    """A number read at a gate. Send your own ``nonce`` to retry safely: the same nonce
    again is answered ``duplicate`` and counted once."""

    number: AdmissionNumberText = Field(description="an admission's number, e.g. 10000001-04")
    gate: GateName = DEFAULT_GATE
    nonce: UUID | None = None


class GateScanOut(BaseModel):
    """A scan as this till keeps it; ``result`` pending until the server judged it."""

    nonce: str
    number: str
    gate: str
    operator_number: int
    scanned_at: datetime
    offline: bool = Field(description="recorded in emergency mode")
    result: str = Field(description="accepted, rejected, duplicate, or pending (offline)")
    words: str = Field(description="what the gate shows: accepted, why rejected, pending")
    registered_at: datetime | None = Field(description="when the server registered it")

    @classmethod
    def of(
        cls, scan: GateScan, *, result: str | None = None, words: str | None = None
    ) -> GateScanOut:
        return cls(
            nonce=scan.nonce,
            number=scan.number,
            gate=scan.gate,
            operator_number=scan.operator_number,
            scanned_at=scan.scanned_at,
            offline=scan.offline,
            result=result or scan_result(scan),
            words=words or scan_words(scan),
            registered_at=scan.registered_at,
        )

    @classmethod
    def scanned(cls, scanned: Scanned) -> GateScanOut:
        return cls.of(scanned.scan, result=scanned.result, words=scanned.words)


@router.post("/gate-scans", response_model=GateScanOut)
def scan(body: GateScanTillIn, till: TillDep, session: ApiSessionDep) -> GateScanOut:
    """Scan an admission: accepted, rejected (``words`` say why), duplicate (this nonce was
    recorded already), or pending offline (422 BAD_ADMISSION_NUMBER, BAD_GATE)."""
    nonce = None if body.nonce is None else str(body.nonce)
    scanned = till.gate.scan(session.operator_number, body.gate, body.number, nonce)
    return GateScanOut.scanned(scanned)


@router.get("/gate-scans", response_model=list[GateScanOut])
def gate_scans(
    till: TillDep,
    _session: ApiSessionDep,
    pending: Annotated[bool, Query(description="only those the server has not judged")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[GateScanOut]:
    """The latest scans, newest first (or the pending ones, oldest first)."""
    scans = till.gate.pending()[:limit] if pending else till.gate.recent(limit)
    return [GateScanOut.of(s) for s in scans]
