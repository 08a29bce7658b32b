"""One family of error answers for the server and the till (invariant 7): an API client
gets an ``ErrorBody`` with a code and a message, a person at a page gets what the part's
``render_page`` makes of it, and a traceback only ever reaches the log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from autonom.contracts import ErrorBody
from autonom.domain import Refusal
from autonom.domain.errors import (
    BODY_TOO_LARGE,
    INTERNAL,
    INVALID_INPUT,
    MALFORMED_JSON,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
)

log = structlog.get_logger(__name__)

PageRenderer = Callable[[Request, int, str, str], Response | None]
"""Renders an error as the part's page for a request of a page, or None for an API request,
which gets the ``ErrorBody``."""

Translators = Mapping[type[Exception], Callable[[Exception], Refusal]]
"""A part's own exceptions (its database down, its server unreachable) as the refusal a
client reads."""


def error_response(
    status: int, code: str, message: str, detail: dict[str, Any] | None = None
) -> JSONResponse:
    """The ``ErrorBody`` answer of an API request."""
    body = ErrorBody(code=code, message=message, detail=detail)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status)


def install_error_handlers(
    app: FastAPI,
    *,
    place: str,
    internal_message: str,
    render_page: PageRenderer | None = None,
    translators: Translators | None = None,
) -> None:
    """Answer every error of ``app``. ``place`` names the app in messages ("server",
    "till"); ``internal_message`` is what a person reads after an unexpected error."""

    def answer(
        request: Request, status: int, code: str, message: str, detail: dict[str, Any] | None = None
    ) -> Response:
        page = render_page(request, status, code, message) if render_page else None
        return page if page is not None else error_response(status, code, message, detail)

    async def refusal(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return answer(request, exc.status, exc.code, exc.message, exc.detail)

    def translated(translate: Callable[[Exception], Refusal]) -> Callable[..., Any]:
        async def handler(request: Request, exc: Exception) -> Response:
            return await refusal(request, translate(exc))

        return handler

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        broken = next((e for e in errors if e.get("type") == "json_invalid"), None)
        if broken is not None:
            reason = broken.get("ctx", {}).get("error", "it cannot be parsed")
            return answer(
                request, 400, MALFORMED_JSON, f"The request body is not valid JSON: {reason}."
            )
        problems = [
            {"field": _field(e.get("loc", ())), "problem": str(e.get("msg", "is not valid"))}
            for e in errors
        ]
        message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        return answer(request, 422, INVALID_INPUT, message, {"errors": problems})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        path = request.url.path
        if exc.status_code == 404:
            return answer(request, 404, NOT_FOUND, f"There is no {path} on this {place}.")
        if exc.status_code == 405:
            return answer(
                request, 405, METHOD_NOT_ALLOWED, f"{request.method} is not allowed on {path}."
            )
        if exc.status_code == 413:
            return answer(request, 413, BODY_TOO_LARGE, str(exc.detail))
        return answer(request, exc.status_code, f"HTTP_{exc.status_code}", str(exc.detail))

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", path=request.url.path, method=request.method)
        return answer(request, 500, INTERNAL, internal_message)

    app.add_exception_handler(Refusal, refusal)
    for kind, translate in (translators or {}).items():
        app.add_exception_handler(kind, translated(translate))
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _field(location: Any) -> str:
    """``("body", "operations", 0, "seq")`` → ``operations.0.seq``; a bare body is ``body``."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in {"body", "path", "query", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "request"
