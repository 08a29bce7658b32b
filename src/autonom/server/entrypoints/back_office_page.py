"""The back-office page of the server: plain HTML (Jinja2) and one CSS file, no script and
nothing from the internet. The tills with their last heartbeat (mode, activity, STALLED,
how long a till has not been heard from), each till's station settings and its history of
mode changes as the till logged them (R1.1-R1.5), and the sync report of every
reintegration (R3.3).

The admin token is typed once at ``/back-office/login`` and kept in an httponly,
samesite=strict cookie; without it every page answers with a redirect to the login.
Every POST answers with a redirect (post/redirect/get); the page keeps no state of its
own (invariant 9), so "saved" travels in the query string.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError

from autonom import __version__
from autonom.contracts import ModeEventPublic, StationSettingsPublic
from autonom.devices.printer import StoreHeader, sync_report_text
from autonom.domain.mode_log import format_log_line
from autonom.server import service_layer as handlers
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.domain import QUIET_AFTER_S, quiet_for
from autonom.server.entrypoints.deps import (
    ADMIN_COOKIE,
    AdminPageDep,
    ContextDep,
    ReadUnitOfWorkDep,
    UnitOfWorkDep,
)
from autonom.server.entrypoints.errors import ADMIN_REQUIRED
from autonom.server.entrypoints.schemas import PushRefusalPublic
from autonom.web import templates_for

PAGE = "/back-office"
HERE = Path(__file__).parent
HISTORY_LENGTH = 200  # mode events shown on a till's page, newest first
MOMENT = "%d.%m.%Y %H:%M:%S"  # how the back office writes a moment (local_time filter)
REFRESH_S = 5  # the tills list reloads itself this often
# The heading of a sync report shown here; the till prints its own store's on paper.
STORE_HEADER = StoreHeader(name="Back office copy", address="", vat_id="")
# The form's labels, also used to name a field in its error message.
SETTING_LABELS = {
    "emergency_allowed": "Emergency mode allowed",
    "auto_return_s": "Automatic return to live mode after (seconds)",
}


def log_line(event: ModeEventPublic) -> str:
    """The event as the till's plain-text log line (R1.1, seed 000), in the server's local
    time: ``12.08.2019 / 16:21:47: OFFLINE NO PING``."""
    return format_log_line(event.at.astimezone(), event.words)


templates = templates_for(HERE / "templates", time_format=MOMENT, filters={"log_line": log_line})

router = APIRouter(prefix=PAGE, include_in_schema=False)

Text = Annotated[str, Form()]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    zone = datetime.now().astimezone().tzname()
    return templates.TemplateResponse(
        request,
        name,
        {"page": PAGE, "version": __version__, "zone": zone, **context},
        status_code,
    )


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PAGE or path.startswith(PAGE + "/")


def page_error(request: Request, status: int, code: str, message: str) -> Response | None:
    """An error on the page as the page's error screen; no valid cookie is the login."""
    if not is_page(request):
        return None
    if code == ADMIN_REQUIRED:
        return RedirectResponse(f"{PAGE}/login", status_code=303)
    return render(request, "error.html", status, code=code, message=message)


@router.get("")
def home() -> Response:
    return RedirectResponse(f"{PAGE}/tills", status_code=303)


