"""The heartbeat's judgement of one link (server or fiscal operator), and the activity check.

Pure: no sockets, no clock of its own. An adapter sends the probes, reports each outcome
with the monotonic time it happened (``ProbeOk``, ``ProbeRefused``, ``ProbeTimedOut``), and
calls ``tick(now)`` often (every 50-100 ms) so that a silent link is noticed even though
no answer ever comes. R1.1-R1.3.

How the verdict is reached (``DetectorSettings``, defaults = ``SERVER_LINK``):

* **Probe cadence.** A probe every ``probe_interval_s`` (0.12 s) on a fixed schedule, sent
  whether or not the earlier ones have answered, each with its own deadline
  ``probe_timeout_s`` (1.0 s). Sent one after the other, one lost probe would cost a whole
  timeout.
* **Hard evidence counts at once.** A refused or reset connection, or an answer saying the
  database is down, is a *hard failure*. ``hard_failures_for_down`` (2) of them with no
  healthy answer in between give DOWN at once; after the first one the adapter re-probes
  after ``quick_reprobe_s`` (0.05 s, see ``next_probe_delay``). A killed server is DOWN
  about 0.05-0.2 s after the kill; a single refused connection (a blip) changes nothing.
* **Silence counts by deadline.** ``silence`` is the time since the last healthy answer.
  SUSPECT from ``suspect_after_s`` (1.45 s), DOWN from ``down_after_s`` (1.6 s). The last
  answer before a blip of B seconds may come from a probe sent up to one interval before
  it, and the first answer after it from a probe sent up to one interval (plus the
  adapter's tick) after it: at most B + 2 x 0.12 + 0.02 s + round trip of silence, about
  1.27 s for B = 1 s, so a blip of up to 1 s never even reaches SUSPECT. A blackhole is
  DOWN 1.6 s after the last answer, i.e. at most 1.6 s + one tick after the fault (target:
  p99 <= 2.0 s). Consecutive misses rather than phi accrual: on loopback and a LAN the
  answer times are too regular for a fitted distribution to add anything but a
  parameter, and fixed deadlines are easy to explain.
* **Recovery needs proof.** From DOWN, ``oks_for_up`` (2) healthy answers in a row give UP,
  so a link that flaps does not bounce the till in and out of emergency mode. From
  SUSPECT one healthy answer is enough: nothing had been decided yet.

The reason of a non-UP verdict is the latest failure seen since the last healthy answer:
``NO_PING`` (no TCP connection; also a link that is merely silent), ``NO_APP`` (connected,
but no or no valid application answer), ``NO_DB`` (the application says its database is
down). The adapter chooses the reason of each outcome: a refused connect or a connect
timeout is ``NO_PING``; a reset after connecting, a read timeout or a garbled answer is
``NO_APP``; a health answer reporting the database down is ``ProbeOk(db_ok=False)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from autonom.domain.mode_log import format_log_line


class Health(StrEnum):
    UP = "up"
    SUSPECT = "suspect"
    DOWN = "down"


class Reason(StrEnum):
    """Why a link is not up: a code for programs, ``words`` for the plain-text log (R1.1)."""

    NO_PING = "NO_PING"
    NO_APP = "NO_APP"
    NO_DB = "NO_DB"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")

    @property
    def plain(self) -> str:
        """What it means, in the cashier's words (the code stays one click away)."""
        return _PLAIN[self]


_PLAIN = {
    Reason.NO_PING: "the server's computer cannot be reached on the network",
    Reason.NO_APP: "the server's computer answers, but the Autonom program on it does not",
    Reason.NO_DB: "the Autonom server answers, but its database does not",
}


@dataclass(frozen=True)
class Verdict:
    """The heartbeat's judgement of one link: ``reason`` is None exactly when UP."""

    health: Health
    reason: Reason | None = None


UP = Verdict(Health.UP)


@dataclass(frozen=True)
class ProbeOk:
    """The application answered; ``db_ok`` False when it says its database is down."""

    at: float
    db_ok: bool = True


