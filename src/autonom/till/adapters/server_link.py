"""The till's link to the server: the one HTTP client (httpx) and the one error boundary.

A network failure of any kind (refused, reset, timed out, a 5xx of a server in trouble)
becomes ``ServerUnreachable``: the caller retries later. A 4xx is the server saying no and
becomes a ``Refusal`` carrying the server's own code, message and detail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from autonom.contracts import (
    SYNC_REPORT,
    ErrorBody,
    GateScanIn,
    GateScanPublic,
    HeartbeatAck,
    HeartbeatReport,
    MasterData,
    PushBatch,
    PushResult,
    SyncReportRequest,
    TicketPublic,
    TillPosition,
    TillRegistered,
    TillRegistration,
)
from autonom.contracts.server_functions import (
    AccountChargeAuthorised,
    AccountChargeIn,
    CustomerPublic,
    OperatorSettlementPublic,
    RedemptionIn,
    RedemptionPublic,
    SeatsHeld,
    SeatsIn,
)
from autonom.crash_points import CrashPoint, armed, crash_point
from autonom.domain import Refusal
from autonom.domain.errors import TICKET_NOT_FOUND
from autonom.domain.sync_report import SyncReport

API = "/api/v1"
CONNECT_TIMEOUT = 0.5
READ_TIMEOUT = 2.0
# Opening a table asks the server for its ticket while the cashier waits: keep it short.
TABLE_LOOKUP_TIMEOUT = httpx.Timeout(0.7, connect=0.3)

# A function that needs the server (a voucher, a report) while the cashier waits: short;
# no answer in time is a clear refusal, never a hang (R2.4).
SERVER_FUNCTION_TIMEOUT = httpx.Timeout(1.5, connect=0.3)

# The heartbeat's report must not outlast the heartbeat's own verdict on the link.
REPORT_TIMEOUT = httpx.Timeout(1.0, connect=0.5)
# A guest waits at the gate while the server is asked about a scan (R2.6).
SCAN_TIMEOUT = httpx.Timeout(0.7, connect=0.3)

_Model = TypeVar("_Model", bound=BaseModel)


class ServerUnreachable(Exception):
    """The server could not be asked (network down, timeout, server error); try again later."""


class ServerLink:
    """Calls the server's till API (``/api/v1``) for one till; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        till_number: int,
        *,
        credential: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.till_number = till_number
        self._credential = credential
        self._lock = threading.Lock()
        self._client = httpx.Client(
            base_url=self.base_url + API,
            timeout=httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT),
            transport=transport,  # only tests pass one
        )

    @property
    def credential(self) -> str | None:
        return self._credential

    @credential.setter
    def credential(self, value: str | None) -> None:
        with self._lock:
            self._credential = value

    def register(self, registration: TillRegistration) -> TillRegistered:
        """Enrol this till; the answer's credential authenticates every later call."""
        answer = self._call(
            "POST",
            f"/tills/{self.till_number}/register",
            json=registration.model_dump(mode="json"),
            authenticated=False,
        )
        return self._parse(TillRegistered, answer)

    def master_data(self) -> MasterData:
        return self._parse(MasterData, self._call("GET", "/master-data"))

    def push(self, batch: PushBatch) -> PushResult:
        answer = self._call(
            "POST",
            f"/tills/{self.till_number}/operations",
            json=batch.model_dump(mode="json"),
            # The crash harness's point between sending a batch and reading its answer.
            trace=_crash_once_sent if armed(CrashPoint.TILL_PUSH_SENT) else None,
        )
        return self._parse(PushResult, answer)

    def position(self, log_id: UUID | None = None) -> TillPosition:
        """How far the server holds this till's log ``log_id`` (None: its current one)."""
        params = None if log_id is None else {"log": str(log_id)}
        answer = self._call("GET", f"/tills/{self.till_number}/position", params=params)
        return self._parse(TillPosition, answer)

    def heartbeat(self, report: HeartbeatReport) -> HeartbeatAck:
        """Report the mode and the logged changes; the answer holds the station settings."""
        answer = self._call(
            "POST",
            f"/tills/{self.till_number}/heartbeat",
            json=report.model_dump(mode="json"),
            timeout=REPORT_TIMEOUT,
        )
        return self._parse(HeartbeatAck, answer)

    def open_ticket_at(self, table: int) -> TicketPublic | None:
        """The open ticket the server holds for ``table`` (any till's), or None."""
        answer = self._call(
            "GET",
            "/tickets",
            params={"status": "open", "table": table},
            timeout=TABLE_LOOKUP_TIMEOUT,
        )
        if not isinstance(answer, list):
            raise ServerUnreachable("the server's answer about the table was not a list")
        tickets = [self._parse(TicketPublic, t) for t in answer]
        tickets.sort(key=lambda t: (t.opened_at, t.ticket_id))
        return tickets[0] if tickets else None

    def ticket(self, ticket_id: str) -> TicketPublic | None:
        """The ticket as the server holds it (open, closed on another till, moved), or
        None when the server has not received it (yet)."""
        try:
            answer = self._call(
                "GET", f"/tickets/{quote(ticket_id, safe='')}", timeout=TABLE_LOOKUP_TIMEOUT
            )
        except Refusal as refusal:
            if refusal.code == TICKET_NOT_FOUND:
                return None
            raise
        return self._parse(TicketPublic, answer)

    def open_tickets(self) -> list[TicketPublic]:
        """Every open ticket the server holds, oldest first (what reintegration merges)."""
        answer = self._call(
            "GET", "/tickets", params={"status": "open"}, timeout=SERVER_FUNCTION_TIMEOUT
        )
        if not isinstance(answer, list):
            raise ServerUnreachable("the server's answer about the open tickets was not a list")
        tickets = [self._parse(TicketPublic, t) for t in answer]
        return sorted(tickets, key=lambda t: (t.opened_at, t.ticket_id))

    def sync_report(self, request: SyncReportRequest) -> SyncReport:
        """The server's sync report of this till's reintegration (R3.3); asked again with
        the same ``report_id``, the same report."""
        answer = self._call(
            "POST",
            f"/tills/{self.till_number}/sync-reports",
            json=request.model_dump(mode="json"),
            timeout=SERVER_FUNCTION_TIMEOUT,
        )
        try:
            return SYNC_REPORT.validate_python(answer)
        except ValidationError as error:
            raise ServerUnreachable("the server's answer is not a sync report") from error

    def register_scan(self, scan: GateScanIn) -> GateScanPublic:
        """Have the server judge and register a scan now; its answer (R2.6)."""
        answer = self._call(
            "POST", "/gate-scans", json=scan.model_dump(mode="json"), timeout=SCAN_TIMEOUT
        )
        return self._parse(GateScanPublic, answer)

    def gate_scans(self, nonces: Sequence[str]) -> list[GateScanPublic]:
        """Those of this till's scans ``nonces`` the server has registered, with results."""
        answer = self._call(
            "GET",
            "/gate-scans",
            params={"nonces": list(nonces), "limit": len(nonces)},
            timeout=REPORT_TIMEOUT,
        )
        if not isinstance(answer, list):
            raise ServerUnreachable("the server's answer about gate scans was not a list")
        return [self._parse(GateScanPublic, scan) for scan in answer]

    # -- the functions that need the server (R2.4): asked live, never queued ---------------

    def redeem_voucher(self, number: str, request: RedemptionIn) -> RedemptionPublic:
        """Hold part of a voucher's value for a ticket (idempotent by ``redemption_id``)."""
        answer = self._call(
            "POST",
            f"/vouchers/{quote(number, safe='')}/redeem",
            json=request.model_dump(mode="json"),
            timeout=SERVER_FUNCTION_TIMEOUT,
        )
        return self._parse(RedemptionPublic, answer)

    def operator_settlement(self, operator_number: int, day: date) -> OperatorSettlementPublic:
        """The operator's receipts of ``day`` on every till, as the server holds them."""
        answer = self._call(
            "GET",
            "/reports/operator-settlement",
            params={"operator": operator_number, "day": day.isoformat()},
            timeout=SERVER_FUNCTION_TIMEOUT,
        )
        return self._parse(OperatorSettlementPublic, answer)

    def find_customers(self, text: str) -> list[CustomerPublic]:
        """Customer accounts whose number is ``text`` or whose name contains it."""
        answer = self._call(
            "GET", "/customers", params={"q": text}, timeout=SERVER_FUNCTION_TIMEOUT
        )
        if not isinstance(answer, list):
            raise ServerUnreachable("the server's answer about customers was not a list")
        return [self._parse(CustomerPublic, c) for c in answer]

    def authorise_charge(self, number: int, request: AccountChargeIn) -> AccountChargeAuthorised:
        """May ``request.amount`` go on customer ``number``'s account now?"""
        answer = self._call(
            "POST",
            f"/customers/{number}/authorise",
            json=request.model_dump(mode="json"),
            timeout=SERVER_FUNCTION_TIMEOUT,
        )
        return self._parse(AccountChargeAuthorised, answer)

    def hold_seats(self, plu: str, request: SeatsIn) -> SeatsHeld:
        """Hold seats of an event for a booking before it is written (once per booking)."""
        answer = self._call(
            "POST",
            f"/events/{quote(plu, safe='')}/seats",
            json=request.model_dump(mode="json"),
            timeout=SERVER_FUNCTION_TIMEOUT,
        )
        return self._parse(SeatsHeld, answer)

    def close(self) -> None:
        self._client.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: httpx.Timeout | None = None,
        authenticated: bool = True,
        trace: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if authenticated:
            if self._credential is None:
                raise ServerUnreachable("this till is not registered with the server yet")
            headers["Authorization"] = f"Bearer {self._credential}"
        try:
            response = self._client.request(
                method,
                path,
                json=json,
                params=params,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                extensions={"trace": trace} if trace is not None else None,
            )
        except httpx.HTTPError as error:
            raise ServerUnreachable(f"{type(error).__name__}: {error}") from error
        if response.status_code >= 500:
            raise ServerUnreachable(f"the server answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as error:
            raise ServerUnreachable(
                f"the server answered {response.status_code} without JSON"
            ) from error
        if response.status_code >= 400:
            raise _refusal(response.status_code, body)
        return body

    @staticmethod
    def _parse(model: type[_Model], body: Any) -> _Model:
        try:
            return model.model_validate(body)
        except ValidationError as error:
            raise ServerUnreachable(f"the server's answer is not a {model.__name__}") from error


def _crash_once_sent(event: str, _info: dict[str, Any]) -> None:
    """httpcore's trace: the request's body is on the wire, no answer read yet."""
    if event == "http11.send_request_body.complete":
        crash_point(CrashPoint.TILL_PUSH_SENT)


def _refusal(status: int, body: Any) -> Refusal:
    try:
        error = ErrorBody.model_validate(body)
    except ValidationError:
        return Refusal(f"HTTP_{status}", f"The server refused with HTTP {status}.", status)
    return Refusal(error.code, error.message, status, detail=error.detail)
