"""R1.1-R1.2: the heartbeat notices a dead server fast, a silent one within two seconds,
and never a blip. Time is simulated: probes go out on the detector's cadence over a
scripted link, so every figure below is exact and nothing can flake."""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonom.till.domain import (
    FISCAL_OPERATOR_LINK,
    SERVER_LINK,
    UP,
    DetectorSettings,
    FailureDetector,
    Health,
    LinkMode,
    ProbeOk,
    ProbeOutcome,
    ProbeRefused,
    ProbeTimedOut,
    Reason,
    StationSettings,
    Verdict,
)

TICK_S = 0.05  # how often the adapter calls tick()


@dataclass
class ScriptedLink:
    """What the network does to each probe: silent windows, refusals, a kill, a blackhole."""

    silent: list[tuple[float, float]] = field(default_factory=list)
    single_refusals: list[float] = field(default_factory=list)
    refused_from: float | None = None
    silent_from: float | None = None
    db_down_from: float | None = None
    rtts: itertools.cycle[float] = field(default_factory=lambda: itertools.cycle([0.004]))
    lateness: itertools.cycle[float] = field(
        default_factory=lambda: itertools.cycle([0.0, 0.02, 0.011, 0.019, 0.004])
    )

    def answer(self, sent_at: float) -> ProbeOutcome:
        rtt = next(self.rtts)
        if self.refused_from is not None and sent_at >= self.refused_from:
            return ProbeRefused(sent_at + 0.001)
        lost = any(start <= sent_at + rtt and sent_at < end for start, end in self.silent)
        if lost or (self.silent_from is not None and sent_at + rtt >= self.silent_from):
            return ProbeTimedOut(sent_at + SERVER_LINK.probe_timeout_s, sent_at=sent_at)
        if self.single_refusals and self.single_refusals[0] <= sent_at:
            self.single_refusals.pop(0)
            return ProbeRefused(sent_at + 0.001)
        if self.db_down_from is not None and sent_at >= self.db_down_from:
            return ProbeOk(sent_at + rtt, db_ok=False)
        return ProbeOk(sent_at + rtt)


def run(
    link: ScriptedLink, until: float, detector_settings: DetectorSettings = SERVER_LINK
) -> list[tuple[float, Verdict]]:
    """Drive a detector over ``link`` the way the till's adapter does; the verdict changes."""
    detector = FailureDetector(detector_settings, started_at=0.0)
    changes: list[tuple[float, Verdict]] = []
    order = itertools.count()
    # (time, order, kind, outcome): kinds are "probe", "extra probe", "outcome", "tick".
    queue: list[tuple[float, int, str, ProbeOutcome | None]] = [
        (0.0, next(order), "probe", None),
        (0.0, next(order), "tick", None),
    ]
    while queue:
        now, _, kind, outcome = heapq.heappop(queue)
        if now > until:
            break
        verdict = None
        if kind in ("probe", "extra probe"):
            # The adapter sends on its tick: up to one tick after the scheduled moment.
            answer = link.answer(now + next(link.lateness))
            heapq.heappush(queue, (answer.at, next(order), "outcome", answer))
            if kind == "probe":  # a fixed cadence, whatever the earlier probes are doing
                next_at = now + detector_settings.probe_interval_s
                heapq.heappush(queue, (next_at, next(order), "probe", None))
        elif kind == "outcome":
            assert outcome is not None
            verdict = detector.observe(outcome)
            if isinstance(outcome, ProbeRefused | ProbeOk) and (
                detector.next_probe_delay < detector_settings.probe_interval_s
            ):
                confirm_at = now + detector.next_probe_delay
                heapq.heappush(queue, (confirm_at, next(order), "extra probe", None))
        else:
            verdict = detector.tick(now)
            heapq.heappush(queue, (now + TICK_S, next(order), "tick", None))
        if verdict is not None:
            changes.append((now, verdict))
    return changes


def first_down(changes: list[tuple[float, Verdict]]) -> tuple[float, Verdict]:
    return next((at, v) for at, v in changes if v.health is Health.DOWN)


# A killed server: connections refused.


