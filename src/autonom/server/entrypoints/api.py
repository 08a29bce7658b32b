"""The server's web application: ``create_app(settings)`` opens and migrates the database
and mounts every route under ``/api/v1`` (OpenAPI at ``/docs`` and ``/openapi.json``) and
the back-office page under ``/back-office``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import structlog
from fastapi import FastAPI

import autonom
from autonom.server import service_layer as handlers
from autonom.server.adapters import SqlUnitOfWork, prepare_database
from autonom.server.entrypoints import (
    back_office_page,
    back_office_routes,
    card_payment_routes,
    server_functions_routes,
    till_routes,
)
from autonom.server.entrypoints.deps import ServerContext
from autonom.server.entrypoints.errors import install_error_handlers
from autonom.server.entrypoints.push_refusals import PushRefusals
from autonom.server.settings import ServerSettings
from autonom.web import BodyLimit

API_PREFIX = "/api/v1"

log = structlog.get_logger(__name__)


def create_app(settings: ServerSettings) -> FastAPI:
    """Build the server for ``settings``; the database is migrated to head first."""
    engine = prepare_database(settings.db_url, settings.store_id)
    admin_token = settings.admin_token
    if admin_token is None:
        # Generated and shown by ``autonom server`` only: a token must never reach a log.
        raise ValueError("create_app needs settings.admin_token; autonom server makes one")

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("server ready", store_id=settings.store_id, database=engine.url.get_backend_name())
        yield
        engine.dispose()

    app = FastAPI(
        title="Autonom server",
        summary="The store's server: master data, shared tickets and the push of till logs.",
        version=autonom.__version__,
        lifespan=lifespan,
    )
    app.state.context = ServerContext(settings=settings, engine=engine, admin_token=admin_token)
    install_error_handlers(app, page_errors=back_office_page.page_error)
    app.add_middleware(BodyLimit)

    def record(till_number: int, code: str, message: str) -> None:
        handlers.record_push_refusal(
            uow=SqlUnitOfWork(engine, settings.store_id),
            till_number=till_number,
            code=code,
            message=message,
            now=datetime.now(UTC),
        )

    # Outside the body limit: its 413 is a refused push too.
    app.add_middleware(PushRefusals, record=record)
    app.include_router(till_routes.router, prefix=API_PREFIX)
    app.include_router(back_office_routes.router, prefix=API_PREFIX)
    app.include_router(server_functions_routes.router, prefix=API_PREFIX)
    app.include_router(card_payment_routes.router, prefix=API_PREFIX)
    app.include_router(back_office_page.router)
    return app
