"""The heartbeat thread: watches the server link, the fiscal operator link (when the till
is given one) and the till's own application loop, drives the mode, and reports to the
server (R1.1-R1.6). Each link is a ``LinkWatch`` with its own thresholds (``SERVER_LINK``,
``FISCAL_OPERATOR_LINK``); either can fail without the other.

One thread runs an asyncio loop of its own, apart from the web server's, so that it keeps
watching (and reporting a stall) when the page's loop hangs (R1.3). Every ``TICK_S``:

* a probe is sent when ``FailureDetector.next_probe_delay`` has passed since the last one,
  whether or not earlier probes answered (fixed cadence; see ``till.domain.heartbeat``);
* the detector and the mode are told the time, so silence and the 30 s automatic return
  are noticed without any answer coming;
* the activity check looks at the last beat of the page's loop (``beat``).

Every ``HOUSEKEEPING_S`` in emergency mode it counts the local open tickets (R1.6) and,
while reintegrating, asks the uploader to push now and ends reintegration once the outbox
is empty. Every ``REPORT_S`` (at once when there is news) it sends the server a
``HeartbeatReport`` with the unsent log entries, caches the station settings it answers and
tells the capability matrix which backends behind the server are down (R2.4).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import structlog

from autonom.contracts import CONTRACT_VERSION, HeartbeatAck, HeartbeatReport
from autonom.domain import Refusal
from autonom.till.adapters.prober import HealthProber
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.station import StationStore
from autonom.till.domain import (
    FISCAL_OPERATOR_LINK,
    SERVER_LINK,
    Activity,
    ActivityWatch,
    DetectorSettings,
    FailureDetector,
    Health,
    Mode,
    ProbeOutcome,
    StationSettings,
    Verdict,
)
from autonom.till.domain.capabilities import Backend
from autonom.till.service_layer.capabilities import BackendBoard
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.uploader import UploadState

log = structlog.get_logger(__name__)

TICK_S = 0.02
HOUSEKEEPING_S = 0.25
REPORT_S = 2.0
MAX_PROBES_IN_FLIGHT = 16
REPORT_EVENTS = 200
# R1.3: the page's loop beats every BEAT_S; no beat for STALL_AFTER_S is a stall.
BEAT_S = 0.25
STALL_AFTER_S = 3.0


class Outbox(Protocol):
    """What the heartbeat needs of the uploader."""

    def unsent_count(self) -> int: ...

    def state(self) -> UploadState: ...

    def retry_now(self) -> None: ...


class Prober(Protocol):
    """One probe of a link (``HealthProber``)."""

    async def probe(self) -> ProbeOutcome: ...


class HeartbeatReceiver(Protocol):
    """The server side of the report (``ServerLink``)."""

    @property
    def credential(self) -> str | None: ...

    def heartbeat(self, report: HeartbeatReport) -> HeartbeatAck: ...


def backends_named(names: Iterable[str]) -> frozenset[Backend]:
    """The backends a heartbeat answer says are down; a name this till does not know (a
    newer server's) concerns no function here."""
    known = {b.value: b for b in Backend}
    return frozenset(known[name] for name in names if name in known)


class LinkWatch:
    """One watched link: its detector, its probes, and whom to tell about a new verdict.

    The first outcome is told even when it changes nothing (UP stays UP): a till restarted in
    emergency mode needs to hear that the link is up to find its way back (R1.6).
    """

    def __init__(
        self,
        url: str,
        settings: DetectorSettings,
        tell: Callable[[Verdict, float], None],
        *,
        monotonic: Callable[[], float],
    ) -> None:
        self.url = url
        self.settings = settings
        self.detector = FailureDetector(settings, started_at=monotonic())
        self._tell = tell
        self._last_probe = float("-inf")
        self._next_probe = float("-inf")
        self._probes: set[asyncio.Task[None]] = set()
        self._told = False

    def step(self, now: float, prober: Prober) -> None:
        """Send a probe if one is due; let the detector see the time.

        Probes keep a fixed schedule (``interval`` apart on average, whatever the tick), so
        the spacing the detector's thresholds assume holds; after a hard failure the next
        probe comes sooner (``next_probe_delay``) to confirm it."""
        due_at = min(self._next_probe, self._last_probe + self.detector.next_probe_delay)
        if now >= due_at and len(self._probes) < MAX_PROBES_IN_FLIGHT:
            interval = self.settings.probe_interval_s
            self._next_probe = max(self._next_probe + interval, now + interval - TICK_S)
            self._last_probe = now
            task = asyncio.create_task(self._probe(prober))
            self._probes.add(task)
            task.add_done_callback(self._probes.discard)
        if self.detector.tick(now) is not None:
            self._tell(self.detector.verdict, now)

    async def _probe(self, prober: Prober) -> None:
        outcome: ProbeOutcome = await prober.probe()
        if self.detector.observe(outcome) is not None or not self._told:
            self._told = True
            self._tell(self.detector.verdict, outcome.at)

    async def cancel(self) -> None:
        for task in self._probes:
            task.cancel()
        await asyncio.gather(*self._probes, return_exceptions=True)


class Heartbeat:
    """See the module docstring. ``start`` and ``stop`` run and end the thread."""

    def __init__(
        self,
        keeper: ModeKeeper,
        station: StationStore,
        outbox: Outbox,
        server: HeartbeatReceiver,
        *,
        server_url: str,
        settings: DetectorSettings = SERVER_LINK,
        operator_url: str | None = None,
        backends: BackendBoard | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        on_reintegrated: Callable[[], object] | None = None,
    ) -> None:
        self._keeper = keeper
        self._on_reintegrated = on_reintegrated  # R3.3: the sync report is asked for then
        self._backends = backends
        self._station = station
        self._outbox = outbox
        self._server = server
        self._monotonic = monotonic
        self._server_link = LinkWatch(
            server_url, settings, self._server_verdict, monotonic=monotonic
        )
        self._watches = [self._server_link]
        if operator_url is not None:
            self._watches.append(
                LinkWatch(
                    operator_url, FISCAL_OPERATOR_LINK, keeper.operator_verdict, monotonic=monotonic
                )
            )
        self._activity: ActivityWatch | None = None
        self._last_beat: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the page's loop --------------------------------------------------------------------

    def beat(self) -> None:
        """The page's application loop is alive (called every ``BEAT_S`` from it)."""
        self._last_beat = self._monotonic()

    async def beat_forever(self) -> None:
        """Run on the page's loop: beat until cancelled."""
        while True:
            self.beat()
            await asyncio.sleep(BEAT_S)

    # -- the thread -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:  # never silently: the page shows no mode changes without it
            log.exception("heartbeat stopped")

    async def _main(self) -> None:
        probers = [
            HealthProber(w.url, timeout_s=w.settings.probe_timeout_s, monotonic=self._monotonic)
            for w in self._watches
        ]
        reporter = asyncio.create_task(self._report_forever())
        last_housekeeping = float("-inf")
        try:
            while not self._stop.is_set():
                now = self._monotonic()
                for watch, prober in zip(self._watches, probers, strict=True):
                    watch.step(now, prober)
                self._keeper.tick(now)
                self._check_activity(now)
                if now - last_housekeeping >= HOUSEKEEPING_S:
                    last_housekeeping = now
                    self._housekeeping(now)
                await asyncio.sleep(TICK_S)
        finally:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
            for watch, prober in zip(self._watches, probers, strict=True):
                await watch.cancel()
                await prober.close()

    def _server_verdict(self, verdict: Verdict, now: float) -> None:
        self._keeper.link_verdict(verdict, now)
        if verdict.health is Health.UP:
            self._outbox.retry_now()  # the outbox need not wait out its backoff

    def _check_activity(self, now: float) -> None:
        beat = self._last_beat
        if beat is None:
            return  # no page loop yet (or none at all, as in a benchmark)
        if self._activity is None:
            self._activity = ActivityWatch(stall_after_s=STALL_AFTER_S, started_at=beat)
        change: Activity | None = self._activity.beat(beat) if now - beat < STALL_AFTER_S else None
        change = change or self._activity.tick(now)
        if change is not None:
            self._keeper.activity(change)

    def _housekeeping(self, now: float) -> None:
        if not self._keeper.sales_offline:
            return
        self._keeper.recount_local_open_tickets(now)
        if self._keeper.state is Mode.REINTEGRATING:
            self._outbox.retry_now()
            if self._outbox.unsent_count() == 0 and self._outbox.state().last_error is None:
                self._keeper.reintegrated(now)
                if self._on_reintegrated is not None:
                    self._on_reintegrated()

    # -- the report -------------------------------------------------------------------------

    async def _report_forever(self) -> None:
        last_report = float("-inf")
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            if (
                self._server.credential is None
                or self._server_link.detector.verdict.health is Health.DOWN
            ):
                continue
            events = self._station.unsent(REPORT_EVENTS)
            if not events and self._monotonic() - last_report < REPORT_S:
                continue
            view = self._keeper.view()
            report = HeartbeatReport(
                mode=view.mode.value,
                activity=view.activity.value,
                unsent_operations=self._outbox.unsent_count(),
                events=events,
                contract=CONTRACT_VERSION,
            )
            try:
                ack = await asyncio.to_thread(self._server.heartbeat, report)
            except (ServerUnreachable, Refusal) as problem:
                log.info("heartbeat report not delivered", problem=str(problem))
                last_report = self._monotonic()
                continue
            last_report = self._monotonic()
            self._station.acknowledge(ack.events_through)
            settings = ack.station_settings
            self._keeper.update_settings(
                StationSettings(settings.emergency_allowed, float(settings.auto_return_s))
            )
            if self._backends is not None:
                self._backends.report("server", backends_named(ack.backends_down))
