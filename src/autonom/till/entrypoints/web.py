"""The cashier page (FastAPI + Jinja2 + htmx) and the JSON API of one till: ``create_app``.

Screens: log in (operator, PIN pad), open tickets and tables, the ticket (search, item
buttons, lines with void), pay (cash with change, card), the receipt (print), today's
receipts and the unsent documents. Every POST answers with a redirect (post/redirect/get);
a refusal comes back as an alert on the screen the cashier was on, never a traceback.
htmx is served from this till (``static/``): the page loads nothing from the internet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from autonom import __version__
from autonom.domain import PaymentMethod, Refusal, Tender, TicketStatus, errors
from autonom.domain.ticket import OFFLINE_VOID_REASON, parse_quantity, parse_table
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Mode
from autonom.till.entrypoints import api, cashier
from autonom.till.entrypoints.deps import (
    SESSION_COOKIE,
    OptionalPageSessionDep,
    PageSessionDep,
    SessionsDep,
    TillDep,
)
from autonom.till.entrypoints.errors import install_error_handlers, server_unreachable
from autonom.till.entrypoints.sessions import Alert, Session, Sessions
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import LogIn
from autonom.web import BodyLimit, templates_for

HERE = Path(__file__).parent
TABLE_BUTTONS = range(1, 11)  # the demo café's ten tables; any other number can be typed
VOID_REASONS = ("wrong item", "customer changed their mind", "entered twice", OFFLINE_VOID_REASON)
# Shown with the refusal's own message: what the cashier can do about it.
WHAT_TO_DO = {
    errors.STORAGE_FAILED: "Do not hand out goods for this step; call support.",
    errors.NO_MASTER_DATA: "Check the network cable and that the server is running.",
    errors.UNKNOWN_ITEM: "Search the item by its name, or refresh the master data.",
    errors.WRONG_PIN: "Type the PIN again; a manager can reset it on the server.",
    errors.UNDERPAID: "Take the rest of the amount, or add a card payment.",
}

# What the cashier reads after answering the mode dialog, by the mode it led to.
MODE_ALERTS = {
    Mode.EMERGENCY: "Emergency mode: keep selling; receipts are kept here and sent later.",
    Mode.LIVE: "Live mode: the server answers again.",
    Mode.OUTAGE_PENDING: "The server still does not answer; choose again or wait.",
    Mode.REINTEGRATING: "Sending the documents of emergency mode to the server …",
    Mode.SERVER_AVAILABLE: "The server is back; choose how to go on.",
    Mode.SUSPECT: "Checking the connection to the server …",
}

log = structlog.get_logger(__name__)

Text = Annotated[str, Form()]


def create_app(till: Till) -> FastAPI:
    """The till's web application: the cashier page and ``/api``. The caller starts and
    stops the till's background threads (``Till.start``/``stop``)."""
    templates = templates_for(HERE / "templates")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The activity check (R1.3): this loop beats; the heartbeat thread notices a stall.
        beating = asyncio.create_task(till.heartbeat.beat_forever())
        yield
        beating.cancel()

    app = FastAPI(
        title=f"Autonom till {till.number}",
        summary="The cashier page and the till's JSON API.",
        version=__version__,
        lifespan=lifespan,
    )
    app.state.till = till
    app.state.sessions = Sessions()
    install_error_handlers(app, templates)
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    _page_routes(app, templates)
    return app


