"""Every failure reaches the cashier or a client as a clear message (invariant 7): the JSON
API answers an ``ErrorBody``, the page shows the message in its alert area. A traceback
only ever reaches the log."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from autonom.contracts import ErrorBody
from autonom.domain import Refusal
from autonom.domain.errors import NOT_LOGGED_IN
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.entrypoints.sessions import Alert

# Codes of the till's HTTP boundary; the rules' own codes are in autonom.domain.errors.
INVALID_INPUT = "INVALID_INPUT"
MALFORMED_JSON = "MALFORMED_JSON"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
SERVER_UNREACHABLE = "SERVER_UNREACHABLE"
INTERNAL = "INTERNAL"

API_PREFIX = "/api"

log = structlog.get_logger(__name__)


def server_unreachable(error: ServerUnreachable) -> Refusal:
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
    """Answer every error of ``app``: JSON under ``/api``, the error page elsewhere."""

    def answer(
        request: Request, status: int, code: str, message: str, detail: Any = None
    ) -> Response:
        if is_api(request):
            body = ErrorBody(code=code, message=message, detail=detail)
            return JSONResponse(body.model_dump(mode="json", exclude_none=True), status)
        if code == NOT_LOGGED_IN:
            # The page's way to say "log in first" is the login screen itself.
            return Response(status_code=303, headers={"Location": "/login"})
        alert = Alert("error", message, code)
        headers = {}
        if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
            # A fragment request (search, status line): show the alert, keep the page.
            headers = {"HX-Retarget": "#alerts", "HX-Reswap": "innerHTML"}
            return templates.TemplateResponse(
                request, "_alerts.html", {"alerts": [alert]}, status, headers
            )
        return templates.TemplateResponse(
            request, "error.html", {"alerts": [alert], **_page_context(request)}, status
        )

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return answer(request, exc.status, exc.code, exc.message, exc.detail)

    async def unreachable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServerUnreachable)
        refused = server_unreachable(exc)
        return answer(request, refused.status, refused.code, refused.message)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return answer(request, 400, MALFORMED_JSON, "The request body is not valid JSON.")
        problems = [
            {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", "is not valid"))}
            for e in errors
        ]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        return answer(request, 422, INVALID_INPUT, message, {"errors": problems})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return answer(request, 404, NOT_FOUND, f"There is no {request.url.path} on this till.")
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
            return answer(request, 405, METHOD_NOT_ALLOWED, message)
        return answer(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc.detail))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", path=request.url.path, method=request.method)
        return answer(
            request,
            500,
            INTERNAL,
            "Something went wrong on this till; it has been logged. What was saved before "
            "stays saved — try again, and call support if it happens again.",
        )

    app.add_exception_handler(Refusal, refusal)
    app.add_exception_handler(ServerUnreachable, unreachable)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _page_context(request: Request) -> dict[str, Any]:
    """The status line for the error page, if the till can still say it (a storage
    failure may be why we are here: then the page shows the alert alone)."""
    till = getattr(request.app.state, "till", None)
    if till is None:
        return {}
    try:
        return {"till": till, "status": till.selling.status()}
    except Exception:
        log.warning("status unavailable for the error page", exc_info=True)
        return {"till": till}


def _field(location: Any) -> str:
    """``("body", "tenders", 0, "amount")`` → ``tenders.0.amount``."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in {"body", "path", "query", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "request"