@router.get("/back_office.css")
def style_sheet() -> Response:
    return FileResponse(HERE / "static" / "back_office.css", media_type="text/css")


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login")
def log_in(request: Request, context: ContextDep, token: Text = "") -> Response:
    token = token.strip()
    if not handlers.secrets_match(token, context.admin_token):
        problem = (
            "That is not the admin token. Type it again, exactly as it was given when the "
            "server started (AUTONOM_ADMIN_TOKEN)."
            if token
            else "Type the admin token to log in."
        )
        return render(request, "login.html", 401, problem=problem)
    response = RedirectResponse(f"{PAGE}/tills", status_code=303)
    response.set_cookie(ADMIN_COOKIE, token, path=PAGE, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def log_out() -> Response:
    response = RedirectResponse(f"{PAGE}/login", status_code=303)
    response.delete_cookie(ADMIN_COOKIE, path=PAGE, httponly=True, samesite="strict")
    return response


@router.get("/tills")
def tills(request: Request, _admin: AdminPageDep, uow: ReadUnitOfWorkDep) -> Response:
    now = datetime.now(UTC)
    rows = [(till, quiet_for(till.reported_at, now)) for till in handlers.till_overview(uow=uow)]
    return render(request, "tills.html", rows=rows, quiet_after=QUIET_AFTER_S, refresh_s=REFRESH_S)


@router.get("/tills/open")
def open_till(_admin: AdminPageDep, number: Annotated[int, Query()]) -> Response:
    """The page of a till typed by number, e.g. to set its settings before it registers."""
    return RedirectResponse(f"{PAGE}/tills/{number}", status_code=303)


@router.get("/tills/{number}")
def till(
    request: Request, number: int, _admin: AdminPageDep, uow: ReadUnitOfWorkDep, saved: bool = False
) -> Response:
    return _till_page(request, uow, number, saved=saved)


@router.post("/tills/{number}/station-settings")
def put_station_settings(
    request: Request,
    number: int,
    _admin: AdminPageDep,
    uow: UnitOfWorkDep,
    read_uow: ReadUnitOfWorkDep,
    auto_return_s: Text = "",
    emergency_allowed: Annotated[str | None, Form()] = None,
) -> Response:
    typed = {"emergency_allowed": emergency_allowed is not None, "auto_return_s": auto_return_s}
    try:
        settings = StationSettingsPublic.model_validate(typed)
    except ValidationError as invalid:
        problems = [
            f"{SETTING_LABELS.get(str(e['loc'][0]), 'Station settings')}: {e['msg']}."
            for e in invalid.errors()
        ]
        return _till_page(
            request, read_uow, number, status_code=422, problems=problems, typed=typed
        )
    handlers.put_station_settings(uow=uow, number=number, settings=settings, now=datetime.now(UTC))
    return RedirectResponse(f"{PAGE}/tills/{number}?saved=true", status_code=303)


@router.post("/tills/{number}/credential")
def renew_credential(
    request: Request,
    number: int,
    _admin: AdminPageDep,
    uow: UnitOfWorkDep,
    read_uow: ReadUnitOfWorkDep,
) -> Response:
    """A new credential for the till, shown once on its page (issue 9): a replaced or
    restored till continues as a new log once a manager installed it there."""
    issued = handlers.renew_credential(uow=uow, number=number, now=datetime.now(UTC))
    return _till_page(request, read_uow, number, credential=issued.credential)


@router.get("/sync-reports")
def sync_reports(request: Request, _admin: AdminPageDep, uow: ReadUnitOfWorkDep) -> Response:
    """The sync report of every reintegration (R3.3), newest first."""
    records = handlers.list_sync_reports(uow=uow, till_number=None)
    return render(request, "sync_reports.html", records=records)


@router.get("/sync-reports/{report_id}")
def sync_report(
    request: Request, report_id: UUID, _admin: AdminPageDep, uow: ReadUnitOfWorkDep
) -> Response:
    """One sync report: its sections, each merged table as the server holds it now (its OFF
    lines marked), and the report as the till printed it."""
    report = handlers.get_sync_report(uow=uow, report_id=str(report_id))
    merged = [handlers.get_ticket(uow=uow, ticket_id=m.into_ticket_id) for m in report.merged]
    return render(
        request,
        "sync_report.html",
        report=report,
        merged=merged,
        printed=sync_report_text(report, STORE_HEADER),
    )


def _till_page(
    request: Request,
    uow: SqlUnitOfWork,
    number: int,
    *,
    status_code: int = 200,
    saved: bool = False,
    problems: list[str] | None = None,
    typed: dict[str, Any] | None = None,
    credential: str | None = None,
) -> Response:
    history = handlers.till_history(uow=uow, number=number, limit=HISTORY_LENGTH)
    refused = history.till.last_refusal if history.till else None
    quiet = quiet_for(history.till.reported_at, datetime.now(UTC)) if history.till else None
    limits = StationSettingsPublic.model_json_schema()["properties"]["auto_return_s"]
    return render(
        request,
        "till.html",
        status_code,
        history=history,
        quiet=quiet,
        form=typed or history.station_settings.model_dump(),
        limits=limits,
        labels=SETTING_LABELS,
        saved=saved,
        problems=problems or [],
        history_length=HISTORY_LENGTH,
        refusal=PushRefusalPublic.of(refused) if refused else None,
        credential=credential,
    )
