"""The push (docs/sync-protocol.md): a till's operation log applied in order, exactly once,
in one transaction per batch (invariant 2). The rules are ``autonom.server.domain``'s; this
is the transactional part: read what the rules need, write what they decided, commit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from uuid import UUID

from autonom.contracts import Operation, PushBatch, PushResult
from autonom.crash_points import CrashPoint, crash_point
from autonom.domain import BookingsMovedIn, BookingsMovedOut, Event, Ticket, TicketClosed
from autonom.domain.events import TICKET_EVENTS
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.domain import (
    TICKET_FLAG_CODES,
    LogChoice,
    TicketFinding,
    TillLog,
    check_events,
    follow_up_chain,
    op_ids_reused,
    place_unknown_log,
    plan_push,
    project_family,
    receipt_findings,
)
from autonom.server.domain.projection import MAX_FOLLOW_UPS
from autonom.server.service_layer import card_payments, documents, gate, server_functions


def push(*, uow: SqlUnitOfWork, till_number: int, batch: PushBatch) -> PushResult:
    """Apply a batch from ``till_number`` exactly once, in one transaction, to the till's
    log the batch names (its current one for a till of contract 1-3)."""
    operations = batch.operations
    check_events(till_number=till_number, operations=operations)
    now = datetime.now(UTC)
    with uow:
        # Held until commit: a second process pushing the same batch waits here, then
        # sees the new position and skips (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE).
        log = _log_of(uow, till_number, None if batch.log_id is None else str(batch.log_id), now)
        applied_through = log.applied_through
        held = [op.seq for op in operations if op.seq <= applied_through]
        plan = plan_push(
            applied_through=applied_through,
            operations=operations,
            stored_op_ids=(
                uow.operations.op_ids_at(till_number, log.log_number, held) if held else {}
            ),
        )
        if plan.new:
            op_ids_reused(
                new=plan.new,
                stored_op_ids=uow.operations.stored_op_ids([str(op.op_id) for op in plan.new]),
            )
            _apply(uow, till_number, log.log_number, plan.new)
            applied_through = plan.new[-1].seq
        uow.tills.advance(till_number, log, applied_through=applied_through, at=now)
        crash_point(CrashPoint.SERVER_BEFORE_COMMIT)
        uow.commit()
    crash_point(CrashPoint.SERVER_AFTER_COMMIT)
    return PushResult(
        applied_through=applied_through,
        applied=len(plan.new),
        skipped=len(plan.skipped),
        log_id=None if batch.log_id is None else UUID(log.log_id),  # a till of contract 4
    )


def _log_of(uow: SqlUnitOfWork, till_number: int, log_id: str | None, now: datetime) -> TillLog:
    """The till's log the batch goes to, its row locked to commit: the one it names, the
    till's current one for a batch naming none, or — a log id the server does not hold —
    a new log or the claimed current one (``place_unknown_log``), or LOG_MISMATCH."""
    log = uow.tills.log(till_number, log_id, lock=True)
    if log is not None:
        return log
    assert log_id is not None  # every registered till has a current log
    # One at a time per till: the till's row is held while a log is opened or claimed.
    issued_at = uow.tills.credential_issued_at(till_number, lock=True)
    log = uow.tills.log(till_number, log_id, lock=True)  # opened meanwhile by another push
    if log is not None:
        return log
    current = uow.tills.log(till_number, lock=True)
    assert current is not None
    if place_unknown_log(current=current, credential_issued_at=issued_at) is LogChoice.OPEN:
        return uow.tills.open_log(till_number, log_id, after=current, at=now)
    return uow.tills.claim_log(till_number, current, log_id)


def _apply(
    uow: SqlUnitOfWork, till_number: int, log_number: int, operations: Sequence[Operation]
) -> None:
    """Keep the operations in order; the tickets' through ``_apply_ticket_events`` (flags,
    receipts, each family of tickets rebuilt once), every other document through its own
    applier (``documents.apply``). Set-based: a statement per kind of row for the batch,
    never one per operation."""
    now = datetime.now(UTC)
    ticket_ops = [op for op in operations if isinstance(op.event, TICKET_EVENTS)]
    if ticket_ops:
        _apply_ticket_events(uow, till_number, log_number, ticket_ops, now)
    others = [op for op in operations if not isinstance(op.event, TICKET_EVENTS)]
    if others:
        uow.operations.add(till_number, log_number, others, at=now)
        for op in others:
            documents.apply(uow, till_number, op)


def _apply_ticket_events(
    uow: SqlUnitOfWork,
    till_number: int,
    log_number: int,
    operations: Sequence[Operation],
    now: datetime,
) -> None:
    """Keep the operations and the receipts (a receipt number used before — also by an
    earlier close of this batch — is flagged at once: a till's numbers come in its own
    log's order), then rebuild every family of tickets the batch touched by the merge rules
    (R3.2, ``project_family``: in the order things happened, not the order they arrived)
    and write the tickets, the follow-ups and the flags their histories decide. Then the
    admissions the closed tickets sold, and what the receipts settle (``server_functions``).
    Each kind of row is one statement for the batch (the operations and new bookings one
    ``COPY`` on PostgreSQL), each kind of read one query."""
    touched = list(dict.fromkeys(op.event.document_id for op in operations))
    moved_from = {op.event.ticket_id for op in operations if isinstance(op.event, BookingsMovedOut)}
    families = _families(uow, touched)
    # Sorted together: two pushes never wait on each other crosswise (docs/sync-protocol.md §8).
    uow.tickets.lock([*touched, *families])
    closes = [(op.seq, op.event) for op in operations if isinstance(op.event, TicketClosed)]
    used = uow.receipts.numbers_used(closed.receipt_number for _, closed in closes)
    receipts: list[tuple[TicketClosed, bool]] = []
    reused: list[TicketFinding] = []
    for seq, closed in closes:
        duplicate = closed.receipt_number in used
        used.add(closed.receipt_number)  # a later close of the batch with it is a duplicate
        receipts.append((closed, duplicate))
        reused += [
            TicketFinding(closed.ticket_id, till_number, seq, f.code, f.message)
            for f in receipt_findings(closed, receipt_number_used=duplicate)
        ]
    uow.flags.add_all(reused)
    uow.operations.add(till_number, log_number, operations, at=now)
    crash_point(CrashPoint.SERVER_INSIDE_BATCH)
    uow.receipts.add(receipts)
    for op in operations:
        if isinstance(op.event, BookingsMovedIn):  # the seats held for the lines go with them
            uow.events.follow_move([b.booking_id for b in op.event.bookings], op.event.ticket_id)
    known = {str(op.op_id): op.event for op in operations}
    rebuilt = _rebuild(uow, families, moved_from, known)
    gate.register_sold(
        uow, [t for t in touched if t in rebuilt and rebuilt[t].receipt is not None], now=now
    )
    arrivals = []
    for seq, closed in closes:
        receipt = rebuilt[closed.ticket_id].receipt
        assert receipt is not None  # the ticket was rebuilt with its close
        arrivals.append(server_functions.Arrival(seq, closed, receipt))
    server_functions.receipts_arrived(uow, till_number=till_number, arrivals=arrivals, now=now)
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
    uow: SqlUnitOfWork,
    families: dict[str, list[str]],
    moved_from: set[str],
    known: Mapping[str, Event],
) -> dict[str, Ticket]:
    """Rebuild each family from its operations (one query for all), write its tickets
    (follow-ups with the ticket they follow; one a family no longer has is removed) in one
    pass for all the families, and make the families' flags the ones their histories
    decide. ``known``: the batch's events by op_id (not decoded again)."""
    members = [ticket_id for family in families.values() for ticket_id in family]
    histories = uow.operations.history_of(members, known=known)
    held = uow.tickets.follows(members)
    rebuilt: dict[str, Ticket] = {}
    saved: list[tuple[Ticket, str | None]] = []
    prune: set[str] = set()
    found: list[TicketFinding] = []
    gone: list[str] = []
    for root, family in families.items():
        projections = project_family(root, histories)
        with_follow_ups = len(projections) > 1 or any(held.get(m) for m in family)
        for projection in projections:
            ticket = projection.ticket
            rebuilt[ticket.ticket_id] = ticket
            saved.append((ticket, projection.follows))
            if with_follow_ups or ticket.ticket_id in moved_from:
                prune.add(ticket.ticket_id)
            found += projection.findings
        gone += [m for m in family if m in held and m not in rebuilt]
    uow.tickets.save(saved, prune=prune)
    uow.tickets.remove(gone)
    uow.flags.replace_for_tickets(members, found, TICKET_FLAG_CODES)
    return rebuilt
