"""Gate scans on the wire (R2.6, docs/admissions.md): a till registers a scan live with
``POST /api/v1/gate-scans`` (``GateScanIn``) or, offline, later through the push (the
``gate_scanned`` operation); either way the server answers or lists it as
``GateScanPublic``. The same rule judges both, so they never disagree."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, StrictInt

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound, Moment
from autonom.domain import limits
from autonom.domain.admission import RejectReason, ScanResult, ScanVerdict
from autonom.domain.events import GateScanned

MAX_NONCES = 100  # nonces asked in one GET /gate-scans (they travel in the URL)

AdmissionNumberText = Annotated[
    str,
    Field(min_length=1, max_length=limits.MAX_RECEIPT_NUMBER_LENGTH),
    NO_CONTROL_CHARACTERS,
]
Nonce = Annotated[str, Field(min_length=1, max_length=limits.MAX_ID_LENGTH), NO_CONTROL_CHARACTERS]
"""A scan's nonce as asked about (``?nonces=``): a scan's ``document_id``."""
GateName = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_GATE_LENGTH), NO_CONTROL_CHARACTERS
]


class GateScanIn(Inbound):
    """A scan a till asks the server about at once (live mode)."""

    nonce: UUID = Field(description="made by the till when the number was read; the scan's id")
    admission_number: AdmissionNumberText = Field(description="e.g. 10000001-04")
    gate: GateName
    scanned_at: Moment
    operator_number: StrictInt = Field(ge=1, le=limits.MAX_OPERATOR)

    def scanned(self, till_number: int) -> GateScanned:
        """The scan as the event the till logged for it (a live scan is never offline)."""
        return GateScanned(
            document_id=str(self.nonce),
            till_number=till_number,
            gate=self.gate,
            admission_number=self.admission_number,
            scanned_at=self.scanned_at,
            operator_number=self.operator_number,
            offline=False,
        )


class GateScanPublic(BaseModel):
    """A scan as the server registered it. ``result`` is this answer's: ``duplicate`` when
    the nonce was registered before (nothing was counted again); ``counts_as`` is what the
    scan was registered as, accepted or rejected, with ``reason_code`` and ``reason``."""

    nonce: str
    till_number: int
    gate: str
    admission_number: str
    scanned_at: datetime
    operator_number: int
    offline: bool
    result: ScanResult
    counts_as: ScanResult = Field(description="accepted or rejected: its first answer")
    reason_code: RejectReason | None = None
    reason: str | None = Field(default=None, description="why rejected, or duplicate of what")
    used_at: datetime | None = Field(default=None, description="already used: by the scan at")
    used_by: str | None = Field(default=None, description="already used: that scan's nonce")
    registered_at: datetime

    def verdict(self) -> ScanVerdict:
        """What the scan counts as, for the domain's words."""
        return ScanVerdict(self.counts_as, self.reason_code, self.used_at, self.used_by)
