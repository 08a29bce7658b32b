"""The heartbeat's rules (R1.1-R1.6): which reported mode events are new, and when a till
has been quiet too long. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from autonom.contracts import ModeEventIn

# A till reports every few seconds while it reaches the server; after this long without a
# report the back office says so, and that the mode shown is only the last one known.
QUIET_AFTER_S = 15


def new_events(*, events_through: int, events: Sequence[ModeEventIn]) -> list[ModeEventIn]:
    """The events the server does not hold yet: those above ``events_through``, by seq,
    each seq once. A jump in seq (a till whose database was replaced) is accepted: the
    report is never refused, the history just shows what arrived."""
    fresh: dict[int, ModeEventIn] = {}
    for event in sorted(events, key=lambda e: e.seq):
        if event.seq > events_through:
            fresh.setdefault(event.seq, event)
    return list(fresh.values())


def quiet_for(reported_at: datetime | None, now: datetime) -> int | None:
    """Whole seconds since the till's last report when that is more than ``QUIET_AFTER_S``
    (None otherwise, and None before its first report)."""
    if reported_at is None:
        return None
    seconds = int((now - reported_at).total_seconds())
    return seconds if seconds > QUIET_AFTER_S else None