@dataclass(frozen=True)
class ProbeRefused:
    """The connection was refused or reset: hard evidence, counted at once."""

    at: float
    reason: Reason = Reason.NO_PING


@dataclass(frozen=True)
class ProbeTimedOut:
    """A probe's deadline passed without an answer; only tells the reason, silence decides.

    ``sent_at`` lets the detector ignore a probe sent before the latest healthy answer: its
    timeout is old news and must not undo a recovery in progress.
    """

    at: float
    reason: Reason = Reason.NO_APP
    sent_at: float | None = None


ProbeOutcome = ProbeOk | ProbeRefused | ProbeTimedOut


@dataclass(frozen=True)
class DetectorSettings:
    """The thresholds of one link; see the module docstring for why these values."""

    probe_interval_s: float = 0.12
    probe_timeout_s: float = 1.0
    quick_reprobe_s: float = 0.05
    hard_failures_for_down: int = 2
    suspect_after_s: float = 1.45
    down_after_s: float = 1.6
    oks_for_up: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.suspect_after_s <= self.down_after_s:
            raise ValueError("need 0 < suspect_after_s <= down_after_s")
        if self.hard_failures_for_down < 1 or self.oks_for_up < 1:
            raise ValueError("hard_failures_for_down and oks_for_up must be at least 1")


SERVER_LINK = DetectorSettings()
# R1.2 (004): the fiscal operator counts as unreachable when it does not answer within 5 s.
FISCAL_OPERATOR_LINK = DetectorSettings(
    probe_interval_s=1.0,
    probe_timeout_s=5.0,
    quick_reprobe_s=0.2,
    suspect_after_s=2.5,
    down_after_s=5.0,
)


_EPSILON_S = 1e-9


class FailureDetector:
    """Turns probe outcomes and the passing of time into a ``Verdict`` for one link.

    Starts UP as of ``started_at``: a till that just started is live until evidence says
    otherwise, which comes within ``down_after_s`` at the latest.
    """

    def __init__(self, settings: DetectorSettings = SERVER_LINK, *, started_at: float) -> None:
        self.settings = settings
        self._verdict = UP
        self._last_healthy_at = started_at
        self._hard_failures = 0
        self._oks_in_a_row = 0
        self._last_reason: Reason | None = None
        self._hard_reason: Reason | None = None

    @property
    def verdict(self) -> Verdict:
        return self._verdict

    def silence(self, now: float) -> float:
        """Seconds since the last healthy answer."""
        # A deadline met exactly must count, although 11.6 - 10.0 < 1.6 in floating point.
        return max(0.0, now - self._last_healthy_at + _EPSILON_S)

    @property
    def next_probe_delay(self) -> float:
        """How long the adapter waits before the next probe: short to confirm a hard failure."""
        if self._hard_failures and self._verdict.health is not Health.DOWN:
            return self.settings.quick_reprobe_s
        return self.settings.probe_interval_s

    def observe(self, outcome: ProbeOutcome) -> Verdict | None:
        """Take one probe outcome into account; the new verdict if it changed, else None."""
        match outcome:
            case ProbeOk(at=at, db_ok=True):
                self._last_healthy_at = max(self._last_healthy_at, at)
                self._hard_failures = 0
                self._oks_in_a_row += 1
                self._last_reason = None
                self._hard_reason = None
            case ProbeOk(db_ok=False):
                self._hard_failure(Reason.NO_DB)
            case ProbeRefused(reason=reason):
                self._hard_failure(reason)
            case ProbeTimedOut(reason=reason, sent_at=sent_at):
                if sent_at is None or sent_at >= self._last_healthy_at:
                    self._oks_in_a_row = 0
                    self._last_reason = reason
        return self._decide(outcome.at)

    def tick(self, now: float) -> Verdict | None:
        """Let time pass: a silent link turns SUSPECT, then DOWN. The new verdict or None."""
        return self._decide(now)

    def _hard_failure(self, reason: Reason) -> None:
        self._hard_failures += 1
        self._oks_in_a_row = 0
        self._last_reason = reason
        self._hard_reason = reason

    def _decide(self, now: float) -> Verdict | None:
        new = self._judge(now)
        if new == self._verdict:
            return None
        if new.health is Health.DOWN:
            # Recovery counts from the first answer after the fall; only later hard evidence
            # may restate the reason.
            self._oks_in_a_row = 0
            self._hard_reason = None
        self._verdict = new
        return new

    def _judge(self, now: float) -> Verdict:
        settings = self.settings
        reason = self._last_reason or Reason.NO_PING  # nothing at all came back: no ping
        if self._verdict.health is Health.DOWN:
            if self._oks_in_a_row >= settings.oks_for_up:
                return UP
            # Stay down. Hard evidence may say the application is back but its database is
            # not (NO PING -> NO DB) or the reverse; a timeout may not: it cannot tell a dead
            # application from a dead network. NO PING and NO APP are not restated: a
            # connection reset while it is being made is reported either way, and the log
            # would flap between the two.
            hard = self._hard_reason
            if hard is not None and (hard is Reason.NO_DB) != (
                self._verdict.reason is Reason.NO_DB
            ):
                return Verdict(Health.DOWN, hard)
            return self._verdict
        if self._hard_failures >= settings.hard_failures_for_down:
            return Verdict(Health.DOWN, reason)
        silence = self.silence(now)
        if silence >= settings.down_after_s:
            return Verdict(Health.DOWN, reason)
        if silence >= settings.suspect_after_s:
            return Verdict(Health.SUSPECT, reason)
        return UP


