"""The functions that need the server on the cashier page (R2.4): paying with a voucher,
the operator settlement (refused offline as a notice that closes itself after about 45 s,
seed 000), and the panel of every function of the matrix with its state now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autonom.domain import PaymentMethod, Refusal
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import Text, back_to, refused, render, templates
from autonom.till.entrypoints.sessions import Alert
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
    alert = None
    if closed.printer_problem is not None:
        alert = Alert("warning", f"Receipt saved, printer not reachable: {closed.printer_problem}")
    return back_to(f"/receipts/{closed.receipt.number}", sessions, session, alert)


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
