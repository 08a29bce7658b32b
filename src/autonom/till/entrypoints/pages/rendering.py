"""What every screen of the cashier page shares: the templates, rendering a screen with
the status line and the alerts, redirecting back with an alert, and the form's text."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from autonom.domain import Refusal, errors
from autonom.till.bootstrap import Till
from autonom.till.entrypoints.sessions import Alert, Session, Sessions
from autonom.till.service_layer.status import StatusLine
from autonom.web import templates_for

TEMPLATES = Path(__file__).parent.parent / "templates"

# Shown with the refusal's own message: what the cashier can do about it.
WHAT_TO_DO = {
    errors.STORAGE_FAILED: "Do not hand out goods for this step; call support.",
    errors.NO_MASTER_DATA: "Check the network cable and that the server is running.",
    errors.UNKNOWN_ITEM: "Search the item by its name, or refresh the master data.",
    errors.WRONG_PIN: "Type the PIN again; a manager can reset it on the server.",
    errors.UNDERPAID: "Take the rest of the amount, or add a card payment.",
}

Text = Annotated[str, Form()]


def status_fingerprint(status: StatusLine, session: Session | None) -> str:
    """A short fingerprint of what the status line shows. The page polls the line with the
    fingerprint it has; an unchanged line is answered 204 and left in place, so a button
    under the cashier's finger is not replaced mid-tap."""
    who = None if session is None else (session.operator_number, session.operator_name)
    return hashlib.blake2b(repr((status, who)).encode(), digest_size=8).hexdigest()


templates = templates_for(TEMPLATES, filters={"fingerprint": status_fingerprint})


def render(
    request: Request,
    name: str,
    till: Till,
    sessions: Sessions,
    session: Session | None,
    status_code: int = 200,
    alerts: list[Alert] | None = None,
    **context: Any,
) -> Response:
    """A whole screen: the status line, the session's pending alerts and ``alerts``."""
    shown = (sessions.take_alerts(session) if session else []) + (alerts or [])
    return templates.TemplateResponse(
        request,
        name,
        {
            "till": till,
            "status": till.selling.status(),
            "session": session,
            "alerts": shown,
            "what_to_do": WHAT_TO_DO,
            "here": request.url.path,
            **context,
        },
        status_code,
    )


def back_to(
    path: str, sessions: Sessions, session: Session, alert: Alert | None = None
) -> Response:
    """Redirect to ``path`` (post/redirect/get), with ``alert`` shown there once."""
    if alert is not None:
        sessions.flash(session, alert)
    return RedirectResponse(path, status_code=303)


def refused(refusal: Refusal) -> Alert:
    return Alert("error", refusal.message, refusal.code)


def local(path: str) -> str:
    """A path on this till to go back to; anything else (another site) goes home."""
    return path if path.startswith("/") and not path.startswith("//") else "/"
