"""The cashier page (FastAPI + Jinja2 + htmx) and the JSON API of one till: ``create_app``.

Screens: log in (operator, PIN pad), open tickets and tables, the ticket (search, item
buttons, lines with void), pay (cash with change, card), the receipt (print), today's
receipts and the unsent documents — one router per family in ``pages/``. Every POST
answers with a redirect (post/redirect/get); a refusal comes back as an alert on the screen
the cashier was on, never a traceback. htmx is served from this till (``static/``): the
page loads nothing from the internet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from autonom import __version__
from autonom.till.bootstrap import Till
from autonom.till.entrypoints import (
    api,
    api_card_payments,
    api_gate,
    api_reports,
    api_server_functions,
    api_tables,
)
from autonom.till.entrypoints.errors import install_error_handlers
from autonom.till.entrypoints.pages import ROUTERS
from autonom.till.entrypoints.pages.rendering import templates
from autonom.till.entrypoints.sessions import Sessions
from autonom.web import BodyLimit

HERE = Path(__file__).parent


def create_app(till: Till) -> FastAPI:
    """The till's web application: the cashier page and ``/api``. The caller starts and
    stops the till's background threads (``Till.start``/``stop``)."""

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
    app.include_router(api_reports.router)
    app.include_router(api_tables.router)
    app.include_router(api_gate.router)
    app.include_router(api_server_functions.router)
    app.include_router(api_card_payments.router)
    for router in ROUTERS:
        app.include_router(router)
    return app


__all__ = ["create_app"]
