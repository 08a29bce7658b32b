"""The till's handlers: plain functions ``(command, uow, …) -> result`` that end in
``uow.commit()``. Rules live here and in the domain (``Ticket``); a handler loads, calls,
commits. ``uow`` is the service layer's interface (``TillUnitOfWork``): SQLite in the
till, an in-memory fake in the handlers' unit tests.

``offline`` selects emergency mode for the document: the emergency receipt range
(``Form.EMERGENCY_RECEIPT``, R2.3) and the events' offline mark. Opening and booking take
it as read from the mode; closing takes the mode itself (``SalesMode.selling``), so the
refusal of an undecided outage (R1.4) and the offline flag come from the same read, held
until the receipt is committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Protocol

import structlog

from autonom.contracts import TicketPublic
from autonom.domain import Booking, Form, Operator, Receipt, Refusal, Tender, Ticket
from autonom.domain.errors import NO_MASTER_DATA, WRONG_PIN
from autonom.domain.money import parse_amount
from autonom.domain.ticket import ISSUED_FORMS, check_table
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain.card_payments import CardIntent, pending_refusal
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    LogIn,
    OpenTicket,
    Tendered,
    VoidBooking,
)
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork

log = structlog.get_logger(__name__)


class SharedTables(Protocol):
    """Where a till in live mode finds the open ticket of a table (the server)."""

    def open_ticket_at(self, table: int) -> TicketPublic | None: ...


class SalesMode(Protocol):
    """The till's mode as a close needs it (``ModeKeeper``)."""

    def selling(self) -> AbstractContextManager[bool]:
        """Refuse a close now (R1.4) or yield the offline flag, holding the mode meanwhile."""
        ...


def new_id() -> str:
    return str(uuid.uuid4())


def require_master_data(uow: TillReadUnitOfWork) -> None:
    """Refuse to start selling before the first snapshot: there is nothing to sell from.
    Called inside the caller's transaction, wherever selling starts (log in, open)."""
    if uow.master_data.info().version is None:
        raise Refusal(
            NO_MASTER_DATA,
            "No master data yet — connect this till to the server; it fetches items, prices "
            "and operators by itself as soon as the server answers.",
            409,
        )


def tenders_as_typed(tendered: Iterable[Tendered], due: Decimal) -> tuple[Tender, ...]:
    """The tenders from what the cashier typed: an amount as written, or none at all for
    the amount due (nothing when nothing is due, so the domain says what is wrong)."""
    tenders = []
    for typed in tendered:
        if typed.amount is None:
            if due > 0:
                tenders.append(Tender(typed.method, due, typed.reference))
        else:
            amount = parse_amount(typed.amount, allow_zero=False)
            tenders.append(Tender(typed.method, amount, typed.reference))
    return tuple(tenders)


def log_in(cmd: LogIn, uow: TillReadUnitOfWork) -> Operator:
    """The operator, if the PIN matches the snapshot's hash; else WRONG_PIN (401)."""
    with uow:
        require_master_data(uow)
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
            require_master_data(uow)
            uow.master_data.operator(cmd.operator_number)
            if (mine := uow.tickets.open_at_table(table)) is not None:
                return mine
        if tables is not None and not offline:
            # Asked outside any transaction: a slow server must not hold up other sales.
            shared = _ask_server(tables, table)
    with uow:
        require_master_data(uow)
        uow.master_data.operator(cmd.operator_number)
        ticket = ticket_at(
            uow, table, shared=shared, operator_number=cmd.operator_number, offline=offline
        )
        uow.commit()
        return ticket


def ask_server_for_table(
    uow: TillUnitOfWork, table: int, *, tables: SharedTables | None, offline: bool
) -> TicketPublic | None:
    """The server's open ticket of ``table`` when this till has none there and is live;
    asked outside any transaction (a slow server must not hold up other sales)."""
    if tables is None or offline:
        return None
    with uow:
        if uow.tickets.open_at_table(table) is not None:
            return None
    return _ask_server(tables, table)


