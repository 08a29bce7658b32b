"""Dependencies as ``Annotated`` aliases, so routes stay short: the server's context, a
unit of work, and who is calling (a till, the back office, or either; the back-office
page proves itself with the admin token in a cookie)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from autonom.contracts.fields import PathTillNumber
from autonom.domain import Refusal
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.entrypoints.errors import ADMIN_REQUIRED
from autonom.server.service_layer import authenticate_till, check_same_till, secrets_match
from autonom.server.settings import ServerSettings


@dataclass(frozen=True)
class ServerContext:
    """What every request needs: the settings, the engine and the back office's token."""

    settings: ServerSettings
    engine: Engine
    admin_token: str


@dataclass(frozen=True)
class Caller:
    """Who made a request: a till (its number) or the back office (``till_number`` None)."""

    till_number: int | None

    @property
    def is_admin(self) -> bool:
        return self.till_number is None


def get_context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context


ContextDep = Annotated[ServerContext, Depends(get_context)]


def get_uow(context: ContextDep) -> SqlUnitOfWork:
    return SqlUnitOfWork(context.engine, context.settings.store_id)


def get_read_uow(context: ContextDep) -> SqlUnitOfWork:
    return SqlUnitOfWork(context.engine, context.settings.store_id, write=False)


UnitOfWorkDep = Annotated[SqlUnitOfWork, Depends(get_uow)]
ReadUnitOfWorkDep = Annotated[SqlUnitOfWork, Depends(get_read_uow)]

_bearer = HTTPBearer(auto_error=False, description="A till's credential or the admin token")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# The back-office page's cookie: the admin token itself, httponly and samesite=strict.
ADMIN_COOKIE = "autonom_admin"
AdminCookieDep = Annotated[str | None, Cookie(alias=ADMIN_COOKIE)]


def _is_admin_token(context: ServerContext, bearer: HTTPAuthorizationCredentials | None) -> bool:
    return secrets_match(bearer.credentials if bearer else None, context.admin_token)


def get_admin(context: ContextDep, bearer: BearerDep) -> Caller:
    if not _is_admin_token(context, bearer):
        raise Refusal(
            ADMIN_REQUIRED,
            "This needs the back office's token (Authorization: Bearer <admin token>).",
            status=401,
        )
    return Caller(till_number=None)


def get_page_admin(context: ContextDep, token: AdminCookieDep = None) -> Caller:
    """The back office at its page; without a valid cookie the page answers with its login."""
    if not secrets_match(token, context.admin_token):
        raise Refusal(ADMIN_REQUIRED, "Log in to the back office with the admin token.", status=401)
    return Caller(till_number=None)


def get_caller(context: ContextDep, bearer: BearerDep, uow: ReadUnitOfWorkDep) -> Caller:
    if _is_admin_token(context, bearer):
        return Caller(till_number=None)
    credential = bearer.credentials if bearer else None
    return Caller(till_number=authenticate_till(uow=uow, credential=credential))


def get_calling_till(bearer: BearerDep, uow: ReadUnitOfWorkDep) -> int:
    """The till calling, proven by its credential (401 BAD_CREDENTIAL); for till routes
    without a till number in the path."""
    return authenticate_till(uow=uow, credential=bearer.credentials if bearer else None)


def get_till(number: PathTillNumber, bearer: BearerDep, uow: ReadUnitOfWorkDep) -> int:
    """The till of the path, proven by its own credential (401 BAD_CREDENTIAL, 403 WRONG_TILL)."""
    credential = bearer.credentials if bearer else None
    authenticated = authenticate_till(uow=uow, credential=credential)
    check_same_till(authenticated=authenticated, path_number=number)
    return number


AdminDep = Annotated[Caller, Depends(get_admin)]
AdminPageDep = Annotated[Caller, Depends(get_page_admin)]
CallerDep = Annotated[Caller, Depends(get_caller)]
TillDep = Annotated[int, Depends(get_till)]
CallingTillDep = Annotated[int, Depends(get_calling_till)]
