"""A till's operation log made by the real domain ``Ticket``, as a till would push it,
and the few HTTP steps every server test repeats."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.contracts import EVENT_ADAPTER, Operation, TicketPublic
from autonom.domain import (
    Event,
    Form,
    Item,
    NumberRange,
    PaymentMethod,
    ReceiptNumber,
    TaxRate,
    Tender,
    Ticket,
)
from autonom.server import ServerSettings

ADMIN_TOKEN = "admin-token-for-tests"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
ENROLMENT_CODE = "enrolment-code-for-tests"
STANDARD = TaxRate(code="A", percent=Decimal("19.00"), name="Standard rate")
ESPRESSO = Item(plu="100", name="Espresso", price=Decimal("2.40"), tax_code="A")
CAKE = Item(plu="200", name="Cheesecake", price=Decimal("4.20"), tax_code="A")


def server_settings(db_url: str, **changes: Any) -> ServerSettings:
    """The server under test: store 1, the tests' admin token and enrolment code."""
    defaults = {"admin_token": ADMIN_TOKEN, "enrolment_code": ENROLMENT_CODE}
    return ServerSettings(db_url=db_url, store_id=1, **(defaults | changes))


class TillLog:
    """What a till records and pushes: real domain events with gapless ``seq`` from 1."""

    def __init__(self, number: int, *, clock: datetime | None = None) -> None:
        self.number = number
        self.seq = 0
        self.range = NumberRange(till=number, form=Form.RECEIPT)
        self.emergency_range = NumberRange(till=number, form=Form.EMERGENCY_RECEIPT)
        self.offline = False  # emergency mode: OFF marks and the emergency range (R2.3, R3.2)
        self.pending: list[Event] = []
        self.now = clock or datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        self.credential = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credential}"}

    def _tick(self) -> datetime:
        self.now += timedelta(seconds=7)
        return self.now

    def _take(self, ticket: Ticket) -> None:
        self.pending.extend(ticket.events)
        ticket.events.clear()

    def open(self, *, table: int | None = None, operator: int = 1) -> Ticket:
        ticket = Ticket.open(
            ticket_id=str(uuid.uuid4()),
            table=table,
            till_number=self.number,
            operator_number=operator,
            at=self._tick(),
            offline=self.offline,
        )
        self._take(ticket)
        return ticket

    def adopt(self, shared: TicketPublic) -> Ticket:
        """Take over a ticket another till opened (a shared table in live mode), with its
        bookings copied in; they stay the other till's and are not pushed again."""
        ticket = Ticket(
            ticket_id=shared.ticket_id,
            till_number=shared.till_number,
            owner=shared.owner,
            opened_at=shared.opened_at,
            table=shared.table,
        )
        for b in shared.bookings:
            ticket.apply(b.added_to(shared.ticket_id))
        return ticket

    def book(
        self,
        ticket: Ticket,
        item: Item = ESPRESSO,
        quantity: int = 1,
        *,
        issued_number: ReceiptNumber | None = None,
        booking_id: str | None = None,
        operator: int = 1,
    ) -> Ticket:
        ticket.book(
            item,
            STANDARD,
            quantity,
            booking_id=booking_id or str(uuid.uuid4()),
            operator_number=operator,
            till_number=self.number,
            at=self._tick(),
            offline=self.offline,
            issued_number=issued_number,
        )
        self._take(ticket)
        return ticket

    def void(self, ticket: Ticket, booking_id: str, reason: str = "wrong item") -> Ticket:
        ticket.void(booking_id, reason, operator_number=1, till_number=self.number, at=self._tick())
        self._take(ticket)
        return ticket

    def move(self, source: Ticket, target: Ticket, booking_ids: list[str]) -> None:
        """Move lines between two tickets (a table transfer, a bill split)."""
        source.move_to(
            target, booking_ids, operator_number=1, till_number=self.number, at=self._tick()
        )
        self._take(source)
        self._take(target)

    def close(
        self,
        ticket: Ticket,
        number: ReceiptNumber | None = None,
        *,
        tenders: list[Tender] | None = None,
        operator: int = 1,
    ) -> Ticket:
        ticket.close(
            tenders or [Tender(PaymentMethod.CASH, Decimal("100.00"))],
            number or (self.emergency_range if self.offline else self.range).issue(),
            operator_number=operator,
            till_number=self.number,
            at=self._tick(),
            offline=self.offline,
        )
        self._take(ticket)
        return ticket

    def merge(self, local: Ticket, server_ticket: Ticket) -> None:
        """Reintegration (R3.2): the till merges its offline ticket into the server's
        ticket of the same table, which it adopted (``adopt``)."""
        local.merge_into(server_ticket, till_number=self.number, at=self._tick())
        self._take(local)
        self._take(server_ticket)

    def sale(self, *, table: int | None = None, items: int = 2) -> Ticket:
        ticket = self.open(table=table)
        for _ in range(items):
            self.book(ticket)
        return self.close(ticket)

    def operations(self) -> list[dict[str, Any]]:
        """The pending events as the next operations of the log (JSON), then forget them."""
        operations = []
        for event in self.pending:
            self.seq += 1
            operation = Operation(
                seq=self.seq, op_id=uuid.uuid4(), recorded_at=self.now, event=event
            )
            operations.append(operation.model_dump(mode="json"))
        self.pending.clear()
        return operations


def batch(operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {"operations": operations}


def register(client: TestClient, number: int) -> TillLog:
    """Register till ``number`` and return its (empty) log holding the credential."""
    registration = {"name": f"Till {number}", "enrolment_code": ENROLMENT_CODE}
    answer = client.post(f"/api/v1/tills/{number}/register", json=registration)
    assert answer.status_code == 201, answer.text
    till = TillLog(number)
    till.credential = answer.json()["credential"]
    return till


def push(client: TestClient, till: TillLog, operations: list[dict[str, Any]]) -> Any:
    return client.post(
        f"/api/v1/tills/{till.number}/operations", json=batch(operations), headers=till.auth
    )


def seed_master_data(client: TestClient) -> None:
    """The store's tax rate and items, through the back office."""
    answer = client.put(
        "/api/v1/tax-rates/A", json={"percent": "19.00", "name": "Standard rate"}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    for item in (ESPRESSO, CAKE):
        answer = client.put(
            f"/api/v1/items/{item.plu}",
            json={"name": item.name, "price": str(item.price), "tax_code": item.tax_code},
            headers=ADMIN,
        )
        assert answer.status_code == 200, answer.text


def event_of(operation: dict[str, Any]) -> Event:
    return EVENT_ADAPTER.validate_python(operation["event"])


def mode_event(
    seq: int,
    words: str = "OFFLINE NO PING",
    *,
    state: str = "outage_pending",
    link: str = "server",
    at: datetime | None = None,
) -> dict[str, Any]:
    """One line of a till's mode log as the heartbeat carries it (ModeEventIn)."""
    when = at or datetime(2026, 11, 20, 9, 0, tzinfo=UTC) + timedelta(seconds=seq)
    return {"seq": seq, "at": when.isoformat(), "link": link, "words": words, "state": state}


def heartbeat(
    client: TestClient,
    till: TillLog,
    *events: dict[str, Any],
    mode: str = "live",
    activity: str = "alive",
    unsent_operations: int = 0,
) -> Any:
    """Send a heartbeat report of ``till`` (HeartbeatReport) with its credential."""
    report = {
        "mode": mode,
        "activity": activity,
        "unsent_operations": unsent_operations,
        "events": list(events),
    }
    return client.post(f"/api/v1/tills/{till.number}/heartbeat", json=report, headers=till.auth)
