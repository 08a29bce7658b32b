"""Dependencies as ``Annotated`` aliases, so routes stay short: the till, the sessions, and
the logged-in operator (by bearer token for the API, by cookie for the page)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Cookie, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from autonom.till.bootstrap import Till
from autonom.till.entrypoints.sessions import Session, Sessions

SESSION_COOKIE = "till_session"


def get_till(request: Request) -> Till:
    till: Till = request.app.state.till
    return till


def get_sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


TillDep = Annotated[Till, Depends(get_till)]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]

_bearer = HTTPBearer(auto_error=False, description="the token from POST /api/login")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
CookieDep = Annotated[str | None, Cookie(alias=SESSION_COOKIE)]


def api_session(sessions: SessionsDep, bearer: BearerDep) -> Session:
    """The operator calling the API (401 NOT_LOGGED_IN without a valid token)."""
    return sessions.require(bearer.credentials if bearer else None)


def page_session(sessions: SessionsDep, token: CookieDep = None) -> Session:
    """The operator at the page (the login screen without a valid cookie)."""
    return sessions.require(token)


def optional_page_session(sessions: SessionsDep, token: CookieDep = None) -> Session | None:
    return sessions.find(token)


ApiSessionDep = Annotated[Session, Depends(api_session)]
PageSessionDep = Annotated[Session, Depends(page_session)]
OptionalPageSessionDep = Annotated[Session | None, Depends(optional_page_session)]