def _page_routes(app: FastAPI, templates: Jinja2Templates) -> None:
    def render(
        request: Request,
        name: str,
        till: Till,
        sessions: Sessions,
        session: Session | None,
        status_code: int = 200,
        alerts: list[Alert] | None = None,
        **context: Any,
    ) -> Response:
        shown = (sessions.take_alerts(session) if session else []) + (alerts or [])
        return templates.TemplateResponse(
            request,
            name,
            {
                "till": till,
                "status": cashier.status(till),
                "session": session,
                "alerts": shown,
                "what_to_do": WHAT_TO_DO,
                "here": request.url.path,
                **context,
            },
            status_code,
        )

    def back_to(
        path: str, sessions: Sessions, session: Session, alert: Alert | None = None
    ) -> Response:
        if alert is not None:
            sessions.flash(session, alert)
        return RedirectResponse(path, status_code=303)

    def refused(refusal: Refusal) -> Alert:
        return Alert("error", refusal.message, refusal.code)

    # -- log in ---------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home(session: OptionalPageSessionDep) -> Response:
        return RedirectResponse("/tickets" if session else "/login", status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_screen(
        request: Request, till: TillDep, sessions: SessionsDep, session: OptionalPageSessionDep
    ) -> Response:
        with till.unit_of_work() as uow:
            operators = uow.master_data.operators()
        return render(request, "login.html", till, sessions, session, operators=operators)

    @app.get("/login/{operator_number}", include_in_schema=False)
    def pin_screen(
        request: Request,
        operator_number: int,
        till: TillDep,
        sessions: SessionsDep,
        session: OptionalPageSessionDep,
    ) -> Response:
        with till.unit_of_work() as uow:
            operator = uow.master_data.operator(operator_number)
        return render(request, "pin.html", till, sessions, session, operator=operator)

    @app.post("/login/{operator_number}", include_in_schema=False)
    def log_in(
        request: Request,
        operator_number: int,
        till: TillDep,
        sessions: SessionsDep,
        session: OptionalPageSessionDep,
        pin: Text = "",
    ) -> Response:
        try:
            operator = handlers.log_in(LogIn(operator_number, pin.strip()), till.unit_of_work())
        except Refusal as refusal:
            with till.unit_of_work() as uow:
                operator = uow.master_data.operator(operator_number)
            return render(
                request,
                "pin.html",
                till,
                sessions,
                session,
                status_code=refusal.status,
                alerts=[refused(refusal)],
                operator=operator,
            )
        if session is not None:
            sessions.log_out(session.token)  # one operator per page: switching logs out
        new = sessions.log_in(operator)
        response = RedirectResponse("/tickets", status_code=303)
        response.set_cookie(SESSION_COOKIE, new.token, httponly=True, samesite="strict")
        return response

    @app.post("/logout", include_in_schema=False)
    def log_out(sessions: SessionsDep, session: OptionalPageSessionDep) -> Response:
        if session is not None:
            sessions.log_out(session.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    # -- tickets and tables -------------------------------------------------------------

    @app.get("/tickets", include_in_schema=False)
    def tickets_screen(
        request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
    ) -> Response:
        return render(
            request,
            "tickets.html",
            till,
            sessions,
            session,
            tickets=cashier.open_tickets(till),
            table_buttons=TABLE_BUTTONS,
        )

    @app.post("/tickets", include_in_schema=False)
    def open_ticket(
        till: TillDep, sessions: SessionsDep, session: PageSessionDep, table: Text = ""
    ) -> Response:
        try:
            cashier.require_master_data(till)
            ticket = cashier.open_ticket(till, session.operator_number, parse_table(table))
        except Refusal as refusal:
            return back_to("/tickets", sessions, session, refused(refusal))
        return back_to(f"/tickets/{ticket.ticket_id}", sessions, session)

    @app.get("/tickets/{ticket_id}", include_in_schema=False)
    def ticket_screen(
        request: Request,
        ticket_id: str,
        till: TillDep,
        sessions: SessionsDep,
        session: PageSessionDep,
        q: str = "",
    ) -> Response:
        ticket = cashier.get_ticket(till, ticket_id)
        if ticket.status is TicketStatus.CLOSED and ticket.receipt is not None:
            return RedirectResponse(f"/receipts/{ticket.receipt.number}", status_code=303)
        with till.unit_of_work() as uow:
            items = uow.master_data.search_items(q)
        return render(
            request,
            "ticket.html",
            till,
            sessions,
            session,
            ticket=ticket,
            items=items,
            q=q,
            void_reasons=VOID_REASONS,
        )

    @app.get("/tickets/{ticket_id}/items", include_in_schema=False)
    def item_buttons(
        request: Request,
        ticket_id: str,
        till: TillDep,
        _session: PageSessionDep,
        q: str = "",
    ) -> Response:
        """The item buttons matching ``q`` (htmx swaps them in while the cashier types)."""
        with till.unit_of_work() as uow:
            items = uow.master_data.search_items(q)
        return templates.TemplateResponse(
            request, "_items.html", {"items": items, "ticket_id": ticket_id, "q": q}
        )

    @app.post("/tickets/{ticket_id}/bookings", include_in_schema=False)
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
            cashier.book(till, session.operator_number, ticket_id, plu, parse_quantity(quantity))
        except Refusal as refusal:
            return back_to(here, sessions, session, refused(refusal))
        return back_to(here, sessions, session)

    @app.post("/tickets/{ticket_id}/bookings/{booking_id}/void", include_in_schema=False)
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
            cashier.void(till, session.operator_number, ticket_id, booking_id, reason)
        except Refusal as refusal:
            return back_to(here, sessions, session, refused(refusal))
        return back_to(here, sessions, session)

    # -- paying and receipts ---------------------------------------------------------------

    @app.get("/tickets/{ticket_id}/pay", include_in_schema=False)
    def pay_screen(
        request: Request,
        ticket_id: str,
        till: TillDep,
        sessions: SessionsDep,
        session: PageSessionDep,
    ) -> Response:
        ticket = cashier.ticket_for_payment(till, ticket_id)
        if ticket.status is TicketStatus.CLOSED and ticket.receipt is not None:
            return RedirectResponse(f"/receipts/{ticket.receipt.number}", status_code=303)
        return render(request, "pay.html", till, sessions, session, ticket=ticket)

    @app.post("/tickets/{ticket_id}/pay", include_in_schema=False)
    def pay(
        ticket_id: str,
        till: TillDep,
        sessions: SessionsDep,
        session: PageSessionDep,
        method: Text = "cash",
        tendered: Text = "",
    ) -> Response:
        here = f"/tickets/{ticket_id}/pay"
        try:
            due = cashier.get_ticket(till, ticket_id).total
            if method == PaymentMethod.CARD.value:
                tenders = [Tender(PaymentMethod.CARD, due)] if due > 0 else []
            else:
                tenders = cashier.cash_tenders(tendered, due)
            closed = cashier.pay(till, session.operator_number, ticket_id, tenders)
        except Refusal as refusal:
            return back_to(here, sessions, session, refused(refusal))
        alert = None
        if closed.printer_problem is not None:
            alert = Alert(
                "warning", f"Receipt saved, printer not reachable: {closed.printer_problem}"
            )
        return back_to(f"/receipts/{closed.receipt.number}", sessions, session, alert)

    @app.get("/receipts", include_in_schema=False)
    def receipts_screen(
        request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
    ) -> Response:
        return render(
            request,
            "receipts.html",
            till,
            sessions,
            session,
            receipts=cashier.receipts_of_day(till),
            unsent=cashier.unsent_receipt_numbers(till),
        )

    @app.get("/receipts/{number}", include_in_schema=False)
    def receipt_screen(
        request: Request,
        number: str,
        till: TillDep,
        sessions: SessionsDep,
        session: PageSessionDep,
    ) -> Response:
        found = cashier.receipt(till, number)
        return render(
            request,
            "receipt.html",
            till,
            sessions,
            session,
            receipt=found,
            lines=cashier.receipt_lines(till, found),
            sent=number not in cashier.unsent_receipt_numbers(till),
        )

    @app.post("/receipts/{number}/print", include_in_schema=False)
    def print_receipt(
        number: str, till: TillDep, sessions: SessionsDep, session: PageSessionDep
    ) -> Response:
        try:
            problem = cashier.reprint(till, number)
        except Refusal as refusal:
            return back_to("/receipts", sessions, session, refused(refusal))
        alert = (
            Alert("info", f"Receipt {number} printed.")
            if problem is None
            else Alert("warning", f"Receipt saved, printer not reachable: {problem}")
        )
        return back_to(f"/receipts/{number}", sessions, session, alert)

    # -- status ---------------------------------------------------------------------------

    @app.get("/unsent", include_in_schema=False)
    def unsent_screen(
        request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
    ) -> Response:
        documents = till.uploader.unsent_documents()
        return render(request, "unsent.html", till, sessions, session, documents=documents)

    @app.post("/mode/{choice}", include_in_schema=False)
    def choose(
        choice: Choice,
        till: TillDep,
        sessions: SessionsDep,
        session: PageSessionDep,
        back: Text = "/",
    ) -> Response:
        """The cashier's answer to the mode dialog; back to the screen it was given on."""
        mode = cashier.choose(till, choice)
        return back_to(_local(back), sessions, session, Alert("info", MODE_ALERTS[mode]))

    @app.post("/mode/notice/dismiss", include_in_schema=False)
    def dismiss_notice(
        till: TillDep, sessions: SessionsDep, session: PageSessionDep, back: Text = "/"
    ) -> Response:
        till.modes.dismiss_notice()
        return back_to(_local(back), sessions, session)

    @app.post("/master-data/refresh", include_in_schema=False)
    def refresh_master_data(
        till: TillDep, sessions: SessionsDep, session: OptionalPageSessionDep, back: Text = "/"
    ) -> Response:
        target = _local(back)
        try:
            version = till.snapshot.refresh_now()
            alert = Alert("info", f"Master data refreshed (version {version}).")
        except ServerUnreachable as error:
            alert = refused(server_unreachable(error))
        except Refusal as refusal:
            alert = refused(refusal)
        if session is None:
            # Before anyone is logged in (first start) the login screen shows the outcome.
            return RedirectResponse("/login", status_code=303)
        return back_to(target, sessions, session, alert)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)  # no icon: better than a 404 in every console

    @app.get("/status-line", include_in_schema=False)
    def status_line(request: Request, till: TillDep, session: OptionalPageSessionDep) -> Response:
        """The status line alone; the page polls it so the unsent counter stays current."""
        # htmx names the page the line sits on: the dialog's answer goes back there.
        here = urlsplit(request.headers.get("HX-Current-URL", "/")).path
        return templates.TemplateResponse(
            request,
            "_status.html",
            {"status": cashier.status(till), "session": session, "here": here},
        )


def _local(path: str) -> str:
    """A path on this till to go back to; anything else (another site) goes home."""
    return path if path.startswith("/") and not path.startswith("//") else "/"


__all__ = ["create_app"]
