"""The push (docs/sync-protocol.md): a till's operation log applied in order, exactly once,
in one transaction per batch (invariant 2). The rules are ``autonom.server.domain``'s; this
is the transactional part: read what the rules need, write what they decided, commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from autonom.contracts import Operation, PushBatch, PushResult
from autonom.crash_points import CrashPoint, crash_point
from autonom.domain import BookingsMovedIn, BookingsMovedOut, Ticket, TicketClosed
from autonom.domain.events import TICKET_EVENTS
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.domain import (
    TICKET_FLAG_CODES,
    TicketFinding,
    check_events,
    follow_up_chain,
    op_ids_reused,
    plan_push,
    project_family,
    receipt_findings,
)
from autonom.server.domain.projection import MAX_FOLLOW_UPS
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
    """Keep the operations and the receipts (a receipt number used before is flagged at
    once: a till's numbers come in its own log's order), then rebuild every family of
    tickets the batch touched by the merge rules (R3.2, ``project_family``: in the order
    things happened, not the order they arrived) and write the tickets, the follow-ups and
    the flags their histories decide. Then the admissions the closed tickets sold (one
    statement for the batch), and each receipt settles what was held for its ticket
    (``server_functions``)."""
    touched = list(dict.fromkeys(op.event.document_id for op in operations))
    moved_from = {op.event.ticket_id for op in operations if isinstance(op.event, BookingsMovedOut)}
    families = _families(uow, touched)
    # Sorted together: two pushes never wait on each other crosswise (docs/sync-protocol.md §8).
    uow.tickets.lock([*touched, *families])
    closes: list[tuple[int, TicketClosed]] = []
    for op in operations:
        event = op.event
        assert isinstance(event, TICKET_EVENTS)
        reused = False
        if isinstance(event, TicketClosed):
            reused = uow.receipts.number_used(event.receipt_number)
            for finding in receipt_findings(event, receipt_number_used=reused):
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
    rebuilt = _rebuild(uow, families, moved_from)
    gate.register_sold(
        uow, [t for t in touched if t in rebuilt and rebuilt[t].receipt is not None], now=now
    )
    for seq, closed in closes:
        receipt = rebuilt[closed.ticket_id].receipt
        assert receipt is not None  # the ticket was rebuilt with its close
        server_functions.receipt_arrived(
            uow, till_number=till_number, seq=seq, closed=closed, receipt=receipt, now=now
        )
    if closes:
        card_payments.record_slips(uow, [closed for _, closed in closes])


def _families(uow: SqlUnitOfWork, ticket_ids: Sequence[str]) -> dict[str, list[str]]:
    """The families the tickets belong to, by root: a ticket, its follow-up, the
    follow-up's follow-up … (R3.2). A ticket the server holds as a follow-up leads to the
    ticket it follows; the ids of every follow-up a root may have are derived from it."""
    parents: dict[str, str | None] = {}
    asking = set(ticket_ids)
    while asking:  # climb from each ticket to its root, a level per query (rarely one)
        found = uow.tickets.follows(asking)
        parents.update({ticket_id: found.get(ticket_id) for ticket_id in asking})
        asking = {p for p in found.values() if p is not None and p not in parents}
    families: dict[str, list[str]] = {}
    for ticket_id in ticket_ids:
        root = ticket_id
        for _ in range(MAX_FOLLOW_UPS + 1):
            parent = parents.get(root)
            if parent is None:
                break
            root = parent
        families.setdefault(root, [root, *follow_up_chain(root)])
    # A follow-up the server does not hold as one yet (its operations came before, or with,
    # the close that made it one) is a member of its parent's family, not a root.
    members = {m for family in families.values() for m in family[1:]}
    return {root: family for root, family in families.items() if root not in members}


def _rebuild(
    uow: SqlUnitOfWork, families: dict[str, list[str]], moved_from: set[str]
) -> dict[str, Ticket]:
    """Rebuild each family from its operations (one query for all), write its tickets
    (follow-ups with the ticket they follow; one a family no longer has is removed) and
    make the family's flags the ones its history decides."""
    members = [ticket_id for family in families.values() for ticket_id in family]
    histories = uow.operations.history_of(members)
    held = uow.tickets.follows(members)
    rebuilt: dict[str, Ticket] = {}
    found: list[TicketFinding] = []
    gone: list[str] = []
    for root, family in families.items():
        projections = project_family(root, histories)
        with_follow_ups = len(projections) > 1 or any(held.get(m) for m in family)
        for projection in projections:
            ticket = projection.ticket
            rebuilt[ticket.ticket_id] = ticket
            uow.tickets.save(
                ticket,
                prune=with_follow_ups or ticket.ticket_id in moved_from,
                follows=projection.follows,
            )
            found += projection.findings
        gone += [m for m in family if m in held and m not in rebuilt]
    uow.tickets.remove(gone)
    uow.flags.replace_for_tickets(members, found, TICKET_FLAG_CODES)
    return rebuilt
