"""The gate (R2.6): scans of admissions read at this till's gates, recorded here and judged
by the server (docs/admissions.md).

``Gate.scan`` records the scan and its ``gate_scanned`` operation in one write unit of
work, so it is kept and uploaded like any document, then — live, outside the transaction,
with a short timeout — asks the server for the result and keeps it. Offline, or with no
answer, the scan stays *pending*: the push registers it after the outage and
``refresh_results`` fetches the results of the pending scans. The uploader calls it after
every round that reached the server (``Uploader.after_push``): that is exactly when new
results can exist, it runs whether or not anyone looks at the gate page, and it never
waits on a sale. The page only reads what is kept.

A scan's nonce comes with it (the page's form, a gate device through the JSON API) or is
made here. The same nonce again is a *duplicate*: nothing is recorded again, and the
answer is the first scan's, counted once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from autonom.contracts import GateScanIn, GateScanPublic
from autonom.contracts.gate import MAX_NONCES
from autonom.domain import GateScanned, Refusal
from autonom.domain.admission import (
    ScanResult,
    ScanVerdict,
    check_gate,
    parse_admission_number,
    parse_nonce,
)
from autonom.till.adapters.gate_scans import GateScan
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain.capabilities import Availability, Function
from autonom.till.service_layer.capabilities import Capabilities
from autonom.till.service_layer.handlers import new_id
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork

log = structlog.get_logger(__name__)

DEFAULT_GATE = "main"
PENDING = "pending"  # a scan's result before the server judged it
PENDING_WORDS = "recorded — will be checked after the outage"
REFRESH_LIMIT = 500  # pending scans asked about per round (in requests of MAX_NONCES)
RECENT = 20  # scans the gate page lists


class ScanServer(Protocol):
    """The server's side of the gate (``ServerLink``)."""

    @property
    def credential(self) -> str | None: ...

    def register_scan(self, scan: GateScanIn) -> GateScanPublic: ...

    def gate_scans(self, nonces: Sequence[str]) -> list[GateScanPublic]: ...


@dataclass(frozen=True)
class Scanned:
    """A scan just read: as kept here (its result, or pending), and whether it was a
    duplicate — its nonce recorded already, so nothing new was counted."""

    scan: GateScan
    duplicate: bool = False

    @property
    def result(self) -> str:
        """accepted, rejected, duplicate, or pending (see ``PENDING``)."""
        if self.duplicate:
            return ScanResult.DUPLICATE.value
        return scan_result(self.scan)

    @property
    def words(self) -> str:
        """What the gate shows."""
        if self.duplicate:
            first = scan_words(self.scan)
            return f"duplicate: this scan was recorded already ({first}); it counts once"
        return scan_words(self.scan)


def scan_result(scan: GateScan) -> str:
    """accepted, rejected or pending."""
    return PENDING if scan.result is None else scan.result.value


def scan_words(scan: GateScan) -> str:
    """A kept scan's result as the gate shows it: accepted, why rejected, or pending."""
    if scan.result is None:
        return PENDING_WORDS
    return scan.reason or scan.result.value


def result_words(answer: GateScanPublic) -> str | None:
    """Why the server rejected a scan, its times in this till's zone (None: accepted)."""
    if answer.counts_as is ScanResult.ACCEPTED:
        return None
    used_at = None if answer.used_at is None else answer.used_at.astimezone()
    return ScanVerdict(answer.counts_as, answer.reason_code, used_at, answer.used_by).words()


