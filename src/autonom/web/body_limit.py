"""No request body above ``MAX_BODY_BYTES`` reaches a route: ``413 BODY_TOO_LARGE`` before
a byte is parsed, whether the client states its length or streams it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from autonom.contracts.sync import MAX_BATCH
from autonom.domain.errors import BODY_TOO_LARGE
from autonom.web.errors import error_response

# The largest legitimate body is a full push batch: MAX_BATCH operations of at most about
# 4 KB each (a closed ticket with every tax line and tender, every text at its limit) is
# 2 MB; twice that leaves room, and a 10 MB body never gets parsed.
MAX_OPERATION_BYTES = 4 * 1024
MAX_BODY_BYTES = 2 * MAX_BATCH * MAX_OPERATION_BYTES

MESSAGE = f"The request body is larger than the {MAX_BODY_BYTES} bytes this service accepts."


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; the error handlers answer it as BODY_TOO_LARGE."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=MESSAGE)


class BodyLimit:
    """ASGI middleware: refuse a stated ``Content-Length`` above the limit at once, and stop
    reading a body (chunked or lying about its length) as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stated = Headers(scope=scope).get("content-length", "")
        if stated.isdigit() and int(stated) > self.max_bytes:
            await _too_large(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await error_response(413, BODY_TOO_LARGE, MESSAGE)(scope, receive, send)
