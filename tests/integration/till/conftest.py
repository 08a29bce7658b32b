"""The till under test: its web app on a real SQLite file (TestClient), or a real
``autonom till`` process next to a real ``autonom server`` (tests.support.processes)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from autonom.contracts import ItemPublic, MasterData, OperatorPublic, TaxRatePublic
from autonom.domain import JournalEntry, Role, hash_pin
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.entrypoints.web import create_app
from autonom.till.service_layer.snapshot import refresh_master_data
from tests.support.processes import Part, free_port

TILL = 10
ANNA, ANNA_PIN = 1, "1111"  # the demo café's operators, as on the real server
BEN, BEN_PIN = 2, "2222"

CAFE = MasterData(
    version=1,
    tax_rates=[
        TaxRatePublic(code="A", percent=Decimal("19.00"), name="standard"),
        TaxRatePublic(code="B", percent=Decimal("7.00"), name="reduced"),
    ],
    items=[
        ItemPublic(plu="100", name="Espresso", price=Decimal("2.40"), tax_code="A"),
        ItemPublic(plu="102", name="Cappuccino", price=Decimal("3.40"), tax_code="A"),
        ItemPublic(plu="200", name="Croissant", price=Decimal("1.90"), tax_code="B"),
    ],
    operators=[
        OperatorPublic(number=ANNA, name="Anna", role=Role.CASHIER, pin_hash=hash_pin(ANNA_PIN)),
    ],
)


class CafeFeed:
    """The master data a server would send, handed over without a socket."""

    def master_data(self) -> MasterData:
        return CAFE


def dead_server_url() -> str:
    """A loopback port nobody listens on: the till's server is simply not there."""
    return f"http://127.0.0.1:{free_port()}"


def make_till(data_dir: Path, *, printer: str = "none", master_data: bool = True) -> Till:
    """Till 10 wired as in production, its server unreachable, its threads not started."""
    settings = TillSettings(
        number=TILL, server_url=dead_server_url(), data_dir=data_dir, printer=printer
    )
    till = bootstrap(settings)
    if master_data:
        refresh_master_data(till.unit_of_work(), CafeFeed())
    return till


@pytest.fixture
def page_till(tmp_path: Path) -> Iterator[Till]:
    till = make_till(tmp_path / "till-10")
    yield till
    till.stop()


@pytest.fixture
def client(page_till: Till) -> Iterator[TestClient]:
    """The till's web app; server errors come back as answers, as a browser sees them."""
    with TestClient(create_app(page_till), raise_server_exceptions=False) as test_client:
        yield test_client


def page_login(client: TestClient, operator: int = ANNA, pin: str = ANNA_PIN) -> None:
    answer = client.post(f"/login/{operator}", data={"pin": pin}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def api_login(client: TestClient | httpx.Client, operator: int = ANNA, pin: str = ANNA_PIN) -> None:
    answer = client.post("/api/login", json={"operator_number": operator, "pin": pin})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"


# -- real processes ---------------------------------------------------------------------


def wait_for(condition: Callable[[], Any], *, seconds: float, what: str) -> Any:
    """Poll until ``condition()`` is truthy and return it; fail saying ``what`` never came.

    A deadline for a condition, not a timed assertion: the test only fails if the thing
    never happens within a generous bound.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = condition()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.1)


def restart(part: Part) -> Part:
    """The same part again (same arguments, port and data) after a stop or a kill."""
    return Part(
        args=part.args, url=part.url, log=part.log, health_path=part.health_path, env=part.env
    ).start()


@dataclass
class TillApi:
    """A cashier at a till process, through its JSON API."""

    http: httpx.Client

    @classmethod
    def at(cls, url: str) -> TillApi:
        return cls(httpx.Client(base_url=url, timeout=10.0))

    def status(self) -> dict[str, Any]:
        answer = self.http.get("/api/status")
        answer.raise_for_status()
        status: dict[str, Any] = answer.json()
        return status

    def wait_until_ready(self) -> None:
        """Registered with the server and holding its master data."""
        wait_for(
            lambda: (s := self.status())["registered"] and s["master_data_version"] is not None,
            seconds=30,
            what="registration and the first master-data snapshot",
        )

    def wait_for_mode(self, mode: str, *, seconds: float = 30) -> dict[str, Any]:
        """The status once the till is in ``mode``."""
        return wait_for(
            lambda: (s := self.status())["mode"] == mode and s,
            seconds=seconds,
            what=f"mode {mode}",
        )

    def choose(self, choice: str) -> dict[str, Any]:
        """Answer the mode dialog as the cashier; the status after it."""
        answer = self.http.post(f"/api/mode/{choice}")
        assert answer.status_code == 200, answer.text
        status: dict[str, Any] = answer.json()
        return status

    def log_in(self, operator: int = ANNA, pin: str = ANNA_PIN) -> None:
        api_login(self.http, operator, pin)

    def sell(self, *plus: str, table: int | None = None) -> str:
        """Open, book one of each PLU, pay cash exactly; return the receipt number."""
        ticket = self.open(table)
        for plu in plus or ("100",):
            self.book(ticket, plu)
        return self.close(ticket)

    def open(self, table: int | None = None) -> str:
        answer = self.http.post("/api/tickets", json={"table": table})
        assert answer.status_code == 201, answer.text
        ticket_id: str = answer.json()["ticket_id"]
        return ticket_id

    def book(self, ticket_id: str, plu: str, quantity: int = 1) -> dict[str, Any]:
        answer = self.http.post(
            f"/api/tickets/{ticket_id}/bookings", json={"plu": plu, "quantity": quantity}
        )
        assert answer.status_code == 201, answer.text
        ticket: dict[str, Any] = answer.json()
        return ticket

    def close(self, ticket_id: str) -> str:
        ticket = self.http.post(f"/api/tickets/{ticket_id}/refresh").json()
        answer = self.http.post(
            f"/api/tickets/{ticket_id}/close",
            json={"tenders": [{"method": "cash", "amount": ticket["total"]}]},
        )
        assert answer.status_code == 201, answer.text
        number: str = answer.json()["number"]
        return number

    def receipts(self) -> list[dict[str, Any]]:
        answer = self.http.get("/api/receipts")
        answer.raise_for_status()
        receipts: list[dict[str, Any]] = answer.json()
        return receipts


def read_till_database(data_dir: Path) -> tuple[list[JournalEntry], list[int], list[str]]:
    """The journal, the outbox sequences and the receipt numbers, read from the file itself."""
    with sqlite3.connect(f"file:{data_dir / 'till.sqlite'}?mode=ro", uri=True) as db:
        journal = [
            JournalEntry(*row)
            for row in db.execute(
                "SELECT seq, kind, payload, prev_hash, hash FROM journal ORDER BY seq"
            )
        ]
        seqs = [row[0] for row in db.execute("SELECT seq FROM outbox ORDER BY seq")]
        numbers = [row[0] for row in db.execute("SELECT number FROM receipts ORDER BY number")]
    return journal, seqs, numbers
