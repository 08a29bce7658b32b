"""The till's part of the error boundary (``autonom.web.errors`` answers everything else):
the JSON API answers an ``ErrorBody``, the page shows the message in its alert area or on
its error page, and "log in first" is the login screen. The server not answering a call
the cashier asked for is a 503 with SERVER_UNREACHABLE."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from autonom.domain import Refusal
from autonom.domain.errors import NOT_LOGGED_IN, SERVER_UNREACHABLE
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.entrypoints.sessions import Alert
from autonom.web import PageRenderer
from autonom.web import install_error_handlers as install_shared_handlers

API_PREFIX = "/api"

log = structlog.get_logger(__name__)


def server_unreachable(error: Exception) -> Refusal:
    """A call the cashier asked for (e.g. refresh master data) that needs the server."""
    return Refusal(
        SERVER_UNREACHABLE,
        f"The server cannot be reached ({error}). Selling goes on from this till's own data; "
        "try again when the network is back.",
        503,
    )


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    """Answer every error of ``app``: JSON under ``/api``, the page's alert elsewhere."""
    install_shared_handlers(
        app,
        place="till",
        internal_message="Something went wrong on this till; it has been logged. What was "
        "saved before stays saved — try again, and call support if it happens again.",
        render_page=_page_renderer(templates),
        translators={ServerUnreachable: server_unreachable},
    )


def _page_renderer(templates: Jinja2Templates) -> PageRenderer:
    def render(request: Request, status: int, code: str, message: str) -> Response | None:
        if is_api(request):
            return None
        if code == NOT_LOGGED_IN:
            # The page's way to say "log in first" is the login screen itself.
            return Response(status_code=303, headers={"Location": "/login"})
        alert = Alert("error", message, code)
        if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
            # A fragment request (search, status line): show the alert, keep the page.
            headers = {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"}
            return templates.TemplateResponse(
                request, "_alerts.html", {"alerts": [alert]}, status, headers
            )
        return templates.TemplateResponse(
            request, "error.html", {"alerts": [alert], **_page_context(request)}, status
        )

    return render


def _page_context(request: Request) -> dict[str, Any]:
    """The status line for the error page, if the till can still say it (a storage
    failure may be why we are here: then the page shows the alert alone)."""
    till = getattr(request.app.state, "till", None)
    if till is None:
        return {}
    try:
        status = till.selling.status()  # the status line's one call (R2.7)
    except Exception:
        log.warning("status unavailable for the error page", exc_info=True)
        return {"till": till}
    return {"till": till, "status": status}
