"""The restaurant's moves of lines on the ticket screen (docs/restaurant.md): "Pay selected"
splits the checked lines off onto a ticket of their own and shows its pay screen (bill
split); "Move to table" moves the checked lines, or all of them when none is checked, to
another table (table transfer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from autonom.domain import Refusal
from autonom.domain.ticket import parse_table
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import Text, back_to, refused
from autonom.till.entrypoints.sessions import Alert

router = APIRouter(include_in_schema=False)

Chosen = Annotated[list[str], Form(default_factory=list)]


@router.post("/tickets/{ticket_id}/split")
def pay_selected(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    booking_ids: Chosen,
) -> Response:
    try:
        split = till.selling.split_off(session.operator_number, ticket_id, booking_ids)
    except Refusal as refusal:
        return back_to(f"/tickets/{ticket_id}", sessions, session, refused(refusal))
    return back_to(f"/tickets/{split.ticket_id}/pay", sessions, session)


@router.post("/tickets/{ticket_id}/transfer")
def move_to_table(
    ticket_id: str,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    booking_ids: Chosen,
    table: Text = "",
) -> Response:
    try:
        target = till.selling.transfer(
            session.operator_number, ticket_id, booking_ids or None, parse_table(table)
        )
    except Refusal as refusal:
        return back_to(f"/tickets/{ticket_id}", sessions, session, refused(refusal))
    what = f"{len(booking_ids)} line(s)" if booking_ids else "The whole ticket"
    alert = Alert("info", f"{what} moved to table {target.table}.")
    return back_to(f"/tickets/{target.ticket_id}", sessions, session, alert)
