"""The cashier of the proof: counter sales through a till's JSON API, as ``TillApi`` makes
them (tests/integration/till/conftest.py), but made to keep going through crashes and
outages — and to remember exactly what the till acknowledged.

A till that does not answer (killed, dying, restarting) raises ``TillGone``; the caller
knows whether it meant to kill it. Every 2xx answer is written into ``Acknowledged``
before the next request: the tickets opened, the lines booked and the receipts paid that
the cashier was told about. Nothing acknowledged may be lost afterwards, wherever the
crash fell.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from autonom.domain.errors import EMERGENCY_NOT_ALLOWED, OUTAGE_UNDECIDED

# The demo café's goods (src/autonom/demo/cafe.csv): no voucher, admission or event ticket,
# which would need the server's say.
GOODS = tuple(str(plu) for plu in [*range(100, 120), *range(200, 221)])
ANNA, ANNA_PIN = 1, "1111"
REQUEST_TIMEOUT_S = 10.0
UNDECIDED_PATIENCE_S = 15.0  # how long a close may be refused before the proof gives up


class TillGone(Exception):
    """The till did not answer: its process is gone or going (a crash the harness caused)."""


@dataclass
class Acknowledged:
    """What one till told its cashier it had done (2xx answers), across every crash."""

    tickets: set[str] = field(default_factory=set)
    bookings: set[str] = field(default_factory=set)
    receipts: dict[str, Decimal] = field(default_factory=dict)  # number → total


class Cashier:
    """One cashier at one till (its base URL); see the module docstring."""

    def __init__(self, url: str, acknowledged: Acknowledged, rng: random.Random) -> None:
        self.url = url
        self.acknowledged = acknowledged
        self.rng = rng
        # Plain HTTP on loopback: verify=False spares loading the CA bundle (28 ms a client).
        self.http = httpx.Client(base_url=url, timeout=REQUEST_TIMEOUT_S, verify=False)

    def close_client(self) -> None:
        self.http.close()

    def log_in(self) -> None:
        answer = self._call("POST", "/api/login", {"operator_number": ANNA, "pin": ANNA_PIN})
        self.http.headers["Authorization"] = f"Bearer {answer['token']}"

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = self._call("GET", "/api/status")
        return status

    def sell(self, lines: int | None = None) -> str:
        """One counter sale: open, book 1-3 goods, pay cash exactly; the receipt number."""
        ticket = self._call("POST", "/api/tickets", {"table": None}, expect=201)
        self.acknowledged.tickets.add(ticket["ticket_id"])
        for _ in range(lines or self.rng.randint(1, 3)):
            ticket = self.book(ticket["ticket_id"])
        return self.pay(ticket["ticket_id"], Decimal(ticket["total"]))

    def book(self, ticket_id: str) -> dict[str, Any]:
        body = {"plu": self.rng.choice(GOODS), "quantity": self.rng.randint(1, 3)}
        ticket: dict[str, Any] = self._call(
            "POST", f"/api/tickets/{ticket_id}/bookings", body, expect=201
        )
        self.acknowledged.bookings.update(b["booking_id"] for b in ticket["bookings"])
        return ticket

    def pay(self, ticket_id: str, total: Decimal) -> str:
        """Close in cash; an undecided outage is answered with emergency mode, as the
        cashier on the page would, then the close is tried again."""
        body = {"tenders": [{"method": "cash", "amount": str(total)}]}
        deadline = time.monotonic() + UNDECIDED_PATIENCE_S
        while True:
            answer = self._send("POST", f"/api/tickets/{ticket_id}/close", body)
            if answer.status_code == 201:
                receipt: dict[str, Any] = answer.json()
                self.acknowledged.receipts[receipt["number"]] = Decimal(receipt["total"])
                return str(receipt["number"])
            code = _code(answer)
            if code not in (OUTAGE_UNDECIDED, EMERGENCY_NOT_ALLOWED) or (
                time.monotonic() > deadline
            ):
                raise AssertionError(f"the close was refused: {answer.status_code} {answer.text}")
            if code == OUTAGE_UNDECIDED:
                self._send("POST", "/api/mode/emergency")
            else:
                time.sleep(0.05)  # not allowed: wait for the link

    def finish_open_tickets(self) -> int:
        """Pay what a crash left open (the cashier finds it after the restart); how many."""
        tickets = self._call("GET", "/api/tickets")
        for ticket in tickets:
            if ticket["table"] is None and ticket["bookings"]:
                self.pay(ticket["ticket_id"], Decimal(ticket["total"]))
        return len(tickets)

    def _call(self, method: str, path: str, body: Any = None, *, expect: int = 200) -> Any:
        answer = self._send(method, path, body)
        if answer.status_code != expect:
            raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text}")
        return answer.json()

    def _send(self, method: str, path: str, body: Any = None) -> httpx.Response:
        try:
            return self.http.request(method, path, json=body)
        except httpx.TransportError as error:
            raise TillGone(f"{method} {path}: {type(error).__name__}") from error


def _code(answer: httpx.Response) -> str | None:
    try:
        code = answer.json().get("code")
    except ValueError:
        return None
    return str(code) if code is not None else None
