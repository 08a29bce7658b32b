"""The one family of error answers: every failure reaches a client as an ``ErrorBody``
with a code and a message (invariant 7), or a person at the back-office page as that
page's error screen; a traceback only ever reaches the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from autonom.contracts import ErrorBody
from autonom.domain import Refusal

# Codes of the HTTP boundary; the domain's own codes are in autonom.domain.errors.
INVALID_INPUT = "INVALID_INPUT"
MALFORMED_JSON = "MALFORMED_JSON"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
ADMIN_REQUIRED = "ADMIN_REQUIRED"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
INTERNAL = "INTERNAL"

log = structlog.get_logger(__name__)


def error_response(
    status: int, code: str, message: str, detail: dict[str, Any] | None = None
) -> JSONResponse:
    body = ErrorBody(code=code, message=message, detail=detail)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


# Renders an error as a page for a request of a web page (the back office), or None
# for an API request, which gets the ErrorBody.
PageErrors = Callable[[Request, int, str, str], Response | None]


def install_error_handlers(app: FastAPI, *, page_errors: PageErrors | None = None) -> None:
    """Answer every error of ``app`` as an ``ErrorBody``, or as ``page_errors`` renders it."""

    def answer(
        request: Request, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> Response:
        page = page_errors(request, status, code, message) if page_errors else None
        return page if page is not None else error_response(status, code, message, detail)

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return answer(request, exc.status, exc.code, exc.message, exc.detail)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
        if broken is not None:
            reason = broken.get("ctx", {}).get("error", "it cannot be parsed")
            message = f"The request body is not valid JSON: {reason}."
            return answer(request, 400, MALFORMED_JSON, message)
        problems = [
            {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", "is not valid"))}
            for e in errors
        ]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        return answer(request, 422, INVALID_INPUT, message, {"errors": problems})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return answer(
                request, 404, NOT_FOUND, f"There is no {request.url.path} on this server."
            )
        if exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
            return answer(request, 405, METHOD_NOT_ALLOWED, message)
        return answer(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc.detail))

    async def database_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", path=request.url.path, error=str(exc).splitlines()[0])
        return answer(
            request,
            503,
            DATABASE_UNAVAILABLE,
            "The server's database does not answer; try again shortly.",
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", path=request.url.path, method=request.method)
        return answer(
            request,
            500,
            INTERNAL,
            "Something went wrong on the server. It has been logged; try again.",
        )

    app.add_exception_handler(Refusal, refusal)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(OperationalError, database_down)
    app.add_exception_handler(Exception, unexpected)


def _field(location: Any) -> str:
    """``("body", "operations", 0, "seq")`` → ``operations.0.seq``; a bare body is ``body``."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in {"body", "path", "query", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "request"
