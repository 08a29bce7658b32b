"""The push's rules (docs/sync-protocol.md §4): which operations of a batch the server
holds already, which come next, and which batches it refuses. Pure: no database, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from itertools import pairwise

from autonom.contracts import Operation
from autonom.domain import ReceiptNumber, Refusal, TicketClosed, errors


def sequence_gap(*, expected: int, got: int) -> Refusal:
    """The batch does not continue where the server stands; ``detail.expected`` says where:
    always the operation after the last one held, since nothing of the batch is written."""
    return Refusal(
        errors.SEQUENCE_GAP,
        f"The server expects operation {expected} next, not {got}; "
        "resend from the position the server reports.",
        status=409,
        detail={"expected": expected},
    )


@dataclass(frozen=True)
class PushPlan:
    """Which operations of a batch the server already holds and which it will apply."""

    skipped: tuple[Operation, ...]
    new: tuple[Operation, ...]


def check_events(*, till_number: int, operations: Sequence[Operation]) -> None:
    """Every event was made on the pushing till, every receipt number is from its range."""
    for operation in operations:
        event = operation.event
        if event.till_number != till_number:
            raise Refusal(
                errors.WRONG_TILL,
                f"Operation {operation.seq} was made on till {event.till_number}; "
                f"till {till_number} may only push its own operations.",
                status=403,
            )
        if isinstance(event, TicketClosed):
            try:
                number = ReceiptNumber.parse(event.receipt_number)
            except Refusal:
                number = None
            if number is None or number.till != till_number:
                raise Refusal(
                    errors.FOREIGN_RANGE,
                    f"Receipt number '{event.receipt_number}' of operation {operation.seq} "
                    f"is not from till {till_number}'s range.",
                    status=403,
                )


def plan_push(
    *,
    applied_through: int,
    operations: Sequence[Operation],
    stored_op_ids: Mapping[int, str],
) -> PushPlan:
    """Split a batch into what is held already and what comes next, or refuse it.

    ``stored_op_ids`` maps the batch's sequences at or below ``applied_through`` to the
    op_id the server holds there. The batch must be consecutive and continue right after
    ``applied_through``; a held sequence with another op_id is a conflict. A gap is
    answered with ``applied_through + 1``, even for a hole inside the batch: the batch is
    not written, so that is where the till resends from (docs/sync-protocol.md §4.3).
    """
    for before, after in pairwise(operations):
        if after.seq != before.seq + 1:
            raise sequence_gap(expected=applied_through + 1, got=after.seq)
    skipped = tuple(op for op in operations if op.seq <= applied_through)
    new = tuple(op for op in operations if op.seq > applied_through)
    for op in skipped:
        if stored_op_ids.get(op.seq) != str(op.op_id):
            raise Refusal(
                errors.SEQUENCE_CONFLICT,
                f"The server holds another operation at sequence {op.seq}; "
                "this till's log does not match what it pushed before.",
                status=409,
            )
    if new and new[0].seq != applied_through + 1:
        raise sequence_gap(expected=applied_through + 1, got=new[0].seq)
    return PushPlan(skipped=skipped, new=new)


def op_ids_reused(*, new: Sequence[Operation], stored_op_ids: set[str]) -> None:
    """Refuse a batch whose new operations carry an op_id the server holds at another seq."""
    reused = sorted(str(op.op_id) for op in new if str(op.op_id) in stored_op_ids)
    if reused:
        raise Refusal(
            errors.SEQUENCE_CONFLICT,
            f"Operation {reused[0]} was already pushed at another sequence.",
            status=409,
        )


@dataclass(frozen=True)
class TillLog:
    """One log of a till as the server holds it (``till_logs``): each till database pushes
    its own, numbered 1, 2, … per till. ``claimed``: the id came from a till (a log the
    server made an id for, at a registration without one or by migration 0012, is not)."""

    log_id: str
    log_number: int
    claimed: bool
    started_at: datetime
    applied_through: int


class LogChoice(Enum):
    """Where a batch with a log id the server does not hold goes."""

    OPEN = "open"  # a new log of the till, at position 0
    CLAIM = "claim"  # the till's current log, whose id the server made: it takes the till's


def place_unknown_log(*, current: TillLog, credential_issued_at: datetime) -> LogChoice:
    """A log id the server has not seen: a replaced till (a new database) continues as a new
    log once the back office issued it a credential after the till's last log started; a
    till upgraded in place claims its log whose id the server made; anything else is
    ``LOG_MISMATCH`` — one credential opens at most one new log."""
    if credential_issued_at > current.started_at:
        return LogChoice.OPEN
    if not current.claimed:
        return LogChoice.CLAIM
    raise Refusal(
        errors.LOG_MISMATCH,
        "This till database's log is not the one the server holds for this till (log "
        f"{current.log_number}), and its credential was issued before that log started. If "
        "this till was replaced or restored, issue it a new credential in the back office "
        "and install it on the till; then it continues as a new log.",
        status=409,
        detail={"log_number": current.log_number},
    )