@pytest.mark.parametrize("phase", [0.0, 0.03, 0.07, 0.11, 0.149])
def test_a_killed_server_is_down_within_half_a_second(phase: float) -> None:
    killed_at = 5.0 + phase
    changes = run(ScriptedLink(refused_from=killed_at), until=8.0)
    at, verdict = first_down(changes)
    assert verdict == Verdict(Health.DOWN, Reason.NO_PING)
    # Next probe within one interval, one quick re-probe to confirm: at most 0.2 s.
    assert at - killed_at <= SERVER_LINK.probe_interval_s + SERVER_LINK.quick_reprobe_s + 0.01
    assert at - killed_at < 0.5
    assert [v.health for _, v in changes] == [Health.DOWN]  # no detour through SUSPECT


def test_one_refused_connection_changes_nothing_but_asks_again_quickly() -> None:
    detector = FailureDetector(started_at=0.0)
    assert detector.observe(ProbeOk(0.1)) is None
    assert detector.observe(ProbeRefused(0.2)) is None
    assert detector.verdict == UP
    assert detector.next_probe_delay == SERVER_LINK.quick_reprobe_s
    assert detector.observe(ProbeOk(0.25)) is None
    assert detector.next_probe_delay == SERVER_LINK.probe_interval_s
    assert detector.observe(ProbeRefused(0.4)) is None  # not consecutive: still a blip
    assert detector.verdict == UP


def test_two_refusals_in_a_row_are_down_even_with_a_timeout_between() -> None:
    detector = FailureDetector(started_at=0.0)
    detector.observe(ProbeRefused(0.1))
    detector.observe(ProbeTimedOut(0.12))
    assert detector.observe(ProbeRefused(0.15, Reason.NO_APP)) == Verdict(
        Health.DOWN, Reason.NO_APP
    )


def test_a_server_whose_database_is_gone_is_down_with_no_db() -> None:
    changes = run(ScriptedLink(db_down_from=3.0), until=5.0)
    at, verdict = first_down(changes)
    assert verdict == Verdict(Health.DOWN, Reason.NO_DB)
    assert at - 3.0 < 0.5


# A blackhole: answers never come, connects may still succeed.


@pytest.mark.parametrize("phase", [0.0, 0.02, 0.06, 0.1, 0.149])
def test_a_silent_server_is_down_within_two_seconds(phase: float) -> None:
    silent_from = 5.0 + phase
    changes = run(ScriptedLink(silent_from=silent_from), until=9.0)
    at, verdict = first_down(changes)
    assert 1.0 < at - silent_from <= 2.0
    assert verdict == Verdict(Health.DOWN, Reason.NO_APP)  # a probe timed out before
    assert [v.health for _, v in changes] == [Health.SUSPECT, Health.DOWN]


def test_silence_alone_turns_suspect_then_down_at_the_thresholds() -> None:
    detector = FailureDetector(started_at=10.0)  # no probe ever answers
    assert detector.tick(11.44) is None
    assert detector.tick(11.45) == Verdict(Health.SUSPECT, Reason.NO_PING)
    assert detector.tick(11.59) is None
    assert detector.tick(11.6) == Verdict(Health.DOWN, Reason.NO_PING)
    assert detector.tick(30.0) is None


def test_an_answer_ends_suspicion_at_once() -> None:
    detector = FailureDetector(started_at=0.0)
    detector.tick(1.5)
    assert detector.verdict.health is Health.SUSPECT
    assert detector.observe(ProbeOk(1.55)) == UP


def test_the_fiscal_operator_is_unreachable_after_five_seconds_without_answer() -> None:
    detector = FailureDetector(FISCAL_OPERATOR_LINK, started_at=0.0)
    detector.observe(ProbeOk(1.0))
    assert detector.tick(5.9) is not None
    assert detector.verdict.health is Health.SUSPECT
    assert detector.tick(6.0) == Verdict(Health.DOWN, Reason.NO_PING)


# Coming back.


