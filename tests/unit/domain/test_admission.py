"""The gate's rules (R2.6), pure: a scan is accepted once per admission, rejected with the
reason, or a duplicate of a nonce seen before; what a gate reads is an admission's number."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonom.domain import GateScanned, Refusal, errors
from autonom.domain.admission import (
    Admission,
    AdmissionState,
    RejectReason,
    ScanResult,
    ScanVerdict,
    check_gate,
    duplicate_of,
    judge_scan,
    parse_admission_number,
    parse_nonce,
)
from autonom.domain.events import TEXT_LIMITS, WHOLE_LIMITS, check_event

AT = datetime(2026, 11, 21, 18, 30, 5, tzinfo=UTC)
VALID = Admission("10000001-04", AdmissionState.VALID)


def test_the_first_scan_of_a_valid_admission_is_accepted_and_uses_it() -> None:
    verdict = judge_scan(admission=VALID, earlier=None)
    assert verdict == ScanVerdict(ScanResult.ACCEPTED)
    used = VALID.used(nonce="n-1", at=AT)
    assert (used.state, used.used_at, used.used_by) == (AdmissionState.USED, AT, "n-1")


def test_a_later_scan_with_another_nonce_is_rejected_as_already_used_by_that_scan() -> None:
    used = VALID.used(nonce="5c1e2a9b-aaaa-bbbb-cccc-000000000001", at=AT)
    verdict = judge_scan(admission=used, earlier=None)
    assert (verdict.result, verdict.reason) == (ScanResult.REJECTED, RejectReason.ALREADY_USED)
    assert (verdict.used_at, verdict.used_by) == (AT, used.used_by)
    assert verdict.words() == "rejected: already used at 21.11.2026 18:30:05 UTC by scan 5c1e2a9b"


def test_an_unknown_number_and_a_voided_admission_are_rejected_with_their_reason() -> None:
    unknown = judge_scan(admission=None, earlier=None)
    assert (unknown.result, unknown.reason) == (ScanResult.REJECTED, RejectReason.UNKNOWN_NUMBER)
    assert "not on the server yet" in unknown.words()
    voided = judge_scan(admission=Admission("10000002-04", AdmissionState.VOIDED), earlier=None)
    assert (voided.result, voided.reason) == (ScanResult.REJECTED, RejectReason.VOIDED)
    assert voided.words().startswith("rejected: voided")


def test_the_same_nonce_again_is_a_duplicate_whatever_the_admission_is_now() -> None:
    first = ScanVerdict(ScanResult.ACCEPTED)
    for admission in (VALID, VALID.used(nonce="n-1", at=AT), None):
        assert judge_scan(admission=admission, earlier=first).result is ScanResult.DUPLICATE
    assert duplicate_of(first) == "duplicate: this scan was registered already (accepted)"


# A gate's day: scans of a few admissions (some valid, one voided, one never sold), nonces
# reused at random as a lost answer or a second push would.
NUMBERS = [f"10{n:06d}-04" for n in range(1, 5)]
scan_stories = st.lists(
    st.tuples(st.sampled_from([*NUMBERS, "10000099-04"]), st.integers(0, 12)), max_size=60
)


@given(scan_stories)
def test_any_sequence_of_scans_accepts_each_admission_at_most_once(
    story: list[tuple[str, int]],
) -> None:
    held = {n: Admission(n, AdmissionState.VALID) for n in NUMBERS}
    held[NUMBERS[-1]] = Admission(NUMBERS[-1], AdmissionState.VOIDED)
    registered: dict[str, ScanVerdict] = {}  # nonce → what it counts as
    accepted: list[str] = []
    for minute, (number, nonce_index) in enumerate(story):
        nonce = f"nonce-{nonce_index}"
        verdict = judge_scan(admission=held.get(number), earlier=registered.get(nonce))
        if verdict.result is ScanResult.DUPLICATE:
            continue  # counted once: nothing changes
        registered[nonce] = verdict
        if verdict.result is ScanResult.ACCEPTED:
            accepted.append(number)
            held[number] = held[number].used(nonce=nonce, at=AT + timedelta(minutes=minute))
    assert len(accepted) == len(set(accepted))
    assert NUMBERS[-1] not in accepted
    assert "10000099-04" not in accepted
    for number in accepted:  # each used by the scan that was accepted, and by no other
        assert registered[held[number].used_by or ""].result is ScanResult.ACCEPTED
    assert all(v.result is not ScanResult.DUPLICATE for v in registered.values())


def test_only_an_admission_number_is_read_at_the_gate() -> None:
    assert parse_admission_number(" 10000001-04\n") == "10000001-04"
    for wrong in ("10000001-01", "10000001-03", "hello", "", "1" * 5000):
        with pytest.raises(Refusal) as refused:
            parse_admission_number(wrong)
        assert refused.value.code == errors.BAD_ADMISSION_NUMBER
        assert len(refused.value.message) < 120


def test_a_gate_has_a_short_name_and_a_scan_a_uuid_nonce() -> None:
    assert check_gate(" north ") == "north"
    for wrong in ("", "   ", "x" * 21, "a\nb"):
        with pytest.raises(Refusal) as refused:
            check_gate(wrong)
        assert refused.value.code == errors.BAD_GATE
    nonce = "5C1E2A9B-0000-4000-8000-000000000001"
    assert parse_nonce(nonce) == nonce.lower()
    with pytest.raises(Refusal) as refused:
        parse_nonce("not-a-uuid")
    assert refused.value.code == errors.INVALID_INPUT


def test_every_field_of_a_gate_scan_has_its_limit() -> None:
    scan = GateScanned(
        document_id="5c1e2a9b-0000-4000-8000-000000000001",
        till_number=10,
        gate="main",
        admission_number="10000001-04",
        scanned_at=AT,
        operator_number=1,
        offline=True,
    )
    assert check_event(scan) == []
    named = {f.name for f in dataclasses.fields(GateScanned)} - {"kind", "offline", "scanned_at"}
    assert named <= TEXT_LIMITS.keys() | WHOLE_LIMITS.keys()
    too_long = dataclasses.replace(scan, gate="g" * 21, admission_number="1" * 17)
    assert check_event(too_long) == [
        "gate must be 1 to 20 characters",
        "admission_number must be 1 to 16 characters",
    ]
