"""What the cashier page and the JSON API both do, wired once to the till's parts: each
function builds a command, runs its handler on a fresh unit of work and returns the
domain's answer. Both entrypoints stay thin translations of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from autonom.devices.printer import receipt_text
from autonom.domain import PaymentMethod, Receipt, Refusal, Tender, Ticket, TicketStatus
from autonom.domain.errors import NO_MASTER_DATA
from autonom.domain.money import parse_amount
from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Health, Mode
from autonom.till.entrypoints.schemas import DialogPublic, StatusIcon, TillStatus
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    OpenTicket,
    VoidBooking,
)
from autonom.till.service_layer.handlers import SharedTables
from autonom.till.service_layer.modes import ModeView


@dataclass(frozen=True)
class Closed:
    """A receipt just made, and why it was not printed (None when it was, or not asked)."""

    receipt: Receipt
    printer_problem: str | None


def shared_tables(till: Till) -> SharedTables | None:
    """The server to ask for a table's ticket, or None to decide locally at once.

    While the uploader reports a problem the server is not asked: the cashier would wait
    for a timeout that is all but certain (invariant 1); the table opens here (R3.2 merges).
    """
    if till.modes.state is not Mode.LIVE or till.uploader.state().last_error is not None:
        return None
    if not till.snapshot.state().registered:
        return None
    return till.link


def open_ticket(till: Till, operator_number: int, table: int | None) -> Ticket:
    """A new counter ticket, or the ticket of ``table`` (this till's, the server's, or new)."""
    return handlers.open_ticket(
        OpenTicket(table=table, operator_number=operator_number),
        till.unit_of_work(),
        tables=shared_tables(till),
        offline=till.offline,
    )


def get_ticket(till: Till, ticket_id: str) -> Ticket:
    with till.unit_of_work() as uow:
        return uow.tickets.get(ticket_id)


def open_tickets(till: Till) -> list[Ticket]:
    with till.unit_of_work() as uow:
        return uow.tickets.list_open()


def book(till: Till, operator_number: int, ticket_id: str, plu: str, quantity: int) -> Ticket:
    """Book an item and return the ticket as it now stands."""
    handlers.add_booking(
        AddBooking(
            ticket_id=ticket_id,
            plu=plu.strip(),
            quantity=quantity,
            operator_number=operator_number,
        ),
        till.unit_of_work(),
        offline=till.offline,
    )
    return get_ticket(till, ticket_id)


def void(till: Till, operator_number: int, ticket_id: str, booking_id: str, reason: str) -> Ticket:
    handlers.void_booking(
        VoidBooking(
            ticket_id=ticket_id,
            booking_id=booking_id,
            reason=reason,
            operator_number=operator_number,
        ),
        till.unit_of_work(),
    )
    return get_ticket(till, ticket_id)


def ticket_for_payment(till: Till, ticket_id: str) -> Ticket:
    """The ticket to pay, with what other tills booked on its table copied in (live mode)."""
    tables = shared_tables(till)
    ticket = get_ticket(till, ticket_id)
    if tables is not None and ticket.table is not None and ticket.status is TicketStatus.OPEN:
        handlers.refresh_shared_ticket(ticket_id, till.unit_of_work(), tables=tables)
        ticket = get_ticket(till, ticket_id)
    return ticket


def pay(
    till: Till,
    operator_number: int,
    ticket_id: str,
    tenders: list[Tender],
    *,
    print_receipt: bool = True,
) -> Closed:
    """Close the ticket into a receipt, then print it. The receipt is saved before the
    printer is touched, so a printer failure never undoes the sale. While an outage waits
    for the cashier's decision, closing is refused at once (R1.4)."""
    till.modes.check_sale()
    receipt = handlers.close_ticket(
        CloseTicket(ticket_id=ticket_id, tenders=tuple(tenders), operator_number=operator_number),
        till.unit_of_work(),
        offline=till.offline,
    )
    problem = till.print_receipt(receipt) if print_receipt else None
    return Closed(receipt, problem)


