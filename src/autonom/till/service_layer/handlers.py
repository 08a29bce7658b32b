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
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import structlog

from autonom.contracts import TicketPublic
from autonom.domain import (
    Booking,
    Form,
    Operator,
    Receipt,
    Refusal,
    Tender,
    Ticket,
    TicketStatus,
)
from autonom.domain.errors import (
    NO_MASTER_DATA,
    OUTAGE_UNDECIDED,
    SERVER_UNREACHABLE,
    WRONG_PIN,
)
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
    """Where a till in live mode finds the tickets of the store's tables (the server)."""

    def open_ticket_at(self, table: int) -> TicketPublic | None:
        """The table's open ticket (the oldest, should there be two), or None."""
        ...

    def ticket(self, ticket_id: str) -> TicketPublic | None:
        """The ticket as the server holds it, or None when it has not received it (yet)."""
        ...

    def open_tickets(self) -> list[TicketPublic]:
        """Every open ticket, oldest first."""
        ...


@dataclass(frozen=True)
class ServerTable:
    """What the server said about a table just now (live mode): its open ticket, and how
    it holds this till's own open ticket there (None: it has not received it yet)."""

    open: TicketPublic | None
    mine: TicketPublic | None


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
    tables_here: bool = True,
) -> Ticket:
    """Open a new counter ticket, or the ticket of a table. Live (``tables``), the server is
    asked first, whatever this till holds: the table stays one ticket (``ticket_at``).
    Otherwise the table's ticket is this till's own or a new one here — only where a table
    may open without the server (``tables_here``: emergency mode, or no server yet); while
    an outage waits for the cashier's decision a new table is refused (R1.4)."""
    table = check_table(cmd.table)
    server = None
    if table is not None:
        with uow:
            require_master_data(uow)
            uow.master_data.operator(cmd.operator_number)
            mine = uow.tickets.open_at_table(table)
        if tables is not None and not offline:
            # Asked outside any transaction: a slow server must not hold up other sales.
            server = ask_about_table(tables, table, mine)
            if server is None and mine is None:
                raise table_unanswered(table)
        elif mine is not None:
            return mine
        elif not tables_here and not offline:
            raise Refusal(
                OUTAGE_UNDECIDED,
                f"Table {table} may be open on another till and the server does not answer. "
                "Choose emergency mode to open it here, or wait for the server.",
                409,
            )
        if server is None and mine is not None:
            return mine  # the server could not be asked: this till's own, as it is
    with uow:
        require_master_data(uow)
        uow.master_data.operator(cmd.operator_number)
        ticket = ticket_at(
            uow, table, server=server, operator_number=cmd.operator_number, offline=offline
        )
        uow.commit()
        return ticket


def table_unanswered(table: int) -> Refusal:
    """Live mode, the server silent about a table this till holds no ticket of: opening it
    here could make the table two tickets (R3.2)."""
    return Refusal(
        SERVER_UNREACHABLE,
        f"The server did not answer about table {table}, which may be open on another till. "
        "Try again in a moment; if the server stays away, choose emergency mode.",
        503,
    )


def ask_about_table(tables: SharedTables, table: int, mine: Ticket | None) -> ServerTable | None:
    """What the server holds for ``table`` and for this till's own open ticket there
    (``mine``); None when it does not answer. Asked outside any transaction."""
    try:
        shown = tables.open_ticket_at(table)
        held = None
        if mine is not None:
            held = (
                shown
                if shown and shown.ticket_id == mine.ticket_id
                else tables.ticket(mine.ticket_id)
            )
    except ServerUnreachable as error:
        log.info("table lookup failed", table=table, error=str(error))
        return None
    except Refusal as refusal:
        log.warning("server refused table lookup", table=table, code=refusal.code)
        return None
    return ServerTable(open=shown, mine=held)


def ask_server_for_table(
    uow: TillUnitOfWork, table: int, *, tables: SharedTables | None, offline: bool
) -> ServerTable | None:
    """Live mode: what the server holds for ``table`` (``ask_about_table``), asked outside
    any transaction; None in emergency mode (the table is this till's own) or when the
    server does not answer and this till holds the table (it stays as it is). A table this
    till holds nothing of, live, with no answer: SERVER_UNREACHABLE."""
    if tables is None or offline:
        return None
    with uow:
        mine = uow.tickets.open_at_table(table)
    server = ask_about_table(tables, table, mine)
    if server is None and mine is None:
        raise table_unanswered(table)
    return server


