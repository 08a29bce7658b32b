"""Crashes (issue 9, point 9): tills and the server killed with SIGKILL while cashiers sell,
restarted, and in the end drained and counted.

What kills what:

* **At a named crash point** (``autonom.crash_points``): the part is started with
  ``AUTONOM_CRASH_AT=<point>:<nth>`` and kills *itself* with SIGKILL the nth time it gets
  there — a till before a sale's COMMIT, after it but before the printer, after a push went
  out, with the answer in hand, after marking a batch sent; the server inside a batch,
  before its COMMIT, after it but before answering. The points are taken in turn, the nth
  at random, so each is tried about equally often.
* **At a random moment**: the harness sends SIGKILL (through the launcher) after a random
  delay, while the cashier's requests and the uploads are in flight.
* A part armed with a point it did not reach in time is killed by the harness too, and
  counted as such (``not_reached``): the point was not the cause.

Three phases on the same files, then one drain and one count:

1. **Tills.** Each till (``autonom till``, driven through its JSON API) in its own thread:
   start (armed, or to be killed at a random moment), log in, pay what the last crash left
   open, sell until it dies; again. The server stays up, so the upload points are reached.
2. **Tills without their web server.** The same, on the same till files, but each life is
   ``service_till.sell``: the till's service layer and uploader in a forked process of its
   own, no uvicorn, no heartbeat, no login — a third of the cost of a life, and the same
   crash points (they sit below the web layer).
3. **Server.** Every till's cashier sells, two or three sales a second; the server is started
   armed (or to be killed at a random moment), takes the pushes of every till until it
   dies, stays down a moment (a real outage: the tills see it, their cashiers choose
   emergency mode when a close is refused) and comes back; again.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import cycle

from autonom.crash_points import ENVIRONMENT_VARIABLE, CrashPoint
from tests.support.fork_launcher import DiedStarting, Forked
from tests.support.proof.cashier import TillGone
from tests.support.proof.holdings import Tally
from tests.support.proof.service_till import read_ledger
from tests.support.proof.stack import Stack, StackTill

SIGKILL = int(signal.SIGKILL)
# The nth visit of each point is drawn from these ranges. A sale is 3-5 till commits and
# about as many pushes, so a till's points come within its first sales; the server takes
# the pushes of every till, a few dozen a second.
TILL_POINTS = {
    CrashPoint.TILL_BEFORE_COMMIT: (1, 8),
    CrashPoint.TILL_BEFORE_PRINT: (1, 2),
    CrashPoint.TILL_PUSH_SENT: (1, 6),
    CrashPoint.TILL_ANSWER_RECEIVED: (1, 6),
    CrashPoint.TILL_AFTER_MARK: (1, 6),
}
SERVER_POINTS = {
    CrashPoint.SERVER_INSIDE_BATCH: (1, 8),  # once per batch of ticket operations
    CrashPoint.SERVER_BEFORE_COMMIT: (1, 8),
    CrashPoint.SERVER_AFTER_COMMIT: (1, 8),
}
TILL_RANDOM_S = (0.02, 0.4)  # a random kill lands this long after the cashier logged in
SERVER_RANDOM_S = (0.05, 1.0)
TILL_LIFE_S = 1.5  # an armed till that has not crashed by then is killed (not reached)
SERVER_LIFE_S = 2.0
SERVER_DOWN_S = (0.0, 0.2)  # how long the server stays dead before it is restarted
SALE_PAUSE_S = (0.2, 0.5)  # between two sales while the server crashes
SERVICE_TILL = "tests.support.proof.service_till:sell"
SERVICE_LAYER = "(service layer)"  # how the crashes of phase 2 are labelled


@dataclass(frozen=True)
class Crash:
    """One planned crash: a named point and its nth visit, or (point None) a kill at a
    random moment ``after_s`` into the part's life."""

    part: str  # "till" or "server"
    point: CrashPoint | None
    nth: int = 1
    after_s: float = 0.0

    @property
    def label(self) -> str:
        return self.point.value if self.point is not None else f"{self.part}.random_moment"

    def environment(self) -> dict[str, str]:
        if self.point is None:
            return {}
        return {ENVIRONMENT_VARIABLE: f"{self.point.value}:{self.nth}"}


