"""Today's receipts, one receipt as printed, and printing it again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autonom.domain import Refusal
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import back_to, refused, render
from autonom.till.entrypoints.sessions import Alert

router = APIRouter(include_in_schema=False)


@router.get("/receipts")
def receipts_screen(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    return render(
        request,
        "receipts.html",
        till,
        sessions,
        session,
        receipts=till.selling.receipts_of_day(),
        unsent=till.selling.unsent_receipt_numbers(),
    )


@router.get("/receipts/{number}")
def receipt_screen(
    request: Request,
    number: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
) -> Response:
    found = till.selling.receipt(number)
    return render(
        request,
        "receipt.html",
        till,
        sessions,
        session,
        receipt=found,
        lines=till.selling.receipt_lines(found),
        sent=number not in till.selling.unsent_receipt_numbers(),
        card_payments=till.card_payments.of_receipt(number),
    )


@router.post("/receipts/{number}/print")
def print_receipt(
    number: str, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    try:
        problem = till.selling.reprint(number)
    except Refusal as refusal:
        return back_to("/receipts", sessions, session, refused(refusal))
    alert = (
        Alert("info", f"Receipt {number} printed.")
        if problem is None
        else Alert("warning", f"Receipt saved, printer not reachable: {problem}")
    )
    return back_to(f"/receipts/{number}", sessions, session, alert)
