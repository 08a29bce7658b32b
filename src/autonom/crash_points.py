"""Named crash points: where the crash harness (tests/support/proof/crashes.py, issue 9)
kills a till or the server on purpose, to prove that nothing committed is lost or doubled.

Inert unless the process was started with ``AUTONOM_CRASH_AT=<point>[:<nth>]``: the part's
``serve`` reads it once (``arm_from_environment``); then the ``nth`` time (1 by default)
the process reaches that point it sends itself SIGKILL — no cleanup, no flush, as a power
cut or the OOM killer would. Unarmed, a point costs one call and one comparison.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from enum import StrEnum

ENVIRONMENT_VARIABLE = "AUTONOM_CRASH_AT"


class CrashPoint(StrEnum):
    """Each place a crash is tried, in the order a sale reaches it."""

    # The till.
    TILL_BEFORE_COMMIT = "till.before_commit"  # a sale's rows written, COMMIT not yet run
    TILL_BEFORE_PRINT = "till.before_print"  # the receipt committed, not printed, not answered
    TILL_PUSH_SENT = "till.push_sent"  # a batch's request sent, its answer not read
    TILL_ANSWER_RECEIVED = "till.answer_received"  # the server's answer in hand, not stored
    TILL_AFTER_MARK = "till.after_mark"  # a batch marked sent, the next not yet pushed
    # The server, inside the push of a batch.
    SERVER_INSIDE_BATCH = "server.inside_batch"  # the batch's operations written, not the rest
    SERVER_BEFORE_COMMIT = "server.before_commit"  # the whole batch written, not committed
    SERVER_AFTER_COMMIT = "server.after_commit"  # the batch committed, the till not answered


_armed: CrashPoint | None = None
_remaining = 0


def parse(value: str) -> tuple[CrashPoint, int]:
    """``till.before_commit:3`` → (TILL_BEFORE_COMMIT, 3); ValueError names what is wrong."""
    name, _, nth = value.strip().partition(":")
    try:
        point = CrashPoint(name)
    except ValueError:
        known = ", ".join(p.value for p in CrashPoint)
        message = f"{ENVIRONMENT_VARIABLE}: unknown crash point {name!r} ({known})"
        raise ValueError(message) from None
    if not nth:
        return point, 1
    if not nth.isdigit() or int(nth) < 1:
        raise ValueError(f"{ENVIRONMENT_VARIABLE}: {nth!r} is not a count from 1")
    return point, int(nth)


def arm_from_environment(environment: Mapping[str, str] = os.environ) -> CrashPoint | None:
    """Arm the point named in ``AUTONOM_CRASH_AT``, if any (called once when a part starts);
    return it."""
    global _armed, _remaining
    value = environment.get(ENVIRONMENT_VARIABLE, "")
    if not value:
        _armed, _remaining = None, 0
        return None
    _armed, _remaining = parse(value)
    return _armed


def armed(point: CrashPoint) -> bool:
    """Is ``point`` the armed one (for a hook that costs something to set up)?"""
    return point is _armed


def crash_point(point: CrashPoint) -> None:
    """Here is ``point``: SIGKILL this process if it is the armed point's nth visit."""
    global _remaining
    if point is not _armed:
        return
    _remaining -= 1
    if _remaining == 0:
        os.kill(os.getpid(), signal.SIGKILL)
