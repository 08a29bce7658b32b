"""The till's JSON API (``/api/…``): the cashier's commands over HTTP, for end-to-end tests,
the benchmark and other front ends. Errors are ``ErrorBody`` answers (invariant 7).

Log in with ``POST /api/login``; send the token as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from autonom.contracts import ErrorBody, TicketPublic
from autonom.contracts.fields import Day
from autonom.domain import Refusal
from autonom.domain.errors import SYNC_REPORT_NOT_FOUND
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain import Choice
from autonom.till.entrypoints.deps import ApiSessionDep, BearerDep, SessionsDep, TillDep
from autonom.till.entrypoints.errors import server_unreachable
from autonom.till.entrypoints.schemas import (
    MAX_UNSENT_LISTED,
    BookingIn,
    CloseIn,
    CredentialIn,
    LoginIn,
    MasterDataRefreshed,
    ModeLogEntry,
    OpenTicketIn,
    PrintResult,
    ReceiptPublic,
    ReceiptSummary,
    SessionPublic,
    SyncReportPrinted,
    TillStatus,
    UnsentPublic,
    UnsentSummaryPublic,
    VoidIn,
    receipt_public,
)
from autonom.till.service_layer.commands import PresentedCard, Tendered

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 422, 503)
}

router = APIRouter(prefix="/api", responses=ERRORS)


@router.get("/status", response_model=TillStatus, tags=["status"])
def till_status(till: TillDep, sessions: SessionsDep, bearer: BearerDep) -> TillStatus:
    """The till's state and counters (R2.7); no login needed — it is the health check."""
    current = TillStatus.of(till.selling.status())
    session = sessions.find(bearer.credentials if bearer else None)
    if session is not None:
        current.operator_number = session.operator_number
        current.operator_name = session.operator_name
    return current


@router.post("/login", response_model=SessionPublic, tags=["session"])
def log_in(body: LoginIn, till: TillDep, sessions: SessionsDep) -> SessionPublic:
    """Log an operator in with their PIN (401 WRONG_PIN); answers the session's token."""
    operator = till.selling.log_in(body.operator_number, body.pin)
    session = sessions.log_in(operator)
    return SessionPublic(
        token=session.token, operator_number=operator.number, name=operator.name, role=operator.role
    )


@router.post("/credential", status_code=status.HTTP_204_NO_CONTENT, tags=["session"])
def install_credential(body: CredentialIn, till: TillDep, session: ApiSessionDep) -> None:
    """A manager installs the credential the back office issued to this till (403
    NOT_ALLOWED for another role); a refused push is tried again at once."""
    till.snapshot.install_credential(
        till.selling.operator(session.operator_number), body.credential
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["session"])
def log_out(sessions: SessionsDep, bearer: BearerDep) -> None:
    sessions.log_out(bearer.credentials if bearer else None)


@router.get("/tickets", response_model=list[TicketPublic], tags=["tickets"])
def open_tickets(till: TillDep, _session: ApiSessionDep) -> list[TicketPublic]:
    """This till's open tickets, tables first."""
    return [TicketPublic.of(t) for t in till.selling.open_tickets()]


@router.post(
    "/tickets",
    response_model=TicketPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["tickets"],
)
def open_ticket(body: OpenTicketIn, till: TillDep, session: ApiSessionDep) -> TicketPublic:
    """Open a counter ticket, or the ticket of ``table`` (adopted from the server if another
    till opened it, live mode)."""
    ticket = till.selling.open_ticket(session.operator_number, body.table)
    return TicketPublic.of(ticket)


@router.get("/tickets/{ticket_id}", response_model=TicketPublic, tags=["tickets"])
def get_ticket(ticket_id: str, till: TillDep, _session: ApiSessionDep) -> TicketPublic:
    return TicketPublic.of(till.selling.ticket(ticket_id))


@router.post(
    "/tickets/{ticket_id}/bookings",
    response_model=TicketPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["tickets"],
)
def add_booking(
    ticket_id: str, body: BookingIn, till: TillDep, session: ApiSessionDep
) -> TicketPublic:
    """Book ``quantity`` of the item ``plu`` (404 UNKNOWN_ITEM, 422 BAD_QUANTITY)."""
    ticket = till.selling.book(session.operator_number, ticket_id, body.plu, body.quantity)
    return TicketPublic.of(ticket)


@router.post(
    "/tickets/{ticket_id}/bookings/{booking_id}/void",
    response_model=TicketPublic,
    tags=["tickets"],
)
def void_booking(
    ticket_id: str, booking_id: str, body: VoidIn, till: TillDep, session: ApiSessionDep
) -> TicketPublic:
    """Void a line with a reason (422 VOID_REASON_MISSING, 409 ALREADY_VOIDED)."""
    ticket = till.selling.void(session.operator_number, ticket_id, booking_id, body.reason)
    return TicketPublic.of(ticket)


@router.post("/tickets/{ticket_id}/refresh", response_model=TicketPublic, tags=["tickets"])
def refresh_ticket(ticket_id: str, till: TillDep, _session: ApiSessionDep) -> TicketPublic:
    """The ticket as it is to be paid: other tills' lines on its table copied in (live mode)."""
    return TicketPublic.of(till.selling.ticket_for_payment(ticket_id))