def ticket_at(
    uow: TillUnitOfWork,
    table: int | None,
    *,
    server: ServerTable | None,
    operator_number: int,
    offline: bool,
) -> Ticket:
    """Inside the caller's transaction: the one ticket of ``table`` (a new counter ticket
    when ``table`` is None). With the server's word (``server``, live mode): this till's
    ticket there when it is the server's; the server's, adopted or brought up to date, and
    this till's own open ticket there merged into it (R3.2: two tickets never stay one
    table); this till's ticket, paid or moved on another till meanwhile, seen as such.
    Without it: this till's own, else a new one. The caller commits."""
    mine = uow.tickets.open_at_table(table) if table is not None else None
    held = server.mine if server is not None else None
    if mine is not None and held is not None and _ended_there(held, mine):
        uow.tickets.left_elsewhere(held, at=uow.now())
        log.info("table was closed elsewhere", table=table, ticket_id=mine.ticket_id)
        mine = None
    shown = server.open if server is not None else None
    if shown is not None and not _open_here(uow, shown.ticket_id):
        shown = None  # paid here (its close not sent yet) or seen ended: the server is behind
    if shown is not None and mine is not None and _keeps_the_table(mine, shown):
        return mine  # the other till's ticket merges into this one when it looks (R3.2)
    if shown is not None:
        if mine is not None and mine.ticket_id == shown.ticket_id:
            uow.tickets.merge_from_server(shown)
            return uow.tickets.get(mine.ticket_id)
        target = _the_servers(uow, shown)
        if mine is not None:
            mine.merge_into(target, till_number=uow.till_number, at=uow.now())
            log.info("table merged", table=table, merged=mine.ticket_id, into=shown.ticket_id)
        return target
    if mine is not None:
        return mine  # also when opened meanwhile by another request on this till
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


def _keeps_the_table(mine: Ticket, shown: TicketPublic) -> bool:
    """Of two open tickets of one table, which one the other merges into, the same on
    every till: a ticket opened in emergency mode always merges into the live one (R3.2);
    of two live ones (both tills' uploads lagging) the older stays."""
    if mine.ticket_id == shown.ticket_id or mine.offline:
        return False
    return (mine.opened_at, mine.ticket_id) < (shown.opened_at, shown.ticket_id)


def _ended_there(held: TicketPublic, mine: Ticket) -> bool:
    """The server holds this till's open ticket paid or moved (on another till)."""
    return held.ticket_id == mine.ticket_id and held.status != TicketStatus.OPEN.value


def _open_here(uow: TillUnitOfWork, ticket_id: str) -> bool:
    """True unless this till holds the ticket as paid or moved."""
    return not uow.tickets.exists(ticket_id) or (
        uow.tickets.get(ticket_id).status is TicketStatus.OPEN
    )


def _the_servers(uow: TillUnitOfWork, shown: TicketPublic) -> Ticket:
    """The server's ticket on this till: adopted with its bookings, or brought up to date."""
    if uow.tickets.exists(shown.ticket_id):
        uow.tickets.merge_from_server(shown)
        return uow.tickets.get(shown.ticket_id)
    ticket = uow.tickets.adopt(shown)
    log.info("table adopted", table=shown.table, ticket_id=ticket.ticket_id)
    return ticket


def refresh_shared_ticket(ticket_id: str, uow: TillUnitOfWork, *, tables: SharedTables) -> int:
    """Before the pay screen (live mode): the ticket as the server holds it. Bookings and
    voids of other tills are copied in; a ticket the server holds closed or moved (paid or
    moved on another till meanwhile) is seen as such here (TICKET_CLOSED / TICKET_MOVED
    then refuse paying it again). Returns how many lines changed; 0 when the server cannot
    be asked or has not received the ticket yet."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
    if ticket.table is None or ticket.receipt is not None:
        return 0
    try:
        shown = tables.ticket(ticket_id)
    except (ServerUnreachable, Refusal) as problem:
        log.info("ticket not refreshed", ticket_id=ticket_id, problem=str(problem))
        return 0
    if shown is None:
        return 0
    with uow:
        if shown.status != "open":
            uow.tickets.left_elsewhere(shown, at=uow.now())
            uow.commit()
            return len(shown.bookings)
        changed = uow.tickets.merge_from_server(shown)
        uow.commit()
    return changed


def merge_into_server_ticket(ticket_id: str, shown: TicketPublic, uow: TillUnitOfWork) -> Ticket:
    """Reintegration (R3.2): merge this till's ticket into the server's ticket of the same
    table — adopted first — recording the moves and the owner change in this till's log,
    pushed exactly once like every operation. Returns the server's ticket."""
    with uow:
        mine = uow.tickets.get(ticket_id)
        target = _the_servers(uow, shown)
        mine.merge_into(target, till_number=uow.till_number, at=uow.now())
        uow.commit()
    return target


def hand_over_to_server(ticket_id: str, shown: TicketPublic, uow: TillUnitOfWork) -> None:
    """Reintegration (R3.2) of a ticket the server holds too (adopted before the outage):
    open there, the operator who booked offline becomes its owner; paid there meanwhile,
    it is seen as closed here (its OFF lines become a follow-up ticket on the server)."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        if shown.status != "open":
            uow.tickets.left_elsewhere(shown, at=uow.now())
        elif (owner := ticket.offline_owner) is not None and owner != ticket.owner:
            ticket.change_owner(owner, merged_from=None, till_number=uow.till_number, at=uow.now())
        uow.commit()


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
