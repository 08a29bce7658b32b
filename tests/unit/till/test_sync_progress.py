"""The progress of a reintegration (issue 9, point 7): done of total, rate and time left,
from the unsent count the status line reads; sales made meanwhile add to the total."""

from __future__ import annotations

from autonom.till.domain import Mode
from autonom.till.service_layer.progress import ProgressTracker


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_runs_from_the_unsent_count_at_the_start_with_rate_and_time_left() -> None:
    clock = Clock()
    tracker = ProgressTracker(clock)
    assert tracker.observe(Mode.EMERGENCY, 500) is None

    start = tracker.observe(Mode.REINTEGRATING, 500)
    clock.now += 2.0
    half = tracker.observe(Mode.REINTEGRATING, 250)

    assert start is not None
    assert (start.total, start.done, start.rate_per_s, start.seconds_left) == (500, 0, None, None)
    assert half is not None
    assert (half.total, half.done, half.remaining) == (500, 250, 250)
    assert half.rate_per_s == 125.0
    assert half.seconds_left == 2.0


def test_sales_made_while_it_runs_add_to_the_total_and_a_new_run_starts_afresh() -> None:
    clock = Clock()
    tracker = ProgressTracker(clock)
    tracker.observe(Mode.REINTEGRATING, 100)
    clock.now += 1.0
    tracker.observe(Mode.REINTEGRATING, 40)
    clock.now += 1.0
    grown = tracker.observe(Mode.REINTEGRATING, 45)  # five operations sold meanwhile

    assert grown is not None
    assert (grown.total, grown.done) == (105, 60)
    assert tracker.observe(Mode.LIVE, 0) is None
    again = tracker.observe(Mode.REINTEGRATING, 7)
    assert again is not None
    assert (again.total, again.done) == (7, 0)
