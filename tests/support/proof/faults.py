"""Network faults (issue 9, point 9): every till talks to the server through its own
``FaultProxy``; faults are put in its way while its cashier sells, healed, and in the end
everything is drained and counted.

One fault is one round on one till: the fault is set on the till's proxy (its uploads, its
heartbeat and its table lookups all go through it), the cashier makes a sale — its commit
wakes the uploader, which pushes into the fault — and the round waits for proof that the
fault met that push:

* **cut**: the answer is cut after 1-190 bytes (in the status line, the headers or the
  body), after the request went through: the server committed, the till cannot know. Met
  when the server holds operations of the sale that the till still counts unsent.
* **reset**: every connection is reset (RST). Met when the till's upload failed and the
  server holds nothing of the sale.
* **blackhole**: nothing comes back, nothing goes through. Met when the till's upload
  timed out (its 2 s read timeout) and the server holds nothing of the sale.
* **delay**: every chunk waits 0.05-0.3 s (± a quarter, order kept), both ways. Met when
  operations of the sale went through anyway and the till has the answer.

Then the proxy passes through again and the round ends when the till's outbox is empty and
its last upload succeeded. A fault that was not met in time is counted apart (``missed``)
and not as a run. Each till's first four rounds take each kind once, the later ones draw
by ``WEIGHTS``. When the cashier's close is refused because the till saw the outage,
the cashier chooses emergency mode, as on the page.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from tests.support.fault_proxy import FaultProxy
from tests.support.proof.cashier import Cashier
from tests.support.proof.holdings import Tally, read_only_engine, read_position
from tests.support.proof.stack import Stack, StackTill

# How often each fault comes, by weight: a blackhole costs the till's 2 s read timeout.
WEIGHTS = {"cut": 42, "reset": 28, "delay": 26, "blackhole": 4}
CUT_BYTES = (1, 190)  # the push's answer is about 200 bytes, headers included
DELAY_S = (0.05, 0.3)  # below the till's 2 s read timeout, each way
MET_WITHIN_S = {"cut": 5.0, "reset": 5.0, "delay": 8.0, "blackhole": 6.0}
HEALED_WITHIN_S = 30.0
POLL_S = 0.03


@dataclass(frozen=True)
class Fault:
    """One fault as set on a proxy."""

    kind: str
    cut_after: int = 0
    delay_s: float = 0.0
    jitter_s: float = 0.0

    def set_on(self, proxy: FaultProxy) -> None:
        if self.kind == "cut":
            proxy.cut_response_after(self.cut_after)
        elif self.kind == "reset":
            proxy.reset()
        elif self.kind == "delay":
            proxy.delay(self.delay_s, self.jitter_s)
        else:
            proxy.blackhole()


def draw_fault(rng: random.Random, round_: int) -> Fault:
    """The fault of a till's round: each kind once in its first rounds, then by weight."""
    kinds = list(WEIGHTS)
    if round_ < len(kinds):
        kind = kinds[round_]
    else:
        kind = rng.choices(kinds, weights=list(WEIGHTS.values()))[0]
    if kind == "cut":
        return Fault(kind, cut_after=rng.randint(*CUT_BYTES))
    if kind == "delay":
        delay = rng.uniform(*DELAY_S)
        return Fault(kind, delay_s=delay, jitter_s=delay / 4)
    return Fault(kind)


@dataclass
class FaultReport:
    """How many faults of each kind met a push (``met``) or not (``missed``), and the
    counts after the drain."""

    faults: Counter[str] = field(default_factory=Counter)  # "<kind> met|missed" → times
    tally: Tally = field(default_factory=Tally)
    receipts: int = 0
    seconds: float = 0.0

    @property
    def runs(self) -> int:
        """Faults that met a push."""
        return sum(n for key, n in self.faults.items() if key.endswith(" met"))

    def summary(self) -> dict[str, object]:
        return {
            "runs": self.runs,
            "lost": self.tally.lost,
            "duplicated": self.tally.duplicated,
            "unexpected": self.tally.unexpected,
            "receipts": self.receipts,
            "seconds": round(self.seconds, 1),
            "faults": dict(sorted(self.faults.items())),
        }


