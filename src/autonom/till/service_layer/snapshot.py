"""Registration with the server and the master-data snapshot (R2.2).

On first start the till registers (with the enrolment code, if the store uses one) and
keeps its credential in its own database. The snapshot is fetched at start, every 60 s and
on demand; with the server gone the till sells from the snapshot it has. All of this runs
in a background thread: nothing here ever holds up a sale.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from autonom.contracts import MasterData, TillRegistered, TillRegistration
from autonom.domain import Operator, Refusal, Role, errors
from autonom.till.adapters.repository import to_text
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.store import TillStore
from autonom.till.adapters.unit_of_work import Clock
from autonom.till.service_layer.unit_of_work import TillUnitOfWork

log = structlog.get_logger(__name__)

REFRESH_INTERVAL = 60.0
REGISTER_RETRY = 2.0


class MasterDataFeed(Protocol):
    """Where the snapshot comes from (``ServerLink``)."""

    def master_data(self) -> MasterData: ...


class Enrolment(Protocol):
    """Where a till registers (``ServerLink``); the credential is kept on it for later calls."""

    credential: str | None

    def register(self, registration: TillRegistration) -> TillRegistered: ...


class MasterDataSource(MasterDataFeed, Enrolment, Protocol):
    """The server side of registration and master data together."""


def register_till(
    store: TillStore,
    link: Enrolment,
    *,
    clock: Clock,
    enrolment_code: str | None,
    name: str = "",
) -> str:
    """Return the till's credential: the stored one, else a new one from the server (saved
    before it is used). Raises ServerUnreachable, or Refusal (e.g. TILL_TAKEN)."""
    credential = store.credential()
    if credential is None:
        # The log id makes a second registration of this database (its first answer lost)
        # get a fresh credential instead of TILL_TAKEN.
        registered = link.register(
            TillRegistration(name=name, enrolment_code=enrolment_code, log_id=store.log_id())
        )
        credential = registered.credential
        store.save_credential(credential, to_text(clock()))
        log.info("till registered", till_number=store.till_number)
    link.credential = credential
    return credential


# A credential as the server issues it (43 characters of URL-safe base64); a little room.
CREDENTIAL = re.compile(r"[A-Za-z0-9_-]{20,200}")
MAY_INSTALL_CREDENTIALS = frozenset({Role.MANAGER, Role.ADMIN})


def install_credential(
    store: TillStore, link: Enrolment, *, operator: Operator, credential: str, clock: Clock
) -> None:
    """Install the credential the back office issued to this till (a replaced or restored
    till, issue 9): a manager's action. Kept durably before it is used; from then on the
    till's pushes carry it, and its log continues as a new log on the server."""
    if operator.role not in MAY_INSTALL_CREDENTIALS:
        raise Refusal(
            errors.NOT_ALLOWED,
            f"{operator.name} may not install a credential: a manager does.",
            status=403,
        )
    credential = credential.strip()
    if not CREDENTIAL.fullmatch(credential):
        raise Refusal(
            errors.INVALID_INPUT,
            "That is not a credential: copy the whole of it from the back office (till's "
            "page, New credential), 43 letters, digits, - and _.",
            status=422,
        )
    store.save_credential(credential, to_text(clock()))
    link.credential = credential
    log.info("credential installed", till_number=store.till_number, operator=operator.number)


def refresh_master_data(uow: TillUnitOfWork, link: MasterDataFeed) -> int:
    """Fetch the server's master data and replace the snapshot; return its version."""
    master = link.master_data()  # fetched outside the transaction: sales go on meanwhile
    with uow:
        uow.master_data.replace(master, fetched_at=uow.now())
        uow.commit()
    log.info("master data refreshed", version=master.version, items=len(master.items))
    return master.version


@dataclass(frozen=True)
class LinkState:
    """What the page says about registration and the snapshot."""

    registered: bool
    problem: str | None


class SnapshotKeeper:
    """The background thread that registers the till and keeps the snapshot fresh."""

    def __init__(
        self,
        store: TillStore,
        link: MasterDataSource,
        unit_of_work: Callable[[], TillUnitOfWork],
        *,
        clock: Clock,
        enrolment_code: str | None,
        name: str = "",
        interval: float = REFRESH_INTERVAL,
        on_registered: Callable[[], None] | None = None,
        on_credential_installed: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._link = link
        self._unit_of_work = unit_of_work
        self._clock = clock
        self._enrolment_code = enrolment_code
        self._name = name
        self._interval = interval
        self._on_registered = on_registered
        self._on_credential_installed = on_credential_installed
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._problem: str | None = None
        self._registered = store.credential() is not None
        if self._registered:
            link.credential = store.credential()

    def state(self) -> LinkState:
        return LinkState(registered=self._registered, problem=self._problem)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="snapshot", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def install_credential(self, operator: Operator, credential: str) -> None:
        """A manager installs the credential the back office issued (``install_credential``);
        a push the server refused is tried again at once."""
        install_credential(
            self._store, self._link, operator=operator, credential=credential, clock=self._clock
        )
        self._registered = True
        self._problem = None
        if self._on_credential_installed is not None:
            self._on_credential_installed()

    def refresh_now(self) -> int:
        """Register if needed and refresh the snapshot at once (the page's button).
        Raises ServerUnreachable or Refusal for the page to show."""
        try:
            self._ensure_registered()
            version = refresh_master_data(self._unit_of_work(), self._link)
        except (ServerUnreachable, Refusal) as error:
            self._problem = _describe(error)
            raise
        self._problem = None
        return version

    def _ensure_registered(self) -> None:
        if not self._registered:
            register_till(
                self._store,
                self._link,
                clock=self._clock,
                enrolment_code=self._enrolment_code,
                name=self._name,
            )
            self._registered = True
            if self._on_registered is not None:
                self._on_registered()  # the uploader may push from now on

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.refresh_now()
                wait = self._interval
            except (ServerUnreachable, Refusal) as error:
                log.warning("server link problem", problem=_describe(error))
                wait = REGISTER_RETRY if not self._registered else min(self._interval, 10.0)
            except Exception:  # a bug must not end the thread
                log.exception("snapshot refresh failed")
                wait = self._interval
            self._wake.wait(wait)


def _describe(error: ServerUnreachable | Refusal) -> str:
    if isinstance(error, Refusal):
        return f"the server refused: {error.message} ({error.code})"
    return f"the server is not reachable ({error}); retrying"
