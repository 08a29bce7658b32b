"""The status line, the unsent documents, the mode dialog's answers and the master-data
refresh button."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autonom.domain import Refusal
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain import Choice, Mode
from autonom.till.entrypoints.deps import (
    OptionalPageSessionDep,
    PageSessionDep,
    SessionsDep,
    TillDep,
)
from autonom.till.entrypoints.errors import server_unreachable
from autonom.till.entrypoints.pages.rendering import (
    Text,
    back_to,
    local,
    refused,
    render,
    status_fingerprint,
    templates,
)
from autonom.till.entrypoints.sessions import Alert

router = APIRouter(include_in_schema=False)

# What the cashier reads after answering the mode dialog, by the mode it led to.
MODE_ALERTS = {
    Mode.EMERGENCY: "Emergency mode: keep selling; receipts are kept here and sent later.",
    Mode.LIVE: "Live mode: the server answers again.",
    Mode.OUTAGE_PENDING: "The server still does not answer; choose again or wait.",
    Mode.REINTEGRATING: "Sending the documents of emergency mode to the server …",
    Mode.SERVER_AVAILABLE: "The server is back; choose how to go on.",
    Mode.SUSPECT: "Checking the connection to the server …",
}


@router.get("/unsent")
def unsent_screen(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    documents = till.selling.unsent_documents()
    summary = till.selling.unsent_summary()
    return render(
        request, "unsent.html", till, sessions, session, documents=documents, summary=summary
    )


@router.post("/credential")
def install_credential(
    till: TillDep, sessions: SessionsDep, session: PageSessionDep, credential: Text = ""
) -> Response:
    """A manager installs the credential the back office issued to this till (issue 9)."""
    try:
        operator = till.selling.operator(session.operator_number)
        till.snapshot.install_credential(operator, credential)
    except Refusal as refusal:
        return back_to("/unsent", sessions, session, refused(refusal))
    alert = Alert("info", "Credential installed: the till sends its documents to the server now.")
    return back_to("/unsent", sessions, session, alert)


@router.post("/mode/{choice}")
def choose(
    choice: Choice,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    back: Text = "/",
) -> Response:
    """The cashier's answer to the mode dialog; back to the screen it was given on."""
    mode = till.selling.choose(choice)
    return back_to(local(back), sessions, session, Alert("info", MODE_ALERTS[mode]))


@router.post("/mode/notice/dismiss")
def dismiss_notice(
    till: TillDep, sessions: SessionsDep, session: PageSessionDep, back: Text = "/"
) -> Response:
    till.selling.dismiss_notice()
    return back_to(local(back), sessions, session)


@router.post("/master-data/refresh")
def refresh_master_data(
    till: TillDep, sessions: SessionsDep, session: OptionalPageSessionDep, back: Text = "/"
) -> Response:
    target = local(back)
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


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)  # no icon: better than a 404 in every console


@router.get("/status-line")
def status_line(
    request: Request, till: TillDep, session: OptionalPageSessionDep, shown: str = ""
) -> Response:
    """The status line alone; the page polls it so the unsent counter stays current. The
    line the page already shows (its fingerprint ``shown``) is not sent again: 204, and
    htmx leaves it in place."""
    status = till.selling.status()
    if shown == status_fingerprint(status, session):
        return Response(status_code=204)
    # htmx names the page the line sits on: the dialog's answer goes back there.
    here = urlsplit(request.headers.get("HX-Current-URL", "/")).path
    return templates.TemplateResponse(
        request, "_status.html", {"status": status, "session": session, "here": here}
    )
