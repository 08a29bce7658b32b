"""Admissions and gate scans (R2.6): the rules a gate is judged by, pure.

An admission is a booking of an admission item, numbered from its till's own range of form
04 (``10000001-04``) when it was booked, offline too. The server holds it once the receipt
that sold it arrives (``valid``); a gate asks the server, so an admission sold offline is
not valid at the gate until its till has synced. Its first accepted scan uses it.

A scan carries a nonce (a UUID made when the number was read): the same scan sent again —
a lost answer, the push after a live answer, a form sent twice — is a *duplicate*, counted
once, answered with what it counts as. Judged in the order the server registers scans:

* the nonce seen before → ``duplicate`` (nothing changes);
* no such admission → ``rejected``, unknown number (never sold, its ticket never paid, or
  its receipt not yet on the server);
* its sale voided → ``rejected``, voided;
* used by an earlier scan → ``rejected``, already used at that scan's time by that scan;
* else → ``accepted``, and the admission is used from now on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from autonom.domain import errors, limits
from autonom.domain.errors import Refusal
from autonom.domain.events import has_control_characters
from autonom.domain.numbering import Form, ReceiptNumber

_SHOWN = 40  # characters of a bad input repeated in a message


class AdmissionState(StrEnum):
    VALID = "valid"
    USED = "used"
    VOIDED = "voided"


class ScanResult(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class RejectReason(StrEnum):
    UNKNOWN_NUMBER = "unknown_number"
    VOIDED = "voided"
    ALREADY_USED = "already_used"


@dataclass(frozen=True)
class Admission:
    """An admission as the server holds it; ``used_at``/``used_by``: the scan that used it
    (its scan time and nonce)."""

    number: str
    state: AdmissionState
    used_at: datetime | None = None
    used_by: str | None = None

    def used(self, *, nonce: str, at: datetime) -> Admission:
        """The admission after its scan ``nonce`` (read at ``at``) was accepted."""
        return replace(self, state=AdmissionState.USED, used_at=at, used_by=nonce)


@dataclass(frozen=True)
class ScanVerdict:
    """What a scan counts as (accepted or rejected with the reason), or, for a nonce seen
    before, ``duplicate``. ``used_at``/``used_by`` name the scan that used the admission
    (already used)."""

    result: ScanResult
    reason: RejectReason | None = None
    used_at: datetime | None = None
    used_by: str | None = None

    def words(self) -> str:
        """The verdict as the gate shows it; times in the zone they carry."""
        if self.result is ScanResult.ACCEPTED:
            return "accepted"
        if self.result is ScanResult.DUPLICATE:
            return "duplicate: this scan was registered already"  # see ``duplicate_of``
        if self.reason is RejectReason.VOIDED:
            return "rejected: voided, the sale of this admission was undone"
        if self.reason is RejectReason.ALREADY_USED and self.used_at is not None:
            by = (self.used_by or "?")[:8]
            return f"rejected: already used at {self.used_at:%d.%m.%Y %H:%M:%S %Z} by scan {by}"
        return "rejected: unknown number (not sold, or its receipt is not on the server yet)"


def duplicate_of(first: ScanVerdict) -> str:
    """The words for a scan sent again: what it was registered as the first time."""
    return f"duplicate: this scan was registered already ({first.words()})"


def judge_scan(*, admission: Admission | None, earlier: ScanVerdict | None) -> ScanVerdict:
    """The verdict on a scan of ``admission`` (None: the server has no such number), whose
    nonce counted as ``earlier`` when the server registered it before (None: new)."""
    if earlier is not None:
        return ScanVerdict(ScanResult.DUPLICATE)
    if admission is None:
        return ScanVerdict(ScanResult.REJECTED, RejectReason.UNKNOWN_NUMBER)
    if admission.state is AdmissionState.VOIDED:
        return ScanVerdict(ScanResult.REJECTED, RejectReason.VOIDED)
    if admission.state is AdmissionState.USED:
        return ScanVerdict(
            ScanResult.REJECTED,
            RejectReason.ALREADY_USED,
            used_at=admission.used_at,
            used_by=admission.used_by,
        )
    return ScanVerdict(ScanResult.ACCEPTED)


def is_admission_number(text: str | None) -> bool:
    """Whether ``text`` is a number of form 04 (an admission's, R2.3)."""
    try:
        return text is not None and ReceiptNumber.parse(text).form == Form.ADMISSION
    except Refusal:
        return False


def parse_admission_number(text: str) -> str:
    """What a gate's scanner read, as an admission's number (``10000001-04``), or
    BAD_ADMISSION_NUMBER: a receipt's or a voucher's number is no admission."""
    number = text.strip()
    if len(number) > limits.MAX_RECEIPT_NUMBER_LENGTH or not is_admission_number(number):
        raise Refusal(
            errors.BAD_ADMISSION_NUMBER,
            f"'{number[:_SHOWN]}' is not an admission's number like 10000001-04.",
        )
    return number


def check_gate(name: str) -> str:
    """A gate's short name: 1 to 20 characters, no control characters (BAD_GATE)."""
    gate = name.strip()
    if not 1 <= len(gate) <= limits.MAX_GATE_LENGTH or has_control_characters(gate):
        raise Refusal(
            errors.BAD_GATE, f"Name the gate in 1 to {limits.MAX_GATE_LENGTH} characters."
        )
    return gate


def parse_nonce(text: str) -> str:
    """A scan's nonce as a client sends it: a UUID, written canonically (INVALID_INPUT)."""
    try:
        return str(uuid.UUID(text.strip()[:_SHOWN]))
    except ValueError:
        raise Refusal(
            errors.INVALID_INPUT, "A scan's nonce is a UUID; read the number again."
        ) from None
