"""Open tickets and tables, the ticket (search, item buttons, lines with void) and paying it
(cash with change, card)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autonom.domain import PaymentMethod, Refusal, TicketStatus
from autonom.domain.ticket import OFFLINE_VOID_REASON, parse_quantity, parse_table
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.card_payments import pay_context
from autonom.till.entrypoints.pages.rendering import Text, back_to, refused, render, templates
from autonom.till.entrypoints.sessions import Alert
from autonom.till.service_layer.commands import PresentedCard, Tendered

router = APIRouter(include_in_schema=False)

TABLE_BUTTONS = range(1, 11)  # the demo café's ten tables; any other number can be typed
VOID_REASONS = ("wrong item", "customer changed their mind", "entered twice", OFFLINE_VOID_REASON)


@router.get("/tickets")
def tickets_screen(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    return render(
        request,
        "tickets.html",
        till,
        sessions,
        session,
        tickets=till.selling.open_tickets(),
        table_buttons=TABLE_BUTTONS,
    )


@router.post("/tickets")
def open_ticket(
    till: TillDep, sessions: SessionsDep, session: PageSessionDep, table: Text = ""
) -> Response:
    try:
        ticket = till.selling.open_ticket(session.operator_number, parse_table(table))
    except Refusal as refusal:
        return back_to("/tickets", sessions, session, refused(refusal))
    return back_to(f"/tickets/{ticket.ticket_id}", sessions, session)


@router.get("/tickets/{ticket_id}")
def ticket_screen(
    request: Request,
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    q: str = "",
) -> Response:
    ticket = till.selling.ticket(ticket_id)
    if ticket.status is TicketStatus.CLOSED and ticket.receipt is not None:
        return RedirectResponse(f"/receipts/{ticket.receipt.number}", status_code=303)
    if ticket.status is TicketStatus.MOVED:  # its lines went to another table meanwhile
        alert = Alert("info", "The lines of that ticket were moved to another table.")
        return back_to("/tickets", sessions, session, alert)
    if ticket.status is TicketStatus.CLOSED:  # paid on another till (R3.2)
        alert = Alert("info", "That ticket was paid on another till meanwhile.")
        return back_to("/tickets", sessions, session, alert)
    return render(
        request,
        "ticket.html",
        till,
        sessions,
        session,
        ticket=ticket,
        items=till.selling.search_items(q),
        q=q,
        void_reasons=VOID_REASONS,
        offline_void_reason=OFFLINE_VOID_REASON,
    )


@router.get("/tickets/{ticket_id}/items")
def item_buttons(
    request: Request, ticket_id: str, till: TillDep, _session: PageSessionDep, q: str = ""
) -> Response:
    """The item buttons matching ``q`` (htmx swaps them in while the cashier types)."""
    items = till.selling.search_items(q)
    return templates.TemplateResponse(
        request, "_items.html", {"items": items, "ticket_id": ticket_id, "q": q}
    )


@router.post("/tickets/{ticket_id}/bookings")
def add_booking(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    plu: Text = "",
    quantity: Text = "1",
    q: Text = "",
) -> Response:
    here = f"/tickets/{ticket_id}" + (f"?q={q}" if q.isalnum() else "")
    try:
        till.selling.book(session.operator_number, ticket_id, plu, parse_quantity(quantity))
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    return back_to(here, sessions, session)


@router.post("/tickets/{ticket_id}/bookings/{booking_id}/void")
def void_booking(
    ticket_id: str,
    booking_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    reason: Text = "",
) -> Response:
    here = f"/tickets/{ticket_id}"
    try:
        till.selling.void(session.operator_number, ticket_id, booking_id, reason)
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    return back_to(here, sessions, session)


@router.get("/tickets/{ticket_id}/pay")
def pay_screen(
    request: Request,
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
) -> Response:
    ticket = till.selling.ticket_for_payment(ticket_id)
    if ticket.status is TicketStatus.CLOSED and ticket.receipt is not None:
        return RedirectResponse(f"/receipts/{ticket.receipt.number}", status_code=303)
    return render(
        request, "pay.html", till, sessions, session, ticket=ticket, **pay_context(till, ticket_id)
    )


@router.post("/tickets/{ticket_id}/pay")
def pay(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    method: Text = "cash",
    tendered: Text = "",
    card_type: Text = "",
    card_number: Text = "",
) -> Response:
    here = f"/tickets/{ticket_id}/pay"
    card = PresentedCard(card_type, card_number) if card_type or card_number else None
    try:
        closed = till.selling.pay(
            session.operator_number, ticket_id, [_tendered(method, tendered)], card=card
        )
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    alert = None
    if closed.printer_problem is not None:
        alert = Alert("warning", f"Receipt saved, printer not reachable: {closed.printer_problem}")
    return back_to(f"/receipts/{closed.receipt.number}", sessions, session, alert)


def _tendered(method: str, text: str) -> Tendered:
    """The pay form as typed: a card pays the amount due; so does an empty cash field."""
    if method == PaymentMethod.CARD.value:
        return Tendered(PaymentMethod.CARD)
    return Tendered(PaymentMethod.CASH, text.strip() or None)
