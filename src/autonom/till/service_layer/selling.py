"""The cashier's use cases on one till, wired once to its parts (``bootstrap`` builds one
``Selling`` per till): the page, the JSON API, the benchmark and the tests call these, and
each builds a command, runs its handler on a fresh unit of work and returns the domain's
answer. Every rule is decided here or in the handlers, never in an entrypoint:

* whether a table is asked of the server (``shared_tables``, the shared-table policy);
* the tenders from what the cashier typed (``handlers.tenders_as_typed``, in the close);
* "no master data yet" (``handlers.require_master_data``, wherever selling starts);
* closing while an outage is undecided (R1.4, in ``handlers.close_ticket``).

Writes go through the write unit of work; every list, lookup and the status line through
the read-only one, so they never queue behind a sale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

import structlog

from autonom.crash_points import CrashPoint, crash_point
from autonom.devices.printer import PrinterUnavailable, ReceiptPrinter, StoreHeader, receipt_text
from autonom.domain import (
    Item,
    ItemKind,
    Operator,
    PaymentMethod,
    Receipt,
    Refusal,
    Ticket,
    TicketStatus,
    errors,
)
from autonom.domain.errors import CARD_PAYMENT_PENDING
from autonom.domain.events import KIND_TITLES
from autonom.domain.payment import AUTHORISED_BY_SERVER
from autonom.till.adapters.outbox import UnsentDocument
from autonom.till.adapters.unit_of_work import Clock
from autonom.till.domain import Choice, DialogKind, Mode
from autonom.till.domain.capabilities import FUNCTION_OF_KIND, Function, Level
from autonom.till.domain.reintegration import PlannedTicket
from autonom.till.service_layer import handlers, tables
from autonom.till.service_layer.capabilities import Capabilities
from autonom.till.service_layer.card_payments import CardPayments
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    LogIn,
    OpenTicket,
    PresentedCard,
    Tendered,
    VoidBooking,
)
from autonom.till.service_layer.handlers import SharedTables
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.progress import ProgressTracker
from autonom.till.service_layer.reintegration import Reintegration
from autonom.till.service_layer.snapshot import LinkState
from autonom.till.service_layer.status import StatusLine, status_line
from autonom.till.service_layer.tables import SplitOff, TransferLines
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork
from autonom.till.service_layer.uploader import UploadState

log = structlog.get_logger(__name__)

SNAPSHOT_STALE_AFTER = timedelta(hours=24)  # the default age past which the page warns (R2.2)
LIVE_SALES = frozenset({Mode.LIVE, Mode.SUSPECT})  # sales are live; the server is asked


class EventSeats(Protocol):
    """Where an event ticket's seats are held before its booking is written (the server,
    through ``server_functions.EventSeating``)."""

    def hold(self, operator_number: int, ticket_id: str, plu: str, quantity: int) -> str:
        """Hold ``quantity`` seats for a new booking of ``plu``; the booking's id."""
        ...


@dataclass(frozen=True)
class UnsentSummary:
    """What is not finished, by kind (R2.7): ``operations`` the server has not confirmed
    (by kind), stored card payments waiting for the bank, gate scans waiting for a result."""

    operations: dict[str, int]
    card_payments_awaiting_the_bank: int
    gate_scans_awaiting_a_result: int

    def titled(self) -> list[tuple[str, int]]:
        """The operations' counts in the cashier's words."""
        return [(KIND_TITLES.get(kind, kind), n) for kind, n in self.operations.items()]


@dataclass(frozen=True)
class Closed:
    """A receipt just made, and why it was not printed (None when it was, or not asked)."""

    receipt: Receipt
    printer_problem: str | None


def count_local_open_tickets(uow: TillReadUnitOfWork) -> int:
    """The open tickets holding emergency-mode work (R1.6), for the mode keeper."""
    with uow:
        return uow.tickets.count_local_open()


