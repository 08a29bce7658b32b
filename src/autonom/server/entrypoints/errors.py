"""The server's part of the error boundary (``autonom.web.errors`` answers everything
else): its database not answering is a 503 a till can wait out, and the back-office page
shows errors as its own error screen (``back_office_page.page_error``)."""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import OperationalError

from autonom.domain import Refusal
from autonom.domain.errors import ADMIN_REQUIRED as ADMIN_REQUIRED
from autonom.domain.errors import DATABASE_UNAVAILABLE
from autonom.web import PageRenderer
from autonom.web import install_error_handlers as install_shared_handlers

log = structlog.get_logger(__name__)


def database_unavailable(error: Exception) -> Refusal:
    """The database does not answer (down, restarting, out of connections)."""
    log.warning("database unavailable", error=str(error).splitlines()[0])
    return Refusal(
        DATABASE_UNAVAILABLE, "The server's database does not answer; try again shortly.", 503
    )


def install_error_handlers(app: FastAPI, *, page_errors: PageRenderer | None = None) -> None:
    """Answer every error of the server as an ``ErrorBody``, or as ``page_errors`` renders it."""
    install_shared_handlers(
        app,
        place="server",
        internal_message="Something went wrong on the server. It has been logged; try again.",
        render_page=page_errors,
        translators={OperationalError: database_unavailable},
    )
