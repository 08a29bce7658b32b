"""The till's handlers: plain functions ``(command, uow, …) -> result`` that end in
``uow.commit()``. Rules live in the domain (``Ticket``); a handler loads, calls, commits.

``offline`` selects emergency mode for the document: the emergency receipt range
(``Form.EMERGENCY_RECEIPT``, R2.3) and the events' offline mark. The mode machinery of the
next issue decides it; until then callers pass False.
"""

from __future__ import annotations

import uuid
from typing import Protocol

import structlog

from autonom.contracts import TicketPublic
from autonom.domain import Booking, Form, Operator, Receipt, Refusal, Ticket
from autonom.domain.errors import WRONG_PIN
from autonom.domain.ticket import check_table
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.unit_of_work import TillUnitOfWork
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    LogIn,
    OpenTicket,
    VoidBooking,
)

log = structlog.get_logger(__name__)


class SharedTables(Protocol):
    """Where a till in live mode finds the open ticket of a table (the server)."""

    def open_ticket_at(self, table: int) -> TicketPublic | None: ...


def new_id() -> str:
    return str(uuid.uuid4())


def log_in(cmd: LogIn, uow: TillUnitOfWork) -> Operator:
    """The operator, if the PIN matches the snapshot's hash; else WRONG_PIN (401)."""
    with uow:
        operator = uow.master_data.operator(cmd.operator_number)
    # scrypt takes tens of milliseconds: checked outside the transaction, for one operator.
    if not operator.pin_matches(cmd.pin):
        raise Refusal(WRONG_PIN, "That PIN is not right; try again.", 401)
    return operator


def open_ticket(
    cmd: OpenTicket,
    uow: TillUnitOfWork,
    *,
    tables: SharedTables | None = None,
    offline: bool = False,
) -> Ticket:
    """Open a new ticket, or the table's ticket: this till's own, else (live mode) the one
    another till opened on the server, adopted with its bookings; else a new one here."""
    table = check_table(cmd.table)
    shared = None
    if table is not None:
        with uow:
            uow.master_data.operator(cmd.operator_number)
            if (mine := uow.tickets.open_at_table(table)) is not None:
                return mine
        if tables is not None and not offline:
            # Asked outside any transaction: a slow server must not hold up other sales.
            shared = _ask_server(tables, table)
    with uow:
        uow.master_data.operator(cmd.operator_number)
        if table is not None and (mine := uow.tickets.open_at_table(table)) is not None:
            return mine  # opened meanwhile by another request on this till
        if shared is not None and not uow.tickets.exists(shared.ticket_id):
            ticket = uow.tickets.adopt(shared)
            uow.commit()
            log.info("table adopted", table=table, ticket_id=ticket.ticket_id)
            return ticket
        ticket = Ticket.open(
            ticket_id=new_id(),
            table=table,
            till_number=uow.till_number,
            operator_number=cmd.operator_number,
            at=uow.now(),
            offline=offline,
        )
        uow.tickets.add(ticket)
        uow.commit()
        return ticket


def refresh_shared_ticket(ticket_id: str, uow: TillUnitOfWork, *, tables: SharedTables) -> int:
    """Before the pay screen: copy in what other tills booked on this table's ticket since
    (live mode). Returns how many lines changed; 0 when the server cannot be asked."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
    if ticket.table is None or ticket.receipt is not None:
        return 0
    shared = _ask_server(tables, ticket.table)
    if shared is None or shared.ticket_id != ticket_id:
        return 0
    with uow:
        changed = uow.tickets.merge_from_server(shared)
        uow.commit()
    return changed


def add_booking(cmd: AddBooking, uow: TillUnitOfWork, *, offline: bool = False) -> Booking:
    """Book ``quantity`` of the item with PLU ``plu``; UNKNOWN_ITEM if the snapshot lacks it."""
    with uow:
        uow.master_data.operator(cmd.operator_number)
        ticket = uow.tickets.get(cmd.ticket_id)
        item = uow.master_data.item(cmd.plu)
        booking = ticket.book(
            item,
            uow.master_data.tax_rate(item.tax_code),
            cmd.quantity,
            booking_id=new_id(),
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
            offline=offline,
        )
        uow.commit()
    return booking


def void_booking(cmd: VoidBooking, uow: TillUnitOfWork) -> Booking:
    """Void a line of an open ticket, with the reason the cashier gave."""
    with uow:
        uow.master_data.operator(cmd.operator_number)
        ticket = uow.tickets.get(cmd.ticket_id)
        ticket.void(
            cmd.booking_id,
            cmd.reason,
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
        )
        uow.commit()
        return ticket.booking(cmd.booking_id)


def close_ticket(cmd: CloseTicket, uow: TillUnitOfWork, *, offline: bool = False) -> Receipt:
    """Settle the ticket and turn it into a numbered receipt. The number comes from this
    till's range and is saved in the same transaction: gapless, never reused (invariant 4)."""
    with uow:
        uow.master_data.operator(cmd.operator_number)
        ticket = uow.tickets.get(cmd.ticket_id)
        number_range = uow.ranges.get(Form.EMERGENCY_RECEIPT if offline else Form.RECEIPT)
        number = number_range.issue()
        receipt = ticket.close(
            cmd.tenders,
            number,
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
            offline=offline,
        )
        uow.ranges.save(number_range)
        uow.commit()
    return receipt


def _ask_server(tables: SharedTables, table: int) -> TicketPublic | None:
    try:
        return tables.open_ticket_at(table)
    except ServerUnreachable as error:
        # R3.2 merges later; the table opens here now, the cashier does not wait.
        log.info("table lookup failed, opening locally", table=table, error=str(error))
    except Refusal as refusal:
        log.warning("server refused table lookup", table=table, code=refusal.code)
    return None
