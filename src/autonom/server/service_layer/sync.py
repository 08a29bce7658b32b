"""The push (docs/sync-protocol.md): a till's operation log applied in order, exactly once,
in one transaction per batch (invariant 2); a completed sale is never refused
(invariant 6), what needs a person becomes a flag."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

from autonom.contracts import Operation, PushBatch, PushResult, TicketPublic
from autonom.domain import (
    BookingAdded,
    BookingVoided,
    Event,
    ReceiptNumber,
    Refusal,
    TicketClosed,
    TicketOpened,
    TicketStatus,
    errors,
)
from autonom.domain.errors import (  # what the server flags instead of refusing (invariant 6)
    CHANGED_AFTER_CLOSE,
    RECEIPT_NUMBER_REUSED,
    TICKET_CLOSED_TWICE,
    UNKNOWN_BOOKING,
    UNKNOWN_TICKET,
)
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.service_layer.projection import replay_ticket


def sequence_gap(*, expected: int, got: int) -> Refusal:
    """The batch does not continue where the server stands; ``detail.expected`` says where."""
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
    ``applied_through``; a held sequence with another op_id is a conflict.
    """
    for before, after in pairwise(operations):
        if after.seq != before.seq + 1:
            raise sequence_gap(expected=before.seq + 1, got=after.seq)
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


def push(*, uow: SqlUnitOfWork, till_number: int, batch: PushBatch) -> PushResult:
    """Apply a batch from ``till_number`` exactly once, in one transaction."""
    operations = batch.operations
    check_events(till_number=till_number, operations=operations)
    with uow:
        # Held until commit: a second process pushing the same batch waits here, then
        # sees the new position and skips (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE).
        applied_through = uow.tills.position(till_number, lock=True)
        held = [op.seq for op in operations if op.seq <= applied_through]
        plan = plan_push(
            applied_through=applied_through,
            operations=operations,
            stored_op_ids=uow.operations.op_ids_at(till_number, held) if held else {},
        )
        if plan.new:
            reused = uow.operations.stored_op_ids([str(op.op_id) for op in plan.new])
            if reused:
                raise Refusal(
                    errors.SEQUENCE_CONFLICT,
                    f"Operation {sorted(reused)[0]} was already pushed at another sequence.",
                    status=409,
                )
            _apply(uow, till_number, plan.new)
            applied_through = plan.new[-1].seq
        uow.tills.advance(till_number, applied_through=applied_through, at=datetime.now(UTC))
        uow.commit()
    return PushResult(
        applied_through=applied_through, applied=len(plan.new), skipped=len(plan.skipped)
    )


@dataclass
class _TicketFacts:
    """What the server knows of a ticket while it applies a batch, to decide on flags."""

    known: bool
    closed: bool
    booking_ids: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, ticket: TicketPublic | None) -> _TicketFacts:
        if ticket is None:
            return cls(known=False, closed=False)
        return cls(
            known=True,
            closed=ticket.status == TicketStatus.CLOSED.value,
            booking_ids={b.booking_id for b in ticket.bookings},
        )


def _apply(uow: SqlUnitOfWork, till_number: int, operations: Sequence[Operation]) -> None:
    ticket_ids = [op.event.ticket_id for op in operations]
    uow.tickets.lock(ticket_ids)
    facts: dict[str, _TicketFacts] = {}
    now = datetime.now(UTC)
    for op in operations:
        event = op.event
        ticket = facts.get(event.ticket_id)
        if ticket is None:
            ticket = facts[event.ticket_id] = _TicketFacts.of(uow.tickets.get(event.ticket_id))
        reused = isinstance(event, TicketClosed) and uow.receipts.number_used(event.receipt_number)
        for code, message in _findings(ticket, event, receipt_number_used=reused):
            uow.flags.add(
                till_number=till_number,
                seq=op.seq,
                ticket_id=event.ticket_id,
                code=code,
                message=message,
            )
        uow.operations.add(till_number, op, at=now)
        if isinstance(event, TicketClosed):
            uow.receipts.add(event, duplicate=reused)
            ticket.closed = True
        elif isinstance(event, BookingAdded):
            ticket.booking_ids.add(event.booking_id)
        ticket.known = True
    for ticket_id in dict.fromkeys(ticket_ids):
        uow.tickets.save(replay_ticket(uow.operations.events_of(ticket_id)))


def _findings(
    ticket: _TicketFacts, event: Event, *, receipt_number_used: bool
) -> list[tuple[str, str]]:
    """What a person should look at about ``event``; it is applied all the same."""
    if isinstance(event, TicketOpened):
        return []
    found: list[tuple[str, str]] = []
    what = _describe(event)
    if not ticket.known:
        found.append(
            (
                UNKNOWN_TICKET,
                f"Till {event.till_number} {what} on ticket {event.ticket_id}, which the server "
                "never saw opened; it is kept as a ticket without table. Check it.",
            )
        )
    if isinstance(event, TicketClosed):
        if ticket.closed:
            found.append(
                (
                    TICKET_CLOSED_TWICE,
                    f"Ticket {event.ticket_id} was closed again by till {event.till_number} "
                    f"(receipt {event.receipt_number}); both receipts are kept.",
                )
            )
        if receipt_number_used:
            found.append(
                (
                    RECEIPT_NUMBER_REUSED,
                    f"Receipt number {event.receipt_number} was used before; the new receipt "
                    f"(ticket {event.ticket_id}, {event.total}) is kept as a duplicate.",
                )
            )
    elif ticket.closed:
        found.append(
            (
                CHANGED_AFTER_CLOSE,
                f"Till {event.till_number} {what} on ticket {event.ticket_id} after it was "
                "closed; the change is kept. Check the ticket.",
            )
        )
    if (
        isinstance(event, BookingVoided)
        and ticket.known
        and event.booking_id not in ticket.booking_ids
    ):
        found.append(
            (
                UNKNOWN_BOOKING,
                f"Till {event.till_number} voided booking {event.booking_id}, which is not on "
                f"ticket {event.ticket_id}.",
            )
        )
    return found


def _describe(event: Event) -> str:
    if isinstance(event, BookingAdded):
        return f"booked {event.quantity} × {event.name}"
    if isinstance(event, BookingVoided):
        return f"voided booking {event.booking_id}"
    if isinstance(event, TicketClosed):
        return f"closed receipt {event.receipt_number} ({event.total})"
    return "opened a ticket"
