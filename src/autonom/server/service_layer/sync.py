"""The push (docs/sync-protocol.md): a till's operation log applied in order, exactly once,
in one transaction per batch (invariant 2). The rules are ``autonom.server.domain``'s; this
is the transactional part: read what the rules need, write what they decided, commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from autonom.contracts import Operation, PushBatch, PushResult, TicketPublic
from autonom.crash_points import CrashPoint, crash_point
from autonom.domain import BookingsMovedIn, BookingsMovedOut, TicketClosed, TicketStatus
from autonom.domain.events import TICKET_EVENTS
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.domain import (
    TicketFacts,
    check_events,
    findings,
    op_ids_reused,
    plan_push,
    replay_ticket,
)
from autonom.server.service_layer import card_payments, documents, gate, server_functions


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
            op_ids_reused(
                new=plan.new,
                stored_op_ids=uow.operations.stored_op_ids([str(op.op_id) for op in plan.new]),
            )
            _apply(uow, till_number, plan.new)
            applied_through = plan.new[-1].seq
        uow.tills.advance(till_number, applied_through=applied_through, at=datetime.now(UTC))
        crash_point(CrashPoint.SERVER_BEFORE_COMMIT)
        uow.commit()
    crash_point(CrashPoint.SERVER_AFTER_COMMIT)
    return PushResult(
        applied_through=applied_through, applied=len(plan.new), skipped=len(plan.skipped)
    )


def _apply(uow: SqlUnitOfWork, till_number: int, operations: Sequence[Operation]) -> None:
    """Keep the operations in order; the tickets' through ``_apply_ticket_events`` (flags,
    receipts, each ticket rebuilt once), every other document through its own applier
    (``documents.apply``)."""
    now = datetime.now(UTC)
    ticket_ops = [op for op in operations if isinstance(op.event, TICKET_EVENTS)]
    if ticket_ops:
        _apply_ticket_events(uow, till_number, ticket_ops, now)
    for op in operations:
        if not isinstance(op.event, TICKET_EVENTS):
            uow.operations.add(till_number, op, at=now)
            documents.apply(uow, till_number, op)


def _apply_ticket_events(
    uow: SqlUnitOfWork, till_number: int, operations: Sequence[Operation], now: datetime
) -> None:
    """Keep the operations, raise the flags the findings call for, rebuild each ticket
    (both tickets of a move: each has its own event), write the admissions the closed ones
    sold (one statement for the batch) and let each receipt settle what was held for its
    ticket (``server_functions``). A ticket lines moved away from drops their rows
    (``prune``); no other event takes a line off a ticket."""
    ticket_ids = [op.event.document_id for op in operations]
    moved_from = {op.event.ticket_id for op in operations if isinstance(op.event, BookingsMovedOut)}
    closes: list[tuple[int, TicketClosed]] = []
    uow.tickets.lock(ticket_ids)
    facts: dict[str, TicketFacts] = {}
    for op in operations:
        event = op.event
        assert isinstance(event, TICKET_EVENTS)
        ticket = facts.get(event.ticket_id)
        if ticket is None:
            ticket = facts[event.ticket_id] = _facts_of(uow.tickets.get(event.ticket_id))
        reused = isinstance(event, TicketClosed) and uow.receipts.number_used(event.receipt_number)
        for finding in findings(ticket, event, receipt_number_used=reused):
            uow.flags.add(
                till_number=till_number,
                seq=op.seq,
                ticket_id=event.ticket_id,
                code=finding.code,
                message=finding.message,
            )
        uow.operations.add(till_number, op, at=now)
        crash_point(CrashPoint.SERVER_INSIDE_BATCH)
        if isinstance(event, TicketClosed):
            uow.receipts.add(event, duplicate=reused)
            closes.append((op.seq, event))
        if isinstance(event, BookingsMovedIn):  # the seats held for the lines go with them
            uow.events.follow_move([b.booking_id for b in event.bookings], event.ticket_id)
        ticket.note(event)
    rebuilt = {}
    for ticket_id in dict.fromkeys(ticket_ids):
        rebuilt[ticket_id] = replay_ticket(uow.operations.events_of(ticket_id))
        uow.tickets.save(rebuilt[ticket_id], prune=ticket_id in moved_from)
    gate.register_sold(uow, [t for t, known in facts.items() if known.closed], now=now)
    for seq, closed in closes:
        receipt = rebuilt[closed.ticket_id].receipt
        assert receipt is not None  # the ticket was rebuilt with its close
        server_functions.receipt_arrived(
            uow, till_number=till_number, seq=seq, closed=closed, receipt=receipt, now=now
        )
    if closes:
        card_payments.record_slips(uow, [closed for _, closed in closes])


def _facts_of(ticket: TicketPublic | None) -> TicketFacts:
    """What the stored ticket tells the findings; nothing when the server never saw it."""
    if ticket is None:
        return TicketFacts()
    return TicketFacts(
        known=True,
        closed=ticket.status == TicketStatus.CLOSED.value,
        booking_ids={b.booking_id for b in ticket.bookings},
    )