class FaultHarness:
    """Put ``faults`` faults between the tills of ``stack`` (built with ``proxies=True``)
    and the server; see the module docstring."""

    def __init__(self, stack: Stack, *, faults: int, seed: int) -> None:
        self.stack = stack
        self.target = faults
        self.seed = seed
        self.report = FaultReport()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._errors: list[BaseException] = []

    def run(self) -> FaultReport:
        """Fault, heal, drain, count."""
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._guarded, args=(till,), name=f"faults-{till.number}")
            for till in self.stack.tills
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        self.stack.drain()
        self.report.tally = self.stack.tally()
        self.report.receipts = sum(len(t.acknowledged.receipts) for t in self.stack.tills)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _guarded(self, till: StackTill) -> None:
        try:
            self._fault_till(till)
        except BaseException as error:  # the main thread raises it
            self._errors.append(error)
            self._done.set()

    def _count(self, fault: Fault, met: bool) -> None:
        with self._lock:
            self.report.faults[f"{fault.kind} {'met' if met else 'missed'}"] += 1
            if self.report.runs >= self.target:
                self._done.set()

    def _fault_till(self, till: StackTill) -> None:
        assert till.proxy is not None, "the stack was built without fault proxies"
        rng = random.Random(f"{self.seed}-{till.number}")
        cashier = till.cashier(rng)
        watch = _Watch(self.stack, till, cashier)
        try:
            cashier.log_in()
            for round_ in itertools.count():
                if self._done.is_set():
                    break
                fault = draw_fault(rng, round_)
                before = watch.look()
                fault.set_on(till.proxy)
                cashier.sell()
                met = watch.until(MET_WITHIN_S[fault.kind], partial(_MET[fault.kind], before))
                till.proxy.pass_through()
                if not watch.until(HEALED_WITHIN_S, _healed):
                    raise AssertionError(
                        f"till {till.number} did not drain within {HEALED_WITHIN_S:.0f} s "
                        f"after a {fault.kind} was healed: {watch.last}"
                    )
                self._count(fault, met)
        finally:
            cashier.close_client()
            watch.close()


@dataclass(frozen=True)
class Seen:
    """One look at both ends: the till's last sequence, how far it counts sent and how
    much unsent (its file), its last upload problem (its status), the server's position
    (its database)."""

    last_seq: int
    sent_through: int
    unsent: int
    upload_problem: str | None
    position: int


class _Watch:
    """Looks at one till and the server until a condition holds."""

    def __init__(self, stack: Stack, till: StackTill, cashier: Cashier) -> None:
        self.till = till
        self.cashier = cashier
        self.db = sqlite3.connect(f"file:{till.data_dir / 'till.sqlite'}?mode=ro", uri=True)
        self.server = read_only_engine(stack.db_url)
        self.last: Seen | None = None

    def until(self, seconds: float, condition: Callable[[Seen], bool]) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            self.last = self.look()
            if condition(self.last):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)

    def look(self) -> Seen:
        last_seq, sent_through, unsent = self.db.execute(
            "SELECT coalesce(max(seq), 0), coalesce(max(seq) FILTER (WHERE sent = 1), 0), "
            "count(*) FILTER (WHERE sent = 0) FROM outbox"
        ).fetchone()
        problem = self.cashier.status()["upload_problem"]
        position = read_position(self.server, self.till.number)
        return Seen(int(last_seq), int(sent_through), int(unsent), problem, int(position))

    def close(self) -> None:
        self.db.close()
        self.server.dispose()


def _healed(seen: Seen) -> bool:
    return seen.unsent == 0 and seen.upload_problem is None and seen.position == seen.last_seq


# Each fault's proof that it met a push of this round's sale (``before``: the look taken
# just before the fault was set).
_MET: dict[str, Callable[[Seen, Seen], bool]] = {
    # The server committed operations of the sale that the till still counts unsent: it
    # sent them and never got the answer.
    "cut": lambda before, s: s.position > max(before.last_seq, s.sent_through),
    "reset": lambda before, s: s.upload_problem is not None and s.position == before.last_seq,
    "blackhole": lambda before, s: s.upload_problem is not None and s.position == before.last_seq,
    # Slow, but through: the till pushed operations of the sale and got the answer.
    "delay": lambda before, s: s.sent_through > before.last_seq and s.upload_problem is None,
}