def ticket_at(
    uow: TillUnitOfWork,
    table: int | None,
    *,
    shared: TicketPublic | None,
    operator_number: int,
    offline: bool,
) -> Ticket:
    """Inside the caller's transaction: the open ticket of ``table`` on this till, else the
    server's (``shared``) adopted with its bookings, else a new one (a new counter ticket
    when ``table`` is None). The caller commits."""
    if table is not None and (mine := uow.tickets.open_at_table(table)) is not None:
        return mine  # also when opened meanwhile by another request on this till
    if shared is not None and not uow.tickets.exists(shared.ticket_id):
        ticket = uow.tickets.adopt(shared)
        log.info("table adopted", table=table, ticket_id=ticket.ticket_id)
        return ticket
    ticket = Ticket.open(
        ticket_id=new_id(),
        table=table,
        till_number=uow.till_number,
        operator_number=operator_number,
        at=uow.now(),
        offline=offline,
    )
    uow.tickets.add(ticket)
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
    """Book ``quantity`` of the item with PLU ``plu``; UNKNOWN_ITEM if the snapshot lacks it.

    A voucher or an admission becomes ``quantity`` lines of one each, every one with the
    next number of its form's range (``ISSUED_FORMS``), saved in the same transaction: a
    number is issued once, never reused, and made offline as well as live."""
    with uow:
        uow.master_data.operator(cmd.operator_number)
        ticket = uow.tickets.get(cmd.ticket_id)
        item = uow.master_data.item(cmd.plu)
        rate = uow.master_data.tax_rate(item.tax_code)
        form = ISSUED_FORMS.get(item.kind)
        number_range = None if form is None else uow.ranges.get(form)
        lines = 1 if number_range is None else cmd.quantity
        for _ in range(lines):
            booking = ticket.book(
                item,
                rate,
                cmd.quantity if number_range is None else 1,
                booking_id=cmd.booking_id if cmd.booking_id and lines == 1 else new_id(),
                operator_number=cmd.operator_number,
                till_number=uow.till_number,
                at=uow.now(),
                offline=offline,
                issued_number=None if number_range is None else number_range.issue(),
            )
        if number_range is not None:
            uow.ranges.save(number_range)
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


def close_ticket(cmd: CloseTicket, uow: TillUnitOfWork, *, mode: SalesMode) -> Receipt:
    """Settle the ticket with the tenders as typed and turn it into a numbered receipt.

    Refused at once while an outage waits for the cashier's decision (R1.4), in the same
    hold of the mode that gives the offline flag, kept until COMMIT. The ticket is loaded
    once, in this one write transaction; the tenders are built from its total. The number
    comes from this till's range and is saved in the same transaction: gapless, never
    reused (invariant 4). ``cmd.card`` is the card device's slip of the card tender: its
    intent gets the receipt in this transaction too (R2.5)."""
    with mode.selling() as offline, uow:
        uow.master_data.operator(cmd.operator_number)
        ticket = uow.tickets.get(cmd.ticket_id)
        card = _card_payment_closing(cmd, uow)
        tenders = tenders_as_typed(cmd.tenders, ticket.total)
        number_range = uow.ranges.get(Form.EMERGENCY_RECEIPT if offline else Form.RECEIPT)
        number = number_range.issue()
        receipt = ticket.close(
            tenders,
            number,
            operator_number=cmd.operator_number,
            till_number=uow.till_number,
            at=uow.now(),
            offline=offline,
            card=cmd.card,
        )
        uow.ranges.save(number_range)
        if card is not None and cmd.card is not None:
            uow.card_payments.save(card.on_receipt(cmd.card, receipt.number))
        uow.commit()
    return receipt


def _card_payment_closing(cmd: CloseTicket, uow: TillUnitOfWork) -> CardIntent | None:
    """The intent of the card payment this close carries, if any. A ticket with another
    card payment not resolved yet (maybe charged, no receipt) is not paid otherwise
    (R2.5: never charged twice, nothing half-written)."""
    unfinished = uow.card_payments.unfinished(cmd.ticket_id)
    if unfinished is not None and (
        cmd.card is None or cmd.card.payment_id != unfinished.payment_id
    ):
        raise pending_refusal(unfinished)
    if cmd.card is None:
        return None
    intent = uow.card_payments.get(cmd.card.payment_id)
    if intent is None or intent.ticket_id != cmd.ticket_id:
        raise ValueError(f"card payment {cmd.card.payment_id} is not an intent of this ticket")
    return intent


def _ask_server(tables: SharedTables, table: int) -> TicketPublic | None:
    try:
        return tables.open_ticket_at(table)
    except ServerUnreachable as error:
        # R3.2 merges later; the table opens here now, the cashier does not wait.
        log.info("table lookup failed, opening locally", table=table, error=str(error))
    except Refusal as refusal:
        log.warning("server refused table lookup", table=table, code=refusal.code)
    return None