@router.post(
    "/tickets/{ticket_id}/close",
    response_model=ReceiptPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["tickets"],
)
def close_ticket(
    ticket_id: str, body: CloseIn, till: TillDep, session: ApiSessionDep
) -> ReceiptPublic:
    """Pay and close: the answer is the saved receipt (201) — also when the printer failed,
    which ``printer_problem`` then says (409 TICKET_CLOSED, 422 UNDERPAID …). A card tender
    needs ``card`` and is paid through the card device first (R2.5: 409 CARD_TYPE_OFFLINE,
    OFFLINE_CAP_REACHED, CARD_DECLINED, NO_CARD_DEVICE, CARD_PAYMENT_PENDING, 403
    DEVICE_NOT_HERE, 503 CARD_DEVICE_UNAVAILABLE — then the same call again is safe)."""
    tendered = [Tendered(t.method, t.amount) for t in body.tenders]
    card = None if body.card is None else PresentedCard(body.card.card_type, body.card.card_number)
    closed = till.selling.pay(
        session.operator_number, ticket_id, tendered, print_receipt=body.print_receipt, card=card
    )
    lines = till.selling.receipt_lines(closed.receipt)
    return receipt_public(closed.receipt, lines, closed.printer_problem)


@router.get("/receipts", response_model=list[ReceiptSummary], tags=["receipts"])
def receipts(
    till: TillDep,
    _session: ApiSessionDep,
    day: Annotated[Day | None, Query(alias="date", description="local day; today if none")] = None,
) -> list[ReceiptSummary]:
    """The receipts of one day, newest first, each with whether the server has it."""
    unsent = till.selling.unsent_receipt_numbers()
    return [
        ReceiptSummary(
            number=r.number,
            ticket_id=r.ticket_id,
            closed_at=r.closed_at,
            total=r.total,
            offline=r.offline,
            sent=r.number not in unsent,
        )
        for r in till.selling.receipts_of_day(day)
    ]


@router.get("/receipts/{number}", response_model=ReceiptPublic, tags=["receipts"])
def get_receipt(number: str, till: TillDep, _session: ApiSessionDep) -> ReceiptPublic:
    found = till.selling.receipt(number)
    return receipt_public(found, till.selling.receipt_lines(found))


@router.post("/receipts/{number}/print", response_model=PrintResult, tags=["receipts"])
def print_receipt(number: str, till: TillDep, _session: ApiSessionDep) -> PrintResult:
    """Print a saved receipt again; ``printer_problem`` says why not, if it failed."""
    problem = till.selling.reprint(number)
    return PrintResult(printed=problem is None, printer_problem=problem)


@router.get("/unsent", response_model=list[UnsentPublic], tags=["status"])
def unsent(
    till: TillDep,
    _session: ApiSessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_UNSENT_LISTED)] = 500,
) -> list[UnsentPublic]:
    """The operations the server has not confirmed yet, oldest first (R2.7)."""
    return [UnsentPublic.of(d) for d in till.selling.unsent_documents(limit)]


@router.get("/unsent/summary", response_model=UnsentSummaryPublic, tags=["status"])
def unsent_summary(till: TillDep, _session: ApiSessionDep) -> UnsentSummaryPublic:
    """Every kind of document not finished yet (R2.7): the operations the server has not
    confirmed, by kind; card payments stored offline waiting for the bank; gate scans
    waiting for their result."""
    return UnsentSummaryPublic.of(till.selling.unsent_summary())


@router.post("/mode/{choice}", response_model=TillStatus, tags=["mode"])
def choose(choice: Choice, till: TillDep, _session: ApiSessionDep) -> TillStatus:
    """Answer the mode dialog (``status.dialog.choices``): ``emergency`` or ``retry`` after
    the link is lost, ``sync_now`` or ``stay_offline`` when it is back with local open
    tickets (R1.4-R1.6). A choice the dialog no longer offers changes nothing."""
    till.selling.choose(choice)
    return TillStatus.of(till.selling.status())


@router.post("/mode/notice/dismiss", status_code=status.HTTP_204_NO_CONTENT, tags=["mode"])
def dismiss_notice(till: TillDep, _session: ApiSessionDep) -> None:
    """The cashier has read the notice (e.g. back in live mode by itself)."""
    till.selling.dismiss_notice()


@router.get("/mode-log", response_model=list[ModeLogEntry], tags=["mode"])
def mode_log(till: TillDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[ModeLogEntry]:
    """The heartbeat's log, newest first: each line as in the day's plain-text file (R1.1)
    and whether the server has it. No login needed, like ``/api/status``."""
    return [ModeLogEntry.of(logged) for logged in till.station.recent(limit)]


@router.get("/sync-report", response_model=SyncReportPrinted, tags=["status"])
def last_sync_report(till: TillDep, _session: ApiSessionDep) -> SyncReportPrinted:
    """The report of this till's latest reintegration (R3.3), as the server made it and
    this till printed it (404 SYNC_REPORT_NOT_FOUND before the first since its start)."""
    report = till.sync_reports.last()
    if report is None:
        raise Refusal(
            SYNC_REPORT_NOT_FOUND, "No sync report yet: this till has not reintegrated.", 404
        )
    return SyncReportPrinted(
        report=report,
        lines=till.sync_reports.lines(report),
        printer_problem=till.sync_reports.printer_problem,
    )


@router.post("/master-data/refresh", response_model=MasterDataRefreshed, tags=["status"])
def refresh_master_data(till: TillDep, _session: ApiSessionDep) -> MasterDataRefreshed:
    """Fetch the master data now (R2.2), e.g. before a planned outage (503 if unreachable)."""
    try:
        version = till.snapshot.refresh_now()
    except ServerUnreachable as error:
        raise server_unreachable(error) from error
    return MasterDataRefreshed(version=version)