@dataclass
class CrashReport:
    """How many crashes of each kind happened, and the counts after the drain."""

    crashes: Counter[str] = field(default_factory=Counter)  # "<label> <how>" → times
    tally: Tally = field(default_factory=Tally)
    receipts: int = 0
    seconds: float = 0.0

    @property
    def runs(self) -> int:
        """Crashes that happened: at their point, or killed by the harness."""
        return sum(self.crashes.values())

    def fired(self, point: CrashPoint) -> int:
        """How often ``point`` killed its process, in any phase."""
        return sum(n for key, n in self.crashes.items() if key.startswith(f"{point.value} fired"))

    def summary(self) -> dict[str, object]:
        return {
            "runs": self.runs,
            "lost": self.tally.lost,
            "duplicated": self.tally.duplicated,
            "unexpected": self.tally.unexpected,
            "receipts": self.receipts,
            "seconds": round(self.seconds, 1),
            "crashes": dict(sorted(self.crashes.items())),
        }


class CrashHarness:
    """Crash the tills of ``stack`` ``till_crashes`` times, then their service layers
    ``service_crashes`` times, then the server ``server_crashes`` times; then drain and
    count. See the module docstring."""

    def __init__(
        self,
        stack: Stack,
        *,
        till_crashes: int,
        service_crashes: int,
        server_crashes: int,
        seed: int,
    ) -> None:
        self.stack = stack
        self.till_crashes = till_crashes
        self.service_crashes = service_crashes
        self.server_crashes = server_crashes
        self.seed = seed
        self.report = CrashReport()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._crashed = 0
        self._errors: list[BaseException] = []

    def run(self) -> CrashReport:
        """Crash, restart, drain, count."""
        started = time.monotonic()
        self._phase(self.till_crashes, [(self._crash_till, till) for till in self.stack.tills])
        self._phase(
            self.service_crashes, [(self._crash_service_till, till) for till in self.stack.tills]
        )
        sellers = [(self._sell, till) for till in self.stack.tills]
        self._phase(self.server_crashes, [(self._crash_server, None), *sellers])
        self.stack.drain()
        self.report.tally = self.stack.tally()
        self.report.receipts = sum(len(t.acknowledged.receipts) for t in self.stack.tills)
        self.report.seconds = time.monotonic() - started
        return self.report

    # -- the threads ----------------------------------------------------------------------

    def _phase(
        self, crashes: int, loops: list[tuple[Callable[[StackTill | None], None], StackTill | None]]
    ) -> None:
        """Run ``loops`` (one thread each) until ``crashes`` crashes happened."""
        if crashes <= 0:
            return
        self._done.clear()
        self._crashed, self._target = 0, crashes
        threads = [threading.Thread(target=self._guarded, args=loop) for loop in loops]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._errors:
            raise self._errors[0]

    def _guarded(self, loop: Callable[[StackTill | None], None], till: StackTill | None) -> None:
        try:
            loop(till)
        except BaseException as error:  # the main thread raises it
            self._errors.append(error)
            self._done.set()

    def _count(self, crash: Crash, how: str, variant: str = "") -> None:
        with self._lock:
            self.report.crashes[f"{crash.label} {how} {variant}".strip()] += 1
            self._crashed += 1
            if self._crashed >= self._target:
                self._done.set()

    def _crash_till(self, till: StackTill | None) -> None:
        assert till is not None
        rng = random.Random(f"{self.seed}-{till.number}")
        plans = cycle([*TILL_POINTS, None])
        till.part.kill()  # the till the stack started was not armed
        while not self._done.is_set():
            point = next(plans)
            if point is None:
                crash = Crash("till", None, after_s=rng.uniform(*TILL_RANDOM_S))
            else:
                crash = Crash("till", point, nth=rng.randint(*TILL_POINTS[point]))
            self._count(crash, self._till_life(till, crash, rng))
        till.part.start()  # unarmed, for the next phase

    def _till_life(self, till: StackTill, crash: Crash, rng: random.Random) -> str:
        """Start the till armed with ``crash``, sell until it dies; how it died."""
        try:
            till.part.start(env=crash.environment())
        except DiedStarting as died:
            return _how(crash, died.signal, killed_by_harness=False)
        cashier = till.cashier(rng)
        killer = threading.Timer(crash.after_s, till.part.kill) if crash.point is None else None
        try:
            cashier.log_in()
            if killer is not None:
                killer.start()
            cashier.finish_open_tickets()
            deadline = time.monotonic() + TILL_LIFE_S
            while time.monotonic() < deadline and not self._done.is_set():
                cashier.sell()
        except TillGone:
            pass
        finally:
            if killer is not None:
                killer.cancel()
                if killer.is_alive():
                    killer.join()
            cashier.close_client()
        return _ended(till.part, crash, after_s=1.0)

    def _crash_service_till(self, till: StackTill | None) -> None:
        assert till is not None
        rng = random.Random(f"{self.seed}-{till.number}-service")
        plans = cycle([*TILL_POINTS, None])
        ledger = till.data_dir / "acknowledged.jsonl"
        till.part.kill()  # one process per till file
        while not self._done.is_set():
            point = next(plans)
            if point is None:
                crash = Crash("till", None, after_s=rng.uniform(*TILL_RANDOM_S))
            else:
                crash = Crash("till", point, nth=rng.randint(*TILL_POINTS[point]))
            life = self.stack.launcher.call(
                SERVICE_TILL,
                {
                    "data_dir": str(till.data_dir),
                    "number": till.number,
                    "server_url": till.server_url,
                    "ledger": str(ledger),
                    "seed": rng.randrange(2**32),
                },
                env=crash.environment(),
                log=till.data_dir / "service-till.log",
            )
            after_s = crash.after_s if crash.point is None else TILL_LIFE_S
            self._count(crash, _ended(life, crash, after_s=after_s), SERVICE_LAYER)
        read_ledger(ledger, till.acknowledged)
        till.part.start()  # unarmed, for the next phase

    def _sell(self, till: StackTill | None) -> None:
        """Sell, two or three sales a second, while the server crashes (the till stays up)."""
        assert till is not None
        rng = random.Random(f"{self.seed}-{till.number}-selling")
        cashier = till.cashier(rng)
        try:
            cashier.log_in()
            cashier.finish_open_tickets()
            while not self._done.is_set():
                cashier.sell()
                self._done.wait(rng.uniform(*SALE_PAUSE_S))
        finally:
            cashier.close_client()

    def _crash_server(self, _till: StackTill | None) -> None:
        server = self.stack.server
        rng = random.Random(f"{self.seed}-server")
        plans = cycle([*SERVER_POINTS, None])
        server.kill()  # the server the stack started was not armed
        while not self._done.is_set():
            point = next(plans)
            if point is None:
                crash = Crash("server", None, after_s=rng.uniform(*SERVER_RANDOM_S))
            else:
                crash = Crash("server", point, nth=rng.randint(*SERVER_POINTS[point]))
            try:
                server.start(env=crash.environment())
            except DiedStarting as died:
                self._count(crash, _how(crash, died.signal, killed_by_harness=False))
                continue
            life = crash.after_s if crash.point is None else SERVER_LIFE_S
            deadline = time.monotonic() + life
            while time.monotonic() < deadline and server.alive():
                time.sleep(0.01)
            self._count(crash, _ended(server, crash, after_s=0.0))
            time.sleep(rng.uniform(*SERVER_DOWN_S))
        server.start()  # unarmed: the drain needs it


def _ended(part: Forked, crash: Crash, *, after_s: float) -> str:
    """Wait up to ``after_s`` for ``part`` to die, kill it otherwise; how it ended."""
    ended_by = part.wait_dead(after_s)
    if ended_by is None:
        part.kill()
        return "not_reached" if crash.point is not None else "killed"
    return _how(crash, ended_by, killed_by_harness=crash.point is None)


def _how(crash: Crash, ended_by: int, *, killed_by_harness: bool) -> str:
    if ended_by != SIGKILL:
        raise AssertionError(f"{crash.part} ended by signal {ended_by}, not by a crash")
    return "killed" if killed_by_harness else "fired"