def test_recovery_needs_two_answers_in_a_row() -> None:
    detector = FailureDetector(started_at=0.0)
    detector.tick(2.0)
    assert detector.verdict.health is Health.DOWN
    assert detector.observe(ProbeOk(2.1)) is None
    assert detector.observe(ProbeTimedOut(2.2)) is None
    assert detector.observe(ProbeOk(2.3)) is None  # the count started again
    assert detector.observe(ProbeOk(2.45)) == UP


def test_a_long_outage_does_not_count_earlier_answers_towards_recovery() -> None:
    detector = FailureDetector(started_at=0.0)
    for n in range(10):
        detector.observe(ProbeOk(n * 0.15))
    detector.tick(4.0)  # silent: down without any failed probe being reported
    assert detector.verdict.health is Health.DOWN
    assert detector.observe(ProbeOk(4.1)) is None
    assert detector.observe(ProbeOk(4.25)) == UP


def test_down_names_what_hard_evidence_says_now_but_not_what_a_timeout_guesses() -> None:
    detector = FailureDetector(started_at=0.0)
    detector.observe(ProbeRefused(0.1))
    detector.observe(ProbeRefused(0.15))
    assert detector.verdict == Verdict(Health.DOWN, Reason.NO_PING)
    assert detector.observe(ProbeTimedOut(1.2, Reason.NO_APP)) is None
    assert detector.observe(ProbeOk(1.3, db_ok=False)) == Verdict(Health.DOWN, Reason.NO_DB)


def test_thresholds_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(ValueError, match="suspect_after_s"):
        DetectorSettings(suspect_after_s=2.0, down_after_s=1.0)
    with pytest.raises(ValueError, match="at least 1"):
        DetectorSettings(hard_failures_for_down=0)


# Blips: R1.2 "a short drop-out is absorbed without a mode change".


def feed_mode(changes: list[tuple[float, Verdict]], allowed: bool) -> int:
    """Feed the verdict changes to a mode machine; the number of mode changes."""
    machine = LinkMode(StationSettings(emergency_allowed=allowed))
    return sum(len(machine.on_verdict(verdict, at)) for at, verdict in changes)


@pytest.mark.parametrize("blip_s", [0.2, 0.5, 1.0])
def test_a_hundred_blips_never_change_the_verdict_or_the_mode(blip_s: float) -> None:
    # 100 blips at every phase against the probe cadence (steps of 1.3 ms cover a whole
    # interval), with an uneven round trip and probes sent up to one tick late.
    silent = [(2.0 + n * 3.0 + n * 0.0013, 2.0 + n * 3.0 + n * 0.0013 + blip_s) for n in range(100)]
    link = ScriptedLink(silent=silent, rtts=itertools.cycle([0.001, 0.012, 0.03, 0.004]))
    changes = run(link, until=silent[-1][1] + 3.0)
    assert changes == []
    assert feed_mode(changes, allowed=True) == 0


@st.composite
def blip_patterns(draw: st.DrawFn) -> ScriptedLink:
    """Silences of at most 1 s and single refusals, each after at least 0.4 s of health."""
    cursor = 1.0
    link = ScriptedLink()
    for _ in range(draw(st.integers(1, 25))):
        cursor += draw(st.floats(0.4, 3.0))
        if draw(st.booleans()):
            length = draw(st.floats(0.001, 1.0))
            link.silent.append((cursor, cursor + length))
            cursor += length
        else:
            link.single_refusals.append(cursor)
    rtts = draw(st.lists(st.floats(0.0005, 0.03), min_size=1, max_size=20))
    link.rtts = itertools.cycle(rtts)
    return link


@settings(max_examples=300, deadline=None)
@given(blip_patterns())
def test_blips_shorter_than_the_threshold_never_give_down(link: ScriptedLink) -> None:
    end = (link.silent[-1][1] if link.silent else 0.0) + 3.0
    end = max(end, (link.single_refusals[-1] if link.single_refusals else 0.0) + 3.0)
    changes = run(link, until=end)
    assert all(verdict.health is not Health.DOWN for _, verdict in changes)
    assert changes == []  # not even SUSPECT: a blip is not news
    assert feed_mode(changes, allowed=True) == 0
