"""The heartbeat thread's probe schedule: probes keep the detector's interval on average
whatever the adapter's tick, so the thresholds' arithmetic holds (a 20 ms tick must not
stretch 0.12 s into 0.14 s), and a hard failure is confirmed sooner."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from autonom.till.domain import SERVER_LINK, ProbeOk, ProbeOutcome, ProbeRefused, Verdict
from autonom.till.service_layer.heartbeat import TICK_S, LinkWatch


class ScriptedProber:
    """Answers at once; records when each probe was sent (simulated time)."""

    def __init__(self, clock: list[float], refuse_from: float = float("inf")) -> None:
        self.clock = clock
        self.refuse_from = refuse_from
        self.sent: list[float] = []

    async def probe(self) -> ProbeOutcome:
        now = self.clock[0]
        self.sent.append(now)
        return ProbeRefused(now) if now >= self.refuse_from else ProbeOk(now)


def drive(prober: ScriptedProber, clock: list[float], seconds: float) -> list[Verdict]:
    told: list[Verdict] = []

    async def main() -> None:
        watch = LinkWatch(
            "http://x", SERVER_LINK, lambda v, _: told.append(v), monotonic=lambda: clock[0]
        )
        while clock[0] < seconds:
            watch.step(clock[0], prober)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            clock[0] += TICK_S

    asyncio.run(main())
    return told


def test_probes_keep_the_interval_on_average_despite_the_tick() -> None:
    clock = [0.0]
    prober = ScriptedProber(clock)
    drive(prober, clock, 30.0)
    gaps = [b - a for a, b in zip(prober.sent[1:], prober.sent[2:], strict=False)]
    assert statistics.mean(gaps) == pytest.approx(SERVER_LINK.probe_interval_s, abs=0.002)
    assert max(gaps) <= SERVER_LINK.probe_interval_s + TICK_S + 1e-9


def test_a_hard_failure_is_confirmed_sooner_and_told_once() -> None:
    clock = [0.0]
    prober = ScriptedProber(clock, refuse_from=5.0)
    told = drive(prober, clock, 6.0)
    first_refused = next(t for t in prober.sent if t >= 5.0)
    second = next(t for t in prober.sent if t > first_refused)
    assert second - first_refused <= SERVER_LINK.quick_reprobe_s + TICK_S + 1e-9
    assert [v.health.value for v in told] == ["up", "down"]