@dataclass
class Selling:
    """See the module docstring. ``link_state`` and ``upload_state`` say how the server
    link and the upload are doing (the snapshot keeper's and the uploader's ``state``)."""

    unit_of_work: Callable[[], TillUnitOfWork]
    reading: Callable[[], TillReadUnitOfWork]
    modes: ModeKeeper
    capabilities: Capabilities
    tables: SharedTables
    link_state: Callable[[], LinkState]
    upload_state: Callable[[], UploadState]
    printer: ReceiptPrinter
    header: StoreHeader
    till_number: int
    clock: Clock
    card_payments: CardPayments
    snapshot_stale_after: timedelta = SNAPSHOT_STALE_AFTER
    progress: ProgressTracker = field(default_factory=ProgressTracker)
    event_seats: EventSeats | None = None  # holds an event ticket's seats on the server
    reintegration: Reintegration | None = None  # the merges of "synchronise now" (R3.2)

    # -- the shared-table policy -------------------------------------------------------------

    def shared_tables(self) -> SharedTables | None:
        """The server to ask for a table's ticket, or None to decide locally at once.

        Whenever the till sells live and is registered — also while its uploads lag (a
        table then stays one ticket, R3.2); in emergency mode a table is this till's own,
        and while an outage waits for the cashier's decision the server does not answer."""
        if self.modes.state not in LIVE_SALES or not self.link_state().registered:
            return None
        return self.tables

    def tables_here(self) -> bool:
        """Whether a table may open on this till without the server: in emergency mode,
        or before the till has a server at all (not registered yet)."""
        return self.modes.sales_offline or not self.link_state().registered

    # -- logging in ----------------------------------------------------------------------

    def log_in(self, operator_number: int, pin: str) -> Operator:
        """The operator, if the PIN is right (WRONG_PIN; NO_MASTER_DATA before a snapshot)."""
        return handlers.log_in(LogIn(operator_number, pin.strip()), self.reading())

    def operators(self) -> list[Operator]:
        with self.reading() as uow:
            return uow.master_data.operators()

    def operator(self, number: int) -> Operator:
        with self.reading() as uow:
            return uow.master_data.operator(number)

    # -- tickets -------------------------------------------------------------------------

    def open_ticket(self, operator_number: int, table: int | None) -> Ticket:
        """A new counter ticket, or the ticket of ``table`` (this till's, the server's, or new)."""
        return handlers.open_ticket(
            OpenTicket(table=table, operator_number=operator_number),
            self.unit_of_work(),
            tables=self.shared_tables(),
            offline=self.modes.sales_offline,
            tables_here=self.tables_here(),
        )

    def ticket(self, ticket_id: str) -> Ticket:
        with self.reading() as uow:
            return uow.tickets.get(ticket_id)

    def open_tickets(self) -> list[Ticket]:
        with self.reading() as uow:
            return uow.tickets.list_open()

    def search_items(self, text: str) -> list[Item]:
        """Active items whose PLU starts with, or whose name contains, ``text``."""
        with self.reading() as uow:
            return uow.master_data.search_items(text)

    def book(self, operator_number: int, ticket_id: str, plu: str, quantity: int) -> Ticket:
        """Book an item and return the ticket as it now stands; a voucher, an admission or
        an event ticket only where the capability matrix allows it now (R2.4, R2.6)."""
        with self.reading() as uow:
            kind = uow.master_data.item(plu.strip()).kind
        if (function := FUNCTION_OF_KIND.get(kind)) is not None:
            self.capabilities.require(function)
        held = None
        if kind is ItemKind.EVENT_TICKET:  # its seats are held on the server first (R2.6)
            held = self._event_seats().hold(operator_number, ticket_id, plu.strip(), quantity)
        handlers.add_booking(
            AddBooking(
                ticket_id=ticket_id,
                plu=plu.strip(),
                quantity=quantity,
                operator_number=operator_number,
                booking_id=held,
            ),
            self.unit_of_work(),
            offline=self.modes.sales_offline,
        )
        return self.ticket(ticket_id)

    def _event_seats(self) -> EventSeats:
        if self.event_seats is None:
            raise Refusal(
                errors.EVENT_TICKET_OFFLINE, "This till sells no event tickets (no server).", 409
            )
        return self.event_seats

    def void(self, operator_number: int, ticket_id: str, booking_id: str, reason: str) -> Ticket:
        """Void a line with the cashier's reason and return the ticket as it now stands."""
        handlers.void_booking(
            VoidBooking(
                ticket_id=ticket_id,
                booking_id=booking_id,
                reason=reason,
                operator_number=operator_number,
            ),
            self.unit_of_work(),
        )
        return self.ticket(ticket_id)

    def ticket_for_payment(self, ticket_id: str) -> Ticket:
        """The ticket to pay as the server holds it (live mode): what other tills booked on
        its table copied in; paid or moved on another till meanwhile, refused here
        (TICKET_CLOSED, TICKET_MOVED), never billed twice (R3.2)."""
        tables = self.shared_tables()
        ticket = self.ticket(ticket_id)
        if tables is None or ticket.table is None or ticket.status is not TicketStatus.OPEN:
            return ticket
        handlers.refresh_shared_ticket(ticket_id, self.unit_of_work(), tables=tables)
        ticket = self.ticket(ticket_id)
        if ticket.status is TicketStatus.CLOSED:
            with self.reading() as uow:
                number = uow.tickets.receipt_number_of(ticket_id)
            raise Refusal(
                errors.TICKET_CLOSED,
                f"Table {ticket.table} was paid on another till meanwhile (receipt {number}); "
                "nothing is billed here. Open the table again for what is still to pay.",
                409,
            )
        if ticket.status is TicketStatus.MOVED:
            raise Refusal(
                errors.TICKET_MOVED,
                f"The lines of table {ticket.table} were moved to another table on another "
                "till meanwhile; open that one.",
                409,
            )
        return ticket

    # -- moving lines: table transfer and bill split (docs/restaurant.md) -------------------

    def transfer(
        self,
        operator_number: int,
        ticket_id: str,
        booking_ids: Sequence[str] | None,
        table: int | None,
    ) -> Ticket:
        """Move the chosen lines (None: the whole ticket, with what other tills booked on its
        table, live mode) to ``table`` (None: BAD_TABLE); return the ticket there as it now
        stands. In emergency mode only between this till's own tickets (R2.4)."""
        availability = self.capabilities.require(Function.TABLE_TRANSFER)
        if booking_ids is None:
            self.ticket_for_payment(ticket_id)
        target = tables.transfer_lines(
            TransferLines(
                ticket_id=ticket_id,
                booking_ids=None if booking_ids is None else tuple(booking_ids),
                table=table,
                operator_number=operator_number,
            ),
            self.unit_of_work(),
            tables=self.shared_tables(),
            offline=self.modes.sales_offline,
            own_tickets_only=availability.level is Level.LIMITED,
        )
        return self.ticket(target.ticket_id)

    def split_off(self, operator_number: int, ticket_id: str, booking_ids: Sequence[str]) -> Ticket:
        """Put the chosen lines on a ticket of their own, to be paid as their own receipt
        (the page's "Pay selected" then shows its pay screen)."""
        availability = self.capabilities.require(Function.BILL_SPLIT)
        return tables.split_off(
            SplitOff(ticket_id, tuple(booking_ids), operator_number),
            self.unit_of_work(),
            offline=self.modes.sales_offline,
            own_tickets_only=availability.level is Level.LIMITED,
        )

    def split_bill(
        self,
        operator_number: int,
        ticket_id: str,
        booking_ids: Sequence[str],
        tendered: Sequence[Tendered],
        *,
        print_receipt: bool = True,
    ) -> Closed:
        """Pay the chosen lines as their own receipt: split them off, then close the split
        ticket by the normal close path (``pay``). An undecided outage (R1.4) and tenders
        that do not settle the lines are refused before any line moves; should the close
        still be refused, the lines wait on the split ticket (its id in ``detail``)."""
        availability = self.capabilities.require(Function.BILL_SPLIT)
        with self.modes.selling() as offline:
            split = tables.split_off(
                SplitOff(ticket_id, tuple(booking_ids), operator_number, tuple(tendered)),
                self.unit_of_work(),
                offline=offline,
                own_tickets_only=availability.level is Level.LIMITED,
            )
        try:
            return self.pay(operator_number, split.ticket_id, tendered, print_receipt=print_receipt)
        except Refusal as refusal:
            raise Refusal(
                refusal.code,
                f"{refusal.message} The chosen lines wait on a counter ticket of their own.",
                refusal.status,
                detail={**(refusal.detail or {}), "ticket_id": split.ticket_id},
            ) from refusal

    # -- paying and receipts ---------------------------------------------------------------

    def pay(
        self,
        operator_number: int,
        ticket_id: str,
        tendered: Sequence[Tendered],
        *,
        print_receipt: bool = True,
        card: PresentedCard | None = None,
    ) -> Closed:
        """Close the ticket into a receipt with the tenders as typed, then print it. The
        receipt is saved before the printer is touched, so a printer failure never undoes
        the sale; an undecided outage refuses the close (R1.4, in the handler). A card
        tender is paid through the card device first (``CardPayments.pay``, R2.5); a
        voucher or an account through ``ServerFunctions`` only (TENDER_NEEDS_SERVER)."""
        if any(t.method in AUTHORISED_BY_SERVER for t in tendered):
            raise Refusal(
                errors.TENDER_NEEDS_SERVER,
                "A voucher is paid with 'Redeem voucher' and an account with 'On account': "
                "the server says yes before the ticket is closed.",
                422,
            )
        self.ticket_for_payment(ticket_id)  # live: never pay what was paid elsewhere (R3.2)
        if any(t.method is PaymentMethod.CARD for t in tendered):
            receipt = self.card_payments.pay(operator_number, ticket_id, tendered, card)
        else:
            command = CloseTicket(
                ticket_id=ticket_id, tenders=tuple(tendered), operator_number=operator_number
            )
            try:
                receipt = handlers.close_ticket(command, self.unit_of_work(), mode=self.modes)
            except Refusal as refusal:
                if refusal.code != CARD_PAYMENT_PENDING:
                    raise
                # A card payment on it has no known outcome: ask the device, then go on
                # only if nothing was charged.
                self.card_payments.resolve_unfinished(ticket_id)
                receipt = handlers.close_ticket(command, self.unit_of_work(), mode=self.modes)
        crash_point(CrashPoint.TILL_BEFORE_PRINT)
        problem = self.print_receipt(receipt) if print_receipt else None
        return Closed(receipt, problem)

    def print_receipt(self, receipt: Receipt) -> str | None:
        """Print ``receipt``; None when printed, else why not. A failure never undoes the sale."""
        try:
            self.printer.print_receipt(receipt, self.header, self.till_number)
        except PrinterUnavailable as error:
            log.warning("printer unavailable", receipt=receipt.number, error=str(error))
            return str(error)
        return None

    def receipt(self, number: str) -> Receipt:
        with self.reading() as uow:
            return uow.receipts.get(number)

    def receipt_lines(self, found: Receipt) -> list[str]:
        """The receipt's lines exactly as the printer prints them."""
        return receipt_text(found, self.header, self.till_number)

    def reprint(self, number: str) -> str | None:
        """Print a saved receipt again; None when printed, else the printer's problem."""
        return self.print_receipt(self.receipt(number))

    def receipts_of_day(self, day: date | None = None) -> list[Receipt]:
        """Receipts closed on ``day`` (the till's local calendar day; today by default)."""
        local_now = self.clock().astimezone()
        day = day or local_now.date()
        start = datetime.combine(day, time.min, tzinfo=local_now.tzinfo)
        with self.reading() as uow:
            return uow.receipts.closed_between(start, start + timedelta(days=1))

    def unsent_receipt_numbers(self) -> set[str]:
        """Receipts the server has not confirmed yet (R2.7: stored but not sent)."""
        with self.reading() as uow:
            return uow.outbox.unsent_receipt_numbers()

    def unsent_documents(self, limit: int = 500) -> list[UnsentDocument]:
        """The operations the server has not confirmed yet, oldest first (R2.7)."""
        with self.reading() as uow:
            return uow.outbox.unsent_documents(limit)

    def unsent_summary(self) -> UnsentSummary:
        """Every kind of document not finished yet, counted in one read (R2.7): what the
        server has not confirmed, by kind, and what waits for an answer besides — card
        payments stored offline (the bank's verdict) and gate scans (the server's)."""
        with self.reading() as uow:
            return UnsentSummary(
                operations=uow.outbox.unsent_by_kind(),
                card_payments_awaiting_the_bank=uow.card_payments.awaiting_the_bank(),
                gate_scans_awaiting_a_result=uow.gate_scans.pending_count(),
            )

    # -- the mode and the status line ----------------------------------------------------------

    def choose(self, choice: Choice) -> Mode:
        """The cashier's answer to the mode dialog; the mode after it. "Synchronise now"
        first records the merges of the local open tickets (R3.2), as the dialog listed
        them; what the server does not answer about is merged when its table is opened."""
        offered = self.modes.view().dialog
        if (
            choice is Choice.SYNC_NOW
            and self.reintegration is not None
            and offered is not None
            and choice in offered.choices
        ):
            self.reintegration.synchronise()
        return self.modes.choose(choice)

    def dismiss_notice(self) -> None:
        self.modes.dismiss_notice()

    def status(self) -> StatusLine:
        """The status line's facts (R2.7), read without waiting for any sale; with the
        "server available again" dialog, what synchronising does to each local open ticket
        (asked of the server every few seconds, never on the sale path)."""
        view = self.modes.view()
        plan: tuple[PlannedTicket, ...] = ()
        if (
            view.dialog is not None
            and view.dialog.kind is DialogKind.SERVER_AVAILABLE
            and self.reintegration is not None
        ):
            plan = self.reintegration.plan()
        return status_line(
            self.reading(),
            view=view,
            plan=plan,
            link=self.link_state(),
            upload=self.upload_state(),
            now=self.clock(),
            stale_after=self.snapshot_stale_after,
            progress=self.progress,
        )
