"""Logging in and out: the operators, the PIN pad."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from autonom.domain import Refusal
from autonom.till.entrypoints.deps import (
    SESSION_COOKIE,
    OptionalPageSessionDep,
    SessionsDep,
    TillDep,
)
from autonom.till.entrypoints.pages.rendering import Text, refused, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(session: OptionalPageSessionDep) -> Response:
    return RedirectResponse("/tickets" if session else "/login", status_code=303)


@router.get("/login")
def login_screen(
    request: Request, till: TillDep, sessions: SessionsDep, session: OptionalPageSessionDep
) -> Response:
    operators = till.selling.operators()
    return render(request, "login.html", till, sessions, session, operators=operators)


@router.get("/login/{operator_number}")
def pin_screen(
    request: Request,
    operator_number: int,
    till: TillDep,
    sessions: SessionsDep,
    session: OptionalPageSessionDep,
) -> Response:
    operator = till.selling.operator(operator_number)
    return render(request, "pin.html", till, sessions, session, operator=operator)


@router.post("/login/{operator_number}")
def log_in(
    request: Request,
    operator_number: int,
    till: TillDep,
    sessions: SessionsDep,
    session: OptionalPageSessionDep,
    pin: Text = "",
) -> Response:
    try:
        operator = till.selling.log_in(operator_number, pin)
    except Refusal as refusal:
        return render(
            request,
            "pin.html",
            till,
            sessions,
            session,
            status_code=refusal.status,
            alerts=[refused(refusal)],
            operator=till.selling.operator(operator_number),
        )
    if session is not None:
        sessions.log_out(session.token)  # one operator per page: switching logs out
    new = sessions.log_in(operator)
    response = RedirectResponse("/tickets", status_code=303)
    response.set_cookie(SESSION_COOKIE, new.token, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def log_out(sessions: SessionsDep, session: OptionalPageSessionDep) -> Response:
    if session is not None:
        sessions.log_out(session.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
