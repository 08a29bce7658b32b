"""Every push the server refuses is kept for the back office (issue 9, point 1): whichever
layer refused it — the body limit, validation, the credential, the push's rules — the
answer is a 4xx ``ErrorBody``, and this middleware hands its code and message to the
service layer (``record_push_refusal``) before the till gets the answer. It parses and
calls; the rule of what is kept is the handler's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import structlog
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

PUSH_PATH = re.compile(r"/api/v1/tills/([0-9]{1,3})/operations")

Record = Callable[[int, str, str], None]
"""Keeps a refusal: the till's number, the code, the message."""


class PushRefusals:
    """ASGI middleware: the 4xx answer of a push, recorded before it is sent."""

    def __init__(self, app: ASGIApp, record: Record) -> None:
        self.app = app
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = PUSH_PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        if path is None or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        till_number = int(path.group(1))
        held: list[Message] = []

        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start" and not 400 <= message["status"] < 500:
                held.clear()
            elif message["type"] == "http.response.start":
                held.append(message)
                return
            if held and message["type"] == "http.response.body":
                held.append(message)
                if message.get("more_body", False):
                    return
                await self._keep(till_number, held)
                for kept in held:
                    await send(kept)
                held.clear()
                return
            await send(message)

        await self.app(scope, receive, watching)

    async def _keep(self, till_number: int, messages: list[Message]) -> None:
        body = b"".join(m.get("body", b"") for m in messages[1:])
        try:
            error = json.loads(body)
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            return  # not an ErrorBody: nothing a person could act on
        try:
            await to_thread.run_sync(self.record, till_number, code, message)
        except Exception:  # keeping it must never change the answer the till gets
            log.exception("push refusal not kept", till=till_number, code=code)
