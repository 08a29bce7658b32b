"""The progress of a reintegration (R3, issue 9 point 7): how many of the documents the
till held when it began have reached the server, at what rate, and about how long the rest
will take. Shown on the cashier page's status line, in ``GET /api/status`` and by
``autonom till sync``.

The tracker watches the count of unsent operations each time the status is read while the
till is ``REINTEGRATING``; it needs no hook in the uploader. Sales made meanwhile add to the
total, so the bar never runs backwards.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from autonom.till.domain import Mode

Monotonic = Callable[[], float]


@dataclass(frozen=True)
class SyncProgress:
    """A reintegration under way: ``done`` of ``total`` operations on the server."""

    total: int
    done: int
    rate_per_s: float | None  # None until a first operation went through
    seconds_left: float | None

    @property
    def remaining(self) -> int:
        return self.total - self.done


class ProgressTracker:
    """Thread-safe: the page's status polls and the API's may observe at the same time."""

    def __init__(self, monotonic: Monotonic = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._started_at: float | None = None
        self._total = 0
        self._last_unsent = 0

    def observe(self, mode: Mode, unsent: int) -> SyncProgress | None:
        """The progress now, given the mode and the unsent count just read; None when no
        reintegration is under way (a new one starts with the next REINTEGRATING)."""
        with self._lock:
            if mode is not Mode.REINTEGRATING:
                self._started_at = None
                return None
            now = self._monotonic()
            if self._started_at is None:
                self._started_at, self._total, self._last_unsent = now, unsent, unsent
            # New sales while it runs: the total grows by what was added since last seen.
            self._total += max(0, unsent - self._last_unsent)
            self._last_unsent = unsent
            done = self._total - unsent
            elapsed = now - self._started_at
            rate = done / elapsed if done and elapsed > 0 else None
            return SyncProgress(
                total=self._total,
                done=done,
                rate_per_s=rate,
                seconds_left=unsent / rate if rate else None,
            )
