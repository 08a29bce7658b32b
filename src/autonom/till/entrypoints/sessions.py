"""Who is logged in on this till: a random token per login, kept in memory only.

A restart of the till logs everyone out, which is what a cashier expects of a till that
was switched off; nothing fiscal depends on a session. The page carries the token in a
cookie, the JSON API in ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Literal

from autonom.domain import Operator, Refusal
from autonom.domain.errors import NOT_LOGGED_IN

AlertLevel = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Alert:
    """A message for the cashier: what happened and, for a refusal, its code."""

    level: AlertLevel
    message: str
    code: str | None = None


@dataclass
class Session:
    token: str
    operator_number: int
    operator_name: str
    # Shown once on the next page (post/redirect/get), then gone.
    alerts: list[Alert] = field(default_factory=list)


class Sessions:
    """The logged-in operators of this till, by token; safe to share between threads."""

    def __init__(self) -> None:
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def log_in(self, operator: Operator) -> Session:
        session = Session(secrets.token_urlsafe(24), operator.number, operator.name)
        with self._lock:
            self._by_token[session.token] = session
        return session

    def log_out(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._by_token.pop(token, None)

    def find(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            return self._by_token.get(token)

    def require(self, token: str | None) -> Session:
        """The session of ``token``, or 401 NOT_LOGGED_IN."""
        session = self.find(token)
        if session is None:
            raise Refusal(NOT_LOGGED_IN, "Log in with your operator number and PIN first.", 401)
        return session

    def flash(self, session: Session, alert: Alert) -> None:
        with self._lock:
            session.alerts.append(alert)

    def take_alerts(self, session: Session) -> list[Alert]:
        with self._lock:
            alerts, session.alerts = session.alerts, []
        return alerts