class Activity(StrEnum):
    ALIVE = "alive"
    STALLED = "stalled"


class ActivityWatch:
    """R1.3: the till's own application loop calls ``beat``; no beat for ``stall_after_s``
    means the till application has stopped answering."""

    def __init__(self, *, stall_after_s: float = 3.0, started_at: float) -> None:
        self.stall_after_s = stall_after_s
        self._last_beat_at = started_at
        self._status = Activity.ALIVE

    @property
    def status(self) -> Activity:
        return self._status

    def beat(self, now: float) -> Activity | None:
        """The application loop is alive; ALIVE if it had been stalled, else None."""
        self._last_beat_at = max(self._last_beat_at, now)
        return self._become(Activity.ALIVE)

    def tick(self, now: float) -> Activity | None:
        """Check the time since the last beat; STALLED when it just stalled, else None."""
        if now - self._last_beat_at + _EPSILON_S >= self.stall_after_s:
            return self._become(Activity.STALLED)
        return None

    def _become(self, status: Activity) -> Activity | None:
        if status is self._status:
            return None
        self._status = status
        return status


# The plain-text log (R1.1). Writing the file is the adapter's job; these give its text.


class Link(StrEnum):
    """What a log entry is about: a watched link, or the till's own application loop."""

    SERVER = "server"
    FISCAL_OPERATOR = "fiscal_operator"
    ACTIVITY = "activity"


@dataclass(frozen=True)
class LogEntry:
    """One change in the plain-text log; ``state`` is the mode, health or activity after it."""

    at: datetime
    link: Link
    words: str
    state: str

    @property
    def line(self) -> str:
        return format_log_line(self.at, self.words)


def verdict_words(verdict: Verdict) -> str:
    """The log words of a link verdict: ``ONLINE``, ``SUSPECT NO APP``, ``OFFLINE NO PING``."""
    if verdict.health is Health.UP:
        return "ONLINE"
    prefix = "SUSPECT" if verdict.health is Health.SUSPECT else "OFFLINE"
    return f"{prefix} {(verdict.reason or Reason.NO_PING).words}"


def activity_words(status: Activity) -> str:
    """The log words of the activity check; ANSWERED as in seed 000."""
    return "ACTIVITY ANSWERED" if status is Activity.ALIVE else "ACTIVITY STALLED"


def log_file_name(till_number: int, day: date) -> str:
    """One plain-text log file per till and day: ``heartbeat-10-2026-11-21.log``."""
    return f"heartbeat-{till_number}-{day.isoformat()}.log"
