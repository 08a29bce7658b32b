"""The gate on the till (R2.6), on a real SQLite file with the server as a plain object that
judges by the domain's rule: a scan is recorded with its operation, asked about at once
when live, pending offline until its result is fetched; a nonce sent again is a duplicate."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from autonom.contracts import GateScanIn, GateScanPublic
from autonom.domain import GateScanned, Refusal, errors
from autonom.domain.admission import Admission, AdmissionState, ScanResult, judge_scan
from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer.capabilities import BackendBoard, Capabilities
from autonom.till.service_layer.gate import PENDING, PENDING_WORDS, Gate
from tests.unit.till.conftest import ANNA, TillUnderTest
from tests.unit.till.test_handlers import keeper

SOLD = ["10000001-04", "10000002-04"]


@dataclass
class GateServer:
    """The server's gate: the admissions it holds and every scan it registered, judged by
    the domain's rule; ``reachable`` False answers nothing."""

    reachable: bool = True
    credential: str | None = "secret"
    admissions: dict[str, Admission] = field(
        default_factory=lambda: {n: Admission(n, AdmissionState.VALID) for n in SOLD}
    )
    registered: dict[str, GateScanPublic] = field(default_factory=dict)
    asked: int = 0

    def register(self, scan: GateScanned) -> GateScanPublic:
        """What the push of the scan's operation does, and the live call."""
        earlier = self.registered.get(scan.document_id)
        admission = self.admissions.get(scan.admission_number)
        verdict = judge_scan(
            admission=admission, earlier=None if earlier is None else earlier.verdict()
        )
        if earlier is not None:
            return earlier.model_copy(update={"result": ScanResult.DUPLICATE})
        if verdict.result is ScanResult.ACCEPTED and admission is not None:
            self.admissions[admission.number] = admission.used(
                nonce=scan.document_id, at=scan.scanned_at
            )
        self.registered[scan.document_id] = GateScanPublic(
            nonce=scan.document_id,
            till_number=scan.till_number,
            gate=scan.gate,
            admission_number=scan.admission_number,
            scanned_at=scan.scanned_at,
            operator_number=scan.operator_number,
            offline=scan.offline,
            result=verdict.result,
            counts_as=verdict.result,
            reason_code=verdict.reason,
            used_at=verdict.used_at,
            used_by=verdict.used_by,
            registered_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        )
        return self.registered[scan.document_id]

    def register_scan(self, scan: GateScanIn) -> GateScanPublic:
        self.asked += 1
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        return self.register(scan.scanned(10))

    def gate_scans(self, nonces: Sequence[str]) -> list[GateScanPublic]:
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        return [self.registered[n] for n in nonces if n in self.registered]


@dataclass
class AtTheGate:
    till: TillUnderTest
    server: GateServer
    offline: bool = False
    gate: Gate = field(init=False)

    def __post_init__(self) -> None:
        mode = keeper()
        self.gate = Gate(
            unit_of_work=self.till.uow,
            reading=self.till.reading,
            capabilities=Capabilities(mode, BackendBoard()),
            server=self.server,
            offline=lambda: self.offline,
            ask_server=lambda: not self.offline and self.server.reachable,
        )

    def pushed(self) -> None:
        """The uploader delivers the till's gate_scanned operations to the server."""
        with self.till.reading() as uow:
            count = uow.outbox.unsent_count()
        operations = Outbox(self.till.store.conn).next_batch(count)
        for operation in operations:
            if isinstance(operation.event, GateScanned):
                self.server.register(operation.event)

    def operations(self) -> list[str]:
        with self.till.reading() as uow:
            return [d.kind for d in uow.outbox.unsent_documents()]


@pytest.fixture
def at_gate(till: TillUnderTest) -> AtTheGate:
    return AtTheGate(till, GateServer())