@dataclass
class Gate:
    """See the module docstring. ``offline``: whether documents are made offline now (the
    mode); ``ask_server``: whether the server is asked now (live, registered, uploading
    without trouble — the shared tables' policy), so an outage never costs a timeout."""

    unit_of_work: Callable[[], TillUnitOfWork]
    reading: Callable[[], TillReadUnitOfWork]
    capabilities: Capabilities
    server: ScanServer
    offline: Callable[[], bool]
    ask_server: Callable[[], bool]

    def availability(self) -> Availability:
        """The gate in the capability matrix now (limited offline: the page says how)."""
        return self.capabilities.now(Function.GATE_SCAN)

    def new_nonce(self) -> str:
        """A nonce for the next scan (the page's form carries it, so a form sent twice is
        a duplicate)."""
        return new_id()

    def scan(
        self, operator_number: int, gate: str, number: str, nonce: str | None = None
    ) -> Scanned:
        """Record a scan of ``number`` at ``gate`` and, live, ask the server for its result
        (BAD_ADMISSION_NUMBER, BAD_GATE; FEATURE_OFFLINE should the matrix refuse it)."""
        self.capabilities.require(Function.GATE_SCAN)
        number = parse_admission_number(number)
        gate = check_gate(gate)
        nonce = new_id() if nonce is None else parse_nonce(nonce)
        offline = self.offline()
        with self.unit_of_work() as uow:
            uow.master_data.operator(operator_number)
            earlier = uow.gate_scans.get(nonce)
            if earlier is not None:
                return Scanned(earlier, duplicate=True)
            scanned = GateScanned(
                document_id=nonce,
                till_number=uow.till_number,
                gate=gate,
                admission_number=number,
                scanned_at=uow.now(),
                operator_number=operator_number,
                offline=offline,
            )
            uow.gate_scans.add(scanned)
            uow.record(scanned)
            uow.commit()
        if not offline and self.ask_server():
            self._ask(scanned)
        return Scanned(self._kept(nonce))

    def recent(self, limit: int = RECENT) -> list[GateScan]:
        """The latest scans, newest first, each with its result or pending."""
        with self.reading() as uow:
            return uow.gate_scans.recent(limit)

    def pending(self) -> list[GateScan]:
        """The scans the server has not judged yet, oldest first."""
        with self.reading() as uow:
            return uow.gate_scans.pending(REFRESH_LIMIT)

    def pending_count(self) -> int:
        with self.reading() as uow:
            return uow.gate_scans.pending_count()

    def refresh_results(self) -> int:
        """Fetch the results of the pending scans the server has registered and keep them;
        how many arrived (0 when none is pending or the server does not answer)."""
        if self.server.credential is None:
            return 0
        nonces = [scan.nonce for scan in self.pending()]
        answers: list[GateScanPublic] = []
        try:
            for start in range(0, len(nonces), MAX_NONCES):
                answers += self.server.gate_scans(nonces[start : start + MAX_NONCES])
        except (ServerUnreachable, Refusal) as problem:
            log.info("gate results not fetched", problem=str(problem), pending=len(nonces))
        self._keep(answers)
        return len(answers)

    def _ask(self, scanned: GateScanned) -> None:
        """The server's result of a scan just recorded; none: it stays pending (the push
        registers it, ``refresh_results`` fetches it)."""
        scan_in = GateScanIn(
            nonce=uuid.UUID(scanned.document_id),
            admission_number=scanned.admission_number,
            gate=scanned.gate,
            scanned_at=scanned.scanned_at,
            operator_number=scanned.operator_number,
        )
        try:
            answer = self.server.register_scan(scan_in)
        except (ServerUnreachable, Refusal) as problem:
            log.info("gate scan left pending", nonce=scanned.document_id, problem=str(problem))
            return
        self._keep([answer])

    def _keep(self, answers: Sequence[GateScanPublic]) -> None:
        # ``counts_as``: the push may have registered the scan before this call did.
        if not answers:
            return
        with self.unit_of_work() as uow:
            for answer in answers:
                uow.gate_scans.record_result(
                    answer.nonce, answer.counts_as, result_words(answer), answer.registered_at
                )
            uow.commit()

    def _kept(self, nonce: str) -> GateScan:
        with self.reading() as uow:
            found = uow.gate_scans.get(nonce)
        assert found is not None  # committed above
        return found
