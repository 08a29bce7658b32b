"""Bill split and table transfer on a real till (its web app on a real SQLite file), in
emergency mode: between this till's own tickets both work, each line keeping its OFF mark;
a table shared with other tills is refused with a clear code; the emptied table is gone
from the open tables, also after a restart."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autonom.contracts import BookingPublic, TicketPublic
from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Health, Mode, Reason, Verdict
from autonom.till.entrypoints.web import create_app
from tests.integration.till.conftest import api_login, make_till, page_login

DOWN = Verdict(Health.DOWN, Reason.NO_PING)


def emergency_mode(till: Till) -> None:
    """The server link is lost and the cashier chooses emergency mode."""
    till.modes.link_verdict(DOWN, time.monotonic())
    assert till.selling.choose(Choice.EMERGENCY) is Mode.EMERGENCY


def adopt_shared_table(till: Till, table: int) -> str:
    """A table till 11 opened, adopted while the server still answered (live mode)."""
    line = BookingPublic(
        booking_id="b-11",
        plu="200",
        name="Croissant",
        quantity=1,
        unit_price=Decimal("1.90"),
        tax_code="B",
        tax_percent=Decimal("7.00"),
        operator_number=2,
        till_number=11,
        booked_at=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
        offline=False,
    )
    shared = TicketPublic(
        ticket_id="t-11",
        table=table,
        till_number=11,
        owner=2,
        opened_at=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
        status="open",
        total=Decimal("1.90"),
        bookings=[line],
    )
    with till.unit_of_work() as uow:
        uow.tickets.adopt(shared)
        uow.commit()
    return shared.ticket_id


class Cashier:
    """The till's JSON API as a cashier's program uses it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def open(self, table: int | None) -> str:
        answer = self.client.post("/api/tickets", json={"table": table})
        assert answer.status_code == 201, answer.text
        ticket_id: str = answer.json()["ticket_id"]
        return ticket_id

    def book(self, ticket_id: str, *plus: str) -> list[str]:
        ticket: dict[str, Any] = {}
        for plu in plus:
            answer = self.client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": plu})
            assert answer.status_code == 201, answer.text
            ticket = answer.json()
        return [b["booking_id"] for b in ticket["bookings"]]

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/api/tickets/{ticket_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def open_tables(self) -> list[int | None]:
        return [t["table"] for t in self.client.get("/api/tickets").json()]

    def split(self, ticket_id: str, booking_ids: list[str], cash: str = "20.00") -> Any:
        body = {"booking_ids": booking_ids, "tenders": [{"method": "cash", "amount": cash}]}
        return self.client.post(f"/api/tickets/{ticket_id}/split", json=body)

    def transfer(self, ticket_id: str, table: Any, booking_ids: list[str] | None = None) -> Any:
        body: dict[str, Any] = {"table": table}
        if booking_ids is not None:
            body["booking_ids"] = booking_ids
        return self.client.post(f"/api/tickets/{ticket_id}/transfer", json=body)


@pytest.fixture
def cashier(client: TestClient, page_till: Till) -> Cashier:
    api_login(client)
    emergency_mode(page_till)
    return Cashier(client)


def test_in_emergency_mode_a_bill_is_split_and_the_rest_moves_to_another_table(
    cashier: Cashier,
) -> None:
    five = cashier.open(5)
    espresso, croissant, cappuccino = cashier.book(five, "100", "200", "102")

    split = cashier.split(five, [croissant, espresso], cash="5.00")
    assert split.status_code == 201, split.text
    receipt = split.json()
    assert receipt["offline"] is True
    assert receipt["number"].endswith("-02")  # the emergency range (R2.3)
    assert (receipt["total"], receipt["change"]) == ("4.30", "0.70")
    assert receipt["ticket_id"] != five

    moved = cashier.transfer(five, 8)
    assert moved.status_code == 200, moved.text
    eight = moved.json()
    assert eight["table"] == 8
    assert [(b["booking_id"], b["offline"]) for b in eight["bookings"]] == [(cappuccino, True)]
    assert cashier.ticket(five)["status"] == "moved"
    assert cashier.open_tables() == [8]
    reopened = cashier.open(5)  # table 5 is free again: a new ticket there
    assert reopened not in (five, eight["ticket_id"])


@pytest.mark.parametrize("action", ["split", "transfer whole", "transfer chosen", "onto it"])
def test_in_emergency_mode_a_table_shared_with_other_tills_is_refused(
    cashier: Cashier, page_till: Till, action: str
) -> None:
    shared = adopt_shared_table(page_till, 6)
    own = cashier.open(5)
    [line] = cashier.book(own, "100")
    answer = {
        "split": lambda: cashier.split(shared, ["b-11"]),
        "transfer whole": lambda: cashier.transfer(shared, 9),
        "transfer chosen": lambda: cashier.transfer(shared, 9, ["b-11"]),
        "onto it": lambda: cashier.transfer(own, 6, [line]),
    }[action]()
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "SHARED_TICKET_OFFLINE"
    assert "emergency mode" in answer.json()["message"]
    assert [b["booking_id"] for b in cashier.ticket(shared)["bookings"]] == ["b-11"]
    assert [b["booking_id"] for b in cashier.ticket(own)["bookings"]] == [line]


def test_bad_moves_are_refused_with_their_codes(cashier: Cashier) -> None:
    five = cashier.open(5)
    espresso, croissant = cashier.book(five, "100", "200")
    voided = cashier.client.post(
        f"/api/tickets/{five}/bookings/{croissant}/void", json={"reason": "wrong item"}
    )
    assert voided.status_code == 200, voided.text
    answers = {
        "unknown booking": cashier.transfer(five, 7, ["no-such-line"]),
        "voided booking": cashier.split(five, [croissant]),
        "nothing chosen": cashier.split(five, []),
        "nothing chosen to move": cashier.transfer(five, 7, []),
        "same table": cashier.transfer(five, 5),
        "table out of range": cashier.transfer(five, 10_000),
        "not a table number": cashier.transfer(five, "7"),
        "no table": cashier.transfer(five, None),
        "underpaid": cashier.split(five, [espresso], cash="1.00"),
        "unknown ticket": cashier.transfer("no-such-ticket", 7),
    }
    assert {what: (a.status_code, a.json()["code"]) for what, a in answers.items()} == {
        "unknown booking": (404, "BOOKING_NOT_FOUND"),
        "voided booking": (409, "ALREADY_VOIDED"),
        "nothing chosen": (422, "NOTHING_CHOSEN"),
        "nothing chosen to move": (422, "NOTHING_CHOSEN"),
        "same table": (422, "SAME_TABLE"),
        "table out of range": (422, "BAD_TABLE"),
        "not a table number": (422, "INVALID_INPUT"),
        "no table": (422, "INVALID_INPUT"),
        "underpaid": (422, "UNDERPAID"),
        "unknown ticket": (404, "TICKET_NOT_FOUND"),
    }
    assert [b["booking_id"] for b in cashier.ticket(five)["bookings"]] == [espresso, croissant]
    assert cashier.open_tables() == [5]


def test_on_the_page_pay_selected_and_move_to_table(client: TestClient, page_till: Till) -> None:
    page_login(client)
    emergency_mode(page_till)
    opened = client.post("/tickets", data={"table": "3"})
    three = str(opened.url).rsplit("/", 1)[1]
    for plu in ("100", "200", "102"):
        client.post(f"/tickets/{three}/bookings", data={"plu": plu})
    screen = client.get(f"/tickets/{three}").text
    lines = re.findall(r'data-testid="choose-([\w-]+)"', screen)
    assert len(lines) == 3
    assert screen.count('<span class="mark">OFF</span>') == 3
    assert 'data-testid="pay-selected"' in screen
    assert "Emergency mode: only between this till&#39;s own tickets." in screen

    to_pay = client.post(f"/tickets/{three}/split", data={"booking_ids": lines[:2]})
    assert re.search(r"/tickets/[\w-]+/pay$", str(to_pay.url)), to_pay.url
    assert 'data-testid="pay-total">4.30<' in to_pay.text
    paid = client.post(str(to_pay.url), data={"method": "cash"})
    assert re.search(r"/receipts/\d+-02$", str(paid.url)), paid.url

    moved = client.post(f"/tickets/{three}/transfer", data={"table": "4"})
    assert "The whole ticket moved to table 4." in moved.text
    assert 'data-testid="ticket-title">Table 4<' in moved.text
    assert f'data-testid="choose-{lines[2]}"' in moved.text
    assert '<span class="mark">OFF</span>' in moved.text
    gone = client.get(f"/tickets/{three}")
    assert str(gone.url).endswith("/tickets")
    assert "The lines of that ticket were moved to another table." in gone.text

    refused = client.post(f"/tickets/{str(moved.url).rsplit('/', 1)[1]}/transfer", data={})
    assert re.findall(r'data-code="(\w+)"', refused.text) == ["BAD_TABLE"]
    nothing = client.post(f"/tickets/{str(moved.url).rsplit('/', 1)[1]}/split", data={})
    assert re.findall(r'data-code="(\w+)"', nothing.text) == ["NOTHING_CHOSEN"]


def test_moves_made_in_emergency_mode_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "till-10"
    till = make_till(data_dir)
    try:
        with TestClient(create_app(till)) as client:
            api_login(client)
            emergency_mode(till)
            cashier = Cashier(client)
            five = cashier.open(5)
            cashier.book(five, "100", "200")
            eight = cashier.transfer(five, 8).json()["ticket_id"]
    finally:
        till.stop()  # as a power cut after the commit: nothing is held in memory

    again = make_till(data_dir, master_data=False)
    try:
        assert again.modes.sales_offline  # emergency mode resumed (R1.6)
        assert [(t.ticket_id, t.table) for t in again.selling.open_tickets()] == [(eight, 8)]
        assert [b.plu for b in again.selling.ticket(eight).bookings] == ["100", "200"]
        assert again.selling.ticket(five).status.value == "moved"
        assert [d.kind for d in again.selling.unsent_documents()][-3:] == [
            "bookings_moved_out",
            "ticket_opened",  # table 8, in the move's own transaction
            "bookings_moved_in",
        ]
    finally:
        again.stop()