def test_live_the_server_judges_each_scan_at_once_and_the_till_keeps_the_result(
    at_gate: AtTheGate,
) -> None:
    first = at_gate.gate.scan(ANNA, "main", SOLD[0])
    again = at_gate.gate.scan(ANNA, "main", f" {SOLD[0]} ")
    unknown = at_gate.gate.scan(ANNA, "north", "10000077-04")

    assert (first.result, first.words) == ("accepted", "accepted")
    assert again.result == "rejected"
    assert again.words.startswith("rejected: already used at 21.11.2026")
    assert again.words.endswith(f"by scan {first.scan.nonce[:8]}")
    assert unknown.result == "rejected"
    assert "unknown number" in unknown.words
    assert at_gate.operations() == ["gate_scanned"] * 3  # each a document uploaded like others
    assert [s.nonce for s in at_gate.gate.recent()] == [
        unknown.scan.nonce,
        again.scan.nonce,
        first.scan.nonce,
    ]
    assert at_gate.gate.pending() == []
    assert not first.scan.offline


def test_offline_a_scan_is_recorded_pending_and_gets_its_result_after_the_outage(
    at_gate: AtTheGate,
) -> None:
    at_gate.offline = True
    scans = [at_gate.gate.scan(ANNA, "main", n) for n in (SOLD[0], SOLD[0], SOLD[1])]

    assert at_gate.server.asked == 0  # never a timeout at the gate during an outage
    assert [(s.result, s.words) for s in scans] == [(PENDING, PENDING_WORDS)] * 3
    assert all(s.scan.offline for s in scans)
    assert at_gate.gate.refresh_results() == 0  # nothing is registered yet

    at_gate.offline = False
    at_gate.pushed()
    assert at_gate.gate.refresh_results() == 3
    kept = {s.nonce: s for s in at_gate.gate.recent()}
    assert [kept[s.scan.nonce].result for s in scans] == [
        ScanResult.ACCEPTED,
        ScanResult.REJECTED,
        ScanResult.ACCEPTED,
    ]
    assert at_gate.gate.pending_count() == 0


def test_live_without_an_answer_the_scan_stays_pending_until_its_result_is_fetched(
    at_gate: AtTheGate,
) -> None:
    at_gate.server.reachable = False
    scanned = at_gate.gate.scan(ANNA, "main", SOLD[1])
    assert scanned.result == PENDING
    assert at_gate.gate.refresh_results() == 0  # still unreachable: nothing lost, no error

    at_gate.server.reachable = True
    at_gate.pushed()
    assert at_gate.gate.refresh_results() == 1
    assert at_gate.gate.recent()[0].result is ScanResult.ACCEPTED


def test_the_same_nonce_again_is_a_duplicate_recorded_once(at_gate: AtTheGate) -> None:
    nonce = str(uuid.uuid4())
    first = at_gate.gate.scan(ANNA, "main", SOLD[0], nonce)
    again = at_gate.gate.scan(ANNA, "main", SOLD[0], nonce.upper())  # the form sent twice

    assert first.result == "accepted"
    assert again.duplicate
    assert again.result == "duplicate"
    assert again.words == "duplicate: this scan was recorded already (accepted); it counts once"
    assert at_gate.operations() == ["gate_scanned"]
    assert at_gate.server.asked == 1
    assert len(at_gate.gate.recent()) == 1


def test_what_is_no_admission_is_refused_and_nothing_is_recorded(at_gate: AtTheGate) -> None:
    for number, gate, code in (
        ("10000001-01", "main", errors.BAD_ADMISSION_NUMBER),
        ("banana", "main", errors.BAD_ADMISSION_NUMBER),
        (SOLD[0], "", errors.BAD_GATE),
    ):
        with pytest.raises(Refusal) as refused:
            at_gate.gate.scan(ANNA, gate, number)
        assert refused.value.code == code
    with pytest.raises(Refusal) as refused:
        at_gate.gate.scan(ANNA, "main", SOLD[0], "not-a-uuid")
    assert refused.value.code == errors.INVALID_INPUT
    with pytest.raises(Refusal) as refused:
        at_gate.gate.scan(99, "main", SOLD[0])
    assert refused.value.code == errors.UNKNOWN_OPERATOR
    assert at_gate.operations() == []
    assert at_gate.gate.recent() == []
