"""The till's mode, kept in one place for the heartbeat thread and the cashier page.

``ModeKeeper`` wraps the pure ``LinkMode`` of the server link: it takes the heartbeat's
verdicts, the activity check, the cashier's choices and the passing of time; writes every
change to the mode log (file and database, R1.1) and saves the mode, so that a till
restarted in emergency mode resumes it (R1.6). Handlers ask it two things only: whether a
document is made offline (``sales_offline``) and, for a close, both at once: ``selling``
holds the mode's lock while the close runs, so the refusal of an undecided outage (R1.4)
and the offline flag of the receipt come from one read and the mode cannot change between
the check and the commit. Neither ever waits on the network (invariant 1).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog

from autonom.till.adapters.station import StationStore
from autonom.till.adapters.unit_of_work import Clock
from autonom.till.domain import (
    Activity,
    Choice,
    Dialog,
    Health,
    Link,
    LinkMode,
    LogEntry,
    Mode,
    ModeChanged,
    Notice,
    StationSettings,
    Verdict,
    activity_words,
    mode_words,
    verdict_words,
)

log = structlog.get_logger(__name__)

OFFLINE_MODES = frozenset({Mode.EMERGENCY, Mode.SERVER_AVAILABLE, Mode.REINTEGRATING})


@dataclass(frozen=True)
class ModeView:
    """Everything the page and the status API show about the mode, at one moment."""

    mode: Mode
    server_link: Health | None  # None until the first probe has answered or failed
    operator_link: Health | None  # None when no fiscal operator is watched (yet)
    activity: Activity
    settings: StationSettings
    dialog: Dialog | None
    notice: Notice | None
    auto_return_in_s: float | None
    local_open_tickets: int

    @property
    def sales_offline(self) -> bool:
        return self.mode in OFFLINE_MODES


class ModeKeeper:
    """See the module docstring; every method is safe to call from any thread."""

    def __init__(
        self,
        station: StationStore,
        clock: Clock,
        *,
        count_local_open_tickets: Callable[[], int],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._station = station
        self._clock = clock
        self._count_local_open_tickets = count_local_open_tickets
        self._monotonic = monotonic
        self._lock = threading.RLock()
        resumed = station.saved_mode() in OFFLINE_MODES
        self._mode = LinkMode(
            station.station_settings(),
            emergency=resumed,
            local_open_tickets=count_local_open_tickets() if resumed else 0,
        )
        self._verdict: Verdict | None = None
        self._operator_verdict: Verdict | None = None
        self._activity = Activity.ALIVE
        if resumed:
            log.info("emergency mode resumed after a restart")

    # -- what handlers and pages ask ---------------------------------------------------------

    @property
    def state(self) -> Mode:
        return self._mode.state

    @property
    def sales_offline(self) -> bool:
        return self._mode.sales_offline

    @contextmanager
    def selling(self) -> Iterator[bool]:
        """Hold the mode while a ticket is closed: raise the refusal a close gets now (an
        undecided outage, R1.4), else yield whether the receipt is documented offline. The
        mode cannot change until the block ends (the close's commit)."""
        with self._lock:
            self._advance(self._monotonic())
            refusal = self._mode.sale_refusal()
            if refusal is not None:
                raise refusal
            yield self._mode.sales_offline

    def view(self) -> ModeView:
        with self._lock:
            now = self._monotonic()
            self._advance(now)
            dialog = self._mode.dialog
            auto_return_at = dialog.auto_return_at if dialog else None
            return ModeView(
                mode=self._mode.state,
                server_link=self._verdict.health if self._verdict else None,
                operator_link=self._operator_verdict.health if self._operator_verdict else None,
                activity=self._activity,
                settings=self._mode.settings,
                dialog=dialog,
                notice=self._mode.notice,
                auto_return_in_s=None if auto_return_at is None else max(0.0, auto_return_at - now),
                local_open_tickets=self._mode.local_open_tickets,
            )

    # -- inputs ----------------------------------------------------------------------------

    def link_verdict(self, verdict: Verdict, now: float) -> None:
        """The heartbeat's verdict on the server link (repeating one is harmless)."""
        back = verdict.health is Health.UP and verdict != self._verdict and self.sales_offline
        # R1.6: the way back depends on the local open tickets as they are now, not as the
        # last housekeeping round counted them (a table opened a moment ago must be asked).
        count = self._count_local_open_tickets() if back else None  # a read: outside the lock
        with self._lock:
            if count is not None and count != self._mode.local_open_tickets:
                self._apply(self._mode.local_open_tickets_changed(count, now))
            if verdict != self._verdict:
                self._verdict = verdict
                self._record(Link.SERVER, verdict_words(verdict), verdict.health.value)
            self._apply(self._mode.on_verdict(verdict, now))

    def operator_verdict(self, verdict: Verdict, now: float) -> None:
        """The heartbeat's verdict on the fiscal operator link: logged and shown. Its own
        mode machine (autonomous fiscal signs, R4) comes with the fiscal part."""
        with self._lock:
            if verdict != self._operator_verdict:
                self._operator_verdict = verdict
                words = f"OPERATOR {verdict_words(verdict)}"
                self._record(Link.FISCAL_OPERATOR, words, verdict.health.value)

    def activity(self, status: Activity) -> None:
        """The activity check's news about the till's own application loop (R1.3)."""
        with self._lock:
            if status is not self._activity:
                self._activity = status
                self._record(Link.ACTIVITY, activity_words(status), status.value)

    def choose(self, choice: Choice) -> Mode:
        """The cashier's answer to the dialog; a choice no longer offered changes nothing."""
        with self._lock:
            now = self._monotonic()
            match choice:
                case Choice.EMERGENCY:
                    changes = self._mode.choose_emergency(now)
                case Choice.RETRY:
                    changes = self._mode.choose_retry(now)
                case Choice.SYNC_NOW:
                    changes = self._mode.choose_sync_now(now)
                case Choice.STAY_OFFLINE:
                    changes = self._mode.choose_stay_offline(now)
            self._apply(changes)
            return self._mode.state

    def dismiss_notice(self) -> None:
        with self._lock:
            self._mode.dismiss_notice()

    def tick(self, now: float) -> None:
        """Let time pass (the automatic return to live mode, R1.5)."""
        with self._lock:
            self._advance(now)

    def recount_local_open_tickets(self, now: float) -> None:
        """Count the open tickets of emergency mode again (R1.6: they decide the way back)."""
        count = self._count_local_open_tickets()  # a read: outside the lock
        with self._lock:
            if count != self._mode.local_open_tickets:
                self._apply(self._mode.local_open_tickets_changed(count, now))

    def reintegrated(self, now: float) -> None:
        """Everything documented offline is on the server: live mode again."""
        with self._lock:
            self._apply(self._mode.reintegration_done(now))

    def update_settings(self, settings: StationSettings) -> None:
        """New station settings from the server; cached so they hold without it."""
        with self._lock:
            if settings == self._mode.settings:
                return
            self._mode.settings = settings
            self._station.save_station_settings(settings, self._clock())
        log.info(
            "station settings changed",
            emergency_allowed=settings.emergency_allowed,
            auto_return_s=settings.auto_return_s,
        )

    # -- inside the lock -------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        self._apply(self._mode.tick(now))

    def _apply(self, changes: list[ModeChanged]) -> None:
        for change in changes:
            words = mode_words(change, auto_return_s=self._mode.settings.auto_return_s)
            self._record(Link.SERVER, words, change.to_state.value)
            self._station.save_mode(change.to_state)
            log.info("mode changed", mode=change.to_state.value, reason=change.reason.value)

    def _record(self, link: Link, words: str, state: str) -> None:
        self._station.record(LogEntry(self._clock().astimezone(), link, words, state))
