"""The till's JSON API for the restaurant's moves of lines (docs/restaurant.md): pay chosen
lines of a ticket as their own receipt (bill split) and move chosen lines, or the whole
ticket, to another table (table transfer). Same errors as ``api``: ``ErrorBody`` answers,
every rule decided by ``Selling``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field, StrictInt

from autonom.contracts import TicketPublic
from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound
from autonom.domain import limits
from autonom.till.entrypoints.api import ERRORS
from autonom.till.entrypoints.deps import ApiSessionDep, TillDep
from autonom.till.entrypoints.schemas import ReceiptPublic, TenderIn, receipt_public
from autonom.till.service_layer.commands import Tendered

router = APIRouter(prefix="/api", responses=ERRORS, tags=["tables"])

BookingId = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_ID_LENGTH), NO_CONTROL_CHARACTERS
]
ChosenLines = Annotated[list[BookingId], Field(max_length=limits.MAX_CHOSEN_LINES)]


class SplitIn(Inbound):
    booking_ids: ChosenLines = Field(description="the lines paid as their own receipt")
    tenders: list[TenderIn] = Field(min_length=1, max_length=limits.MAX_TENDERS)
    print_receipt: bool = Field(default=True, description="print on the till's printer")


class TransferIn(Inbound):
    booking_ids: ChosenLines | None = Field(
        default=None, description="the lines to move; none: the whole ticket"
    )
    table: StrictInt = Field(description="the table they go to")


@router.post(
    "/tickets/{ticket_id}/split",
    response_model=ReceiptPublic,
    status_code=status.HTTP_201_CREATED,
)
def split_bill(
    ticket_id: str, body: SplitIn, till: TillDep, session: ApiSessionDep
) -> ReceiptPublic:
    """Pay the chosen lines as their own receipt; the rest stays on the ticket (422
    NOTHING_CHOSEN, 404 BOOKING_NOT_FOUND, 409 ALREADY_VOIDED, 422 UNDERPAID, 409
    SHARED_TICKET_OFFLINE in emergency mode for a table shared with other tills)."""
    tendered = [Tendered(t.method, t.amount) for t in body.tenders]
    closed = till.selling.split_bill(
        session.operator_number,
        ticket_id,
        body.booking_ids,
        tendered,
        print_receipt=body.print_receipt,
    )
    lines = till.selling.receipt_lines(closed.receipt)
    return receipt_public(closed.receipt, lines, closed.printer_problem)


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketPublic)
def transfer(
    ticket_id: str, body: TransferIn, till: TillDep, session: ApiSessionDep
) -> TicketPublic:
    """Move the chosen lines (none chosen: the whole ticket) to ``table``; the answer is the
    ticket there (422 BAD_TABLE, 422 SAME_TABLE, 422 NOTHING_CHOSEN, 404 BOOKING_NOT_FOUND,
    409 ALREADY_VOIDED, 409 SHARED_TICKET_OFFLINE in emergency mode)."""
    target = till.selling.transfer(session.operator_number, ticket_id, body.booking_ids, body.table)
    return TicketPublic.of(target)
