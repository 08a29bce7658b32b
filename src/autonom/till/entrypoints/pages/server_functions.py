"""The functions that need the server on the cashier page (R2.4): paying with a voucher or
on a customer's account (looked up on the server), the operator settlement (refused
offline as a notice that closes itself after about 45 s, seed 000), and the panel of every
function of the matrix with its state now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autonom.domain import PaymentMethod, Refusal
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import Text, back_to, refused, render, templates
from autonom.till.entrypoints.sessions import Alert, Session, Sessions
from autonom.till.service_layer.selling import Closed
from autonom.till.service_layer.server_functions import Notice

router = APIRouter(include_in_schema=False)


@router.get("/functions")
def functions_panel(request: Request, till: TillDep, _session: PageSessionDep) -> Response:
    """The panel alone; the tickets screen polls it so it follows the mode."""
    return templates.TemplateResponse(
        request, "_functions.html", {"functions": till.server_functions.functions_now()}
    )


@router.post("/tickets/{ticket_id}/pay/voucher")
def pay_with_voucher(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    number: Text = "",
    amount: Text = "",
    rest: Text = "cash",
) -> Response:
    here = f"/tickets/{ticket_id}/pay"
    method = PaymentMethod.CARD if rest == PaymentMethod.CARD.value else PaymentMethod.CASH
    try:
        closed = till.server_functions.pay_with_voucher(
            session.operator_number, ticket_id, number, amount, method
        )
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    return _to_receipt(closed, sessions, session)


@router.get("/tickets/{ticket_id}/pay/customers")
def customer_lookup(
    request: Request, ticket_id: str, till: TillDep, _session: PageSessionDep, q: str = ""
) -> Response:
    """The customer accounts matching ``q`` (htmx swaps them in under the search field)."""
    customers = till.server_functions.find_customers(q)
    ticket = till.selling.ticket(ticket_id)
    return templates.TemplateResponse(
        request, "_customers.html", {"customers": customers, "ticket": ticket, "q": q}
    )


@router.post("/tickets/{ticket_id}/pay/account")
def pay_on_account(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    customer_number: Text = "",
    amount: Text = "",
    rest: Text = "cash",
) -> Response:
    here = f"/tickets/{ticket_id}/pay"
    method = PaymentMethod.CARD if rest == PaymentMethod.CARD.value else PaymentMethod.CASH
    typed = customer_number.strip()
    number = int(typed) if typed.isascii() and typed.isdigit() and len(typed) <= 9 else 0
    try:
        closed = till.server_functions.pay_on_account(
            session.operator_number, ticket_id, number, amount, method
        )
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    return _to_receipt(closed, sessions, session)


@router.get("/operator-settlement")
def operator_settlement(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    """The logged-in operator's settlement of today, or the notice saying why not."""
    try:
        settlement = till.server_functions.operator_settlement(session.operator_number)
    except Refusal as refusal:
        notice = Notice.of(refusal)
        if notice is None:
            return back_to("/tickets", sessions, session, refused(refusal))
        return render(request, "operator_settlement.html", till, sessions, session, notice=notice)
    return render(
        request, "operator_settlement.html", till, sessions, session, settlement=settlement
    )


def _to_receipt(closed: Closed, sessions: Sessions, session: Session) -> Response:
    """After a payment through the server: the receipt, warned when it was not printed."""
    alert = None
    if closed.printer_problem is not None:
        alert = Alert("warning", f"Receipt saved, printer not reachable: {closed.printer_problem}")
    return back_to(f"/receipts/{closed.receipt.number}", sessions, session, alert)
