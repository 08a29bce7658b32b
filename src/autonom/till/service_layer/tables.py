"""The restaurant's moves of lines between tickets (docs/restaurant.md): a **table transfer**
(chosen lines, or the whole ticket, to another table) and a **bill split** (chosen lines
split off onto a ticket of their own, to be paid as their own receipt). Commands and
handlers; ``Selling`` is the entry point that calls them.

A move is one write transaction for both tickets: the domain records ``BookingsMovedOut``
on the source and ``BookingsMovedIn`` on the target, and the unit of work writes their
rows, journal entries and outbox rows on commit. In emergency mode the capability matrix
limits both functions to this till's own tickets (``own_tickets_only``): a ticket adopted
from the server may hold lines of other tills the server alone knows, so it is not moved
while the server cannot be told (SHARED_TICKET_OFFLINE).
"""

from __future__ import annotations

from dataclasses import dataclass

from autonom.domain import Refusal, Ticket, errors
from autonom.domain.payment import settle
from autonom.domain.ticket import check_table
from autonom.till.service_layer.commands import Tendered
from autonom.till.service_layer.handlers import (
    SharedTables,
    ask_server_for_table,
    new_id,
    tenders_as_typed,
    ticket_at,
)
from autonom.till.service_layer.unit_of_work import TillUnitOfWork


@dataclass(frozen=True)
class TransferLines:
    """Move the lines ``booking_ids`` of a ticket (None: all of them) to ``table``."""

    ticket_id: str
    booking_ids: tuple[str, ...] | None
    table: int | None  # None is refused (BAD_TABLE): a move goes to a table
    operator_number: int


@dataclass(frozen=True)
class SplitOff:
    """Put the lines ``booking_ids`` of a ticket on a new ticket of their own, to be paid
    separately; ``tenders``, when given, must settle them (checked before anything is
    written)."""

    ticket_id: str
    booking_ids: tuple[str, ...]
    operator_number: int
    tenders: tuple[Tendered, ...] | None = None


def transfer_lines(
    cmd: TransferLines,
    uow: TillUnitOfWork,
    *,
    tables: SharedTables | None = None,
    offline: bool = False,
    own_tickets_only: bool = False,
) -> Ticket:
    """Move lines to another table: onto its open ticket (this till's; in live mode the one
    another till opened, adopted first, as ``open_ticket`` does), else a new ticket there.
    Returns the target. A ticket left without a live line ends as moved."""
    table = check_table(cmd.table)
    if table is None:
        raise Refusal(errors.BAD_TABLE, "Say which table the lines go to.")
    server = ask_server_for_table(uow, table, tables=tables, offline=offline)
    with uow:
        uow.master_data.operator(cmd.operator_number)
        source = uow.tickets.get(cmd.ticket_id)
        if source.table == table:
            raise Refusal(
                errors.SAME_TABLE, f"These lines are on table {table} already; choose another."
            )
        target = ticket_at(
            uow, table, server=server, operator_number=cmd.operator_number, offline=offline
        )
        if own_tickets_only:
            _refuse_shared(uow, source, target)
        source.move_to(
            target,
            cmd.booking_ids,
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
        )
        uow.commit()
    return target


def split_off(
    cmd: SplitOff,
    uow: TillUnitOfWork,
    *,
    offline: bool = False,
    own_tickets_only: bool = False,
) -> Ticket:
    """Move the chosen lines onto a new counter ticket (the split ticket: its
    ``BookingsMovedIn`` names the ticket it came from), which is then paid as any ticket.
    The table keeps its one open ticket. Returns the split ticket."""
    with uow:
        uow.master_data.operator(cmd.operator_number)
        source = uow.tickets.get(cmd.ticket_id)
        if own_tickets_only:
            _refuse_shared(uow, source)
        split = Ticket.open(
            ticket_id=new_id(),
            table=None,
            till_number=uow.till_number,
            operator_number=cmd.operator_number,
            at=uow.now(),
            offline=offline,
        )
        uow.tickets.add(split)
        source.move_to(
            split,
            cmd.booking_ids,
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
        )
        if cmd.tenders is not None:
            # The close's own rule, asked before the lines move (UNDERPAID, CARD_OVERPAID …).
            settle(split.total, tenders_as_typed(cmd.tenders, split.total))
        uow.commit()
    return split


def _refuse_shared(uow: TillUnitOfWork, *tickets: Ticket) -> None:
    """SHARED_TICKET_OFFLINE when one of ``tickets`` was adopted from the server (R2.4)."""
    for ticket in tickets:
        if not uow.tickets.is_shared(ticket.ticket_id):
            continue
        where = f"Table {ticket.table}" if ticket.table is not None else "This ticket"
        raise Refusal(
            errors.SHARED_TICKET_OFFLINE,
            f"{where} is shared with other tills. In emergency mode only this till's own "
            "tickets can be split or moved; do it when the server is back.",
            409,
            detail={"ticket_id": ticket.ticket_id},
        )