def cash_tenders(tendered: str, due: Decimal) -> list[Tender]:
    """Cash as the cashier typed it; an empty field means the exact amount (nothing at all
    when nothing is due, so the domain can say what is wrong with the ticket)."""
    text = tendered.strip()
    if not text:
        return [Tender(PaymentMethod.CASH, due)] if due > 0 else []
    return [Tender(PaymentMethod.CASH, parse_amount(text, allow_zero=False))]


def tender(method: PaymentMethod, amount: str | int) -> Tender:
    return Tender(method, parse_amount(amount, allow_zero=False))


def receipt(till: Till, number: str) -> Receipt:
    with till.unit_of_work() as uow:
        return uow.receipts.get(number)


def receipt_lines(till: Till, found: Receipt) -> list[str]:
    """The receipt's lines exactly as the printer prints them."""
    return receipt_text(found, till.settings.store_header, till.number)


def reprint(till: Till, number: str) -> str | None:
    """Print a saved receipt again; None when printed, else the printer's problem."""
    return till.print_receipt(receipt(till, number))


def receipts_of_day(till: Till, day: date | None = None) -> list[Receipt]:
    """Receipts closed on ``day`` (the till's local calendar day; today by default)."""
    local_now = till.clock().astimezone()
    day = day or local_now.date()
    start = datetime.combine(day, time.min, tzinfo=local_now.tzinfo)
    with till.unit_of_work() as uow:
        return uow.receipts.closed_between(start, start + timedelta(days=1))


def unsent_receipt_numbers(till: Till) -> set[str]:
    """Receipts the server has not confirmed yet (R2.7: stored but not sent)."""
    return {
        d.receipt_number
        for d in till.uploader.unsent_documents(limit=1_000_000)
        if d.receipt_number is not None
    }


def require_master_data(till: Till) -> None:
    """Refuse to sell before the first snapshot: there is nothing to sell from."""
    with till.unit_of_work() as uow:
        info = uow.master_data.info()
    if info.version is None:
        raise Refusal(
            NO_MASTER_DATA,
            "No master data yet — connect this till to the server; it fetches items, prices "
            "and operators by itself as soon as the server answers.",
            409,
        )


def status(till: Till) -> TillStatus:
    """The status line's facts (R2.7): the mode and its dialog, registration, upload
    problems, unsent counts."""
    with till.unit_of_work() as uow:
        info = uow.master_data.info()
    link = till.snapshot.state()
    view = till.modes.view()
    unsent = till.uploader.unsent_count()
    return TillStatus(
        till_number=till.number,
        registered=link.registered,
        mode=view.mode,
        icon=_icon(view, unsent),
        server_link=view.server_link,
        operator_link=view.operator_link,
        activity=view.activity,
        emergency_allowed=view.settings.emergency_allowed,
        auto_return_s=view.settings.auto_return_s,
        dialog=_dialog(view),
        notice=view.notice.kind if view.notice else None,
        emergency_mode=view.sales_offline,
        server_problem=link.problem,
        upload_problem=till.uploader.state().last_error,
        unsent_operations=unsent,
        unsent_receipts=till.uploader.unsent_receipt_count(),
        master_data_version=info.version,
        master_data_at=info.fetched_at,
        items=info.items,
        operators=info.operators,
    )


def _icon(view: ModeView, unsent: int) -> StatusIcon:
    if view.sales_offline:
        return "emergency"
    if view.mode is Mode.OUTAGE_PENDING:
        return "outage"
    if view.operator_link is Health.DOWN:
        return "operator_unreachable"
    return "unsent" if unsent else "synced"


def _dialog(view: ModeView) -> DialogPublic | None:
    if view.dialog is None:
        return None
    return DialogPublic(
        kind=view.dialog.kind,
        choices=list(view.dialog.choices),
        reason=view.dialog.reason,
        auto_return_in_s=view.auto_return_in_s,
        local_open_tickets=view.dialog.local_open_tickets,
    )


def choose(till: Till, choice: Choice) -> Mode:
    """The cashier's answer to the mode dialog; the mode after it."""
    return till.modes.choose(choice)
