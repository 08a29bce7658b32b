"""Selling through an outage, end to end (issue 8, R2): real processes — the server behind a
fault proxy, till 10 and the card device it drives. The link to the server and the card
device's bank link are cut; the till sells 200 receipts with cash and card, reaches the
card device's count cap and gets its clear refusal, is refused a Maestro card, sells a
voucher and is refused redeeming one, is refused an event ticket, sells admissions and
records 50 gate scans, splits a bill, transfers a table, prints the report of emergency
mode and closes the day; every counter and state is asserted. The links come back, and
every document arrives on the server once: the receipts, the day close, the stored card
payments with their final results (a declined one a CARD_DEBT flag) and the gate scans
with theirs, shown back at the till."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.till.conftest import TILL, TillApi, wait_for
from tests.integration.till.test_card_payments import Store as CardStore
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import card_device_part, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

CARD_CAP = 40  # the device stores at most this many card payments offline (a small cap: fast)
RECEIPTS = 200  # sold in emergency mode with cash and card
VISA = {"card_type": "visa", "card_number": "4111111111111111"}
VISA_DECLINED = {"card_type": "visa", "card_number": "4000000000000002"}  # the bank says no
MAESTRO = {"card_type": "maestro", "card_number": "6759649826438453"}
ESPRESSO, CROISSANT, CAPPUCCINO = "100", "200", "102"
ADMISSION, CONCERT_SEAT, GIFT_VOUCHER = "800", "850", "900"  # the demo café's own


@dataclass
class Store(CardStore):
    """The card payments' store of processes, its server behind a fault proxy."""

    proxy: FaultProxy


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    device = card_device_part(
        tmp_path, driven_by=TILL, options=("--max-count", str(CARD_CAP))
    ).start()
    try:
        with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as proxy:
            till = till_part(tmp_path, TILL, proxy.url, card_device_url=device.url).start()
            cashier = TillApi.at(till.url)
            try:
                cashier.wait_until_ready()
                cashier.log_in()
                cashier.wait_for_mode("live")
                yield Store(server, device, till, cashier, proxy)
            finally:
                till.stop()
    finally:
        device.stop()
        server.stop()


def post(cashier: TillApi, path: str, body: dict[str, Any] | None = None) -> Any:
    return cashier.http.post(path, json=body or {})


def ticket_with(cashier: TillApi, *plus: str, table: int | None = None) -> dict[str, Any]:
    ticket_id = cashier.open(table)
    ticket: dict[str, Any] = {}
    for plu in plus:
        ticket = cashier.book(ticket_id, plu)
    return ticket


def pay(cashier: TillApi, ticket_id: str, method: str = "cash", card: Any = None) -> Any:
    body: dict[str, Any] = {"tenders": [{"method": method}], "print_receipt": False}
    if card is not None:
        body["card"] = card
    return post(cashier, f"/api/tickets/{ticket_id}/close", body)


def refused(answer: httpx.Response, code: str) -> dict[str, Any]:
    assert answer.status_code in (403, 409), answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, body
    return body


@pytest.mark.timeout(900)
def test_a_day_of_emergency_mode_is_sold_reported_closed_and_arrives_once(store: Store) -> None:
    cashier = store.cashier
    store.proxy.blackhole()
    store.set_bank_link(up=False)
    cashier.wait_for_mode("outage_pending")
    assert cashier.choose("emergency")["mode"] == "emergency"
    wait_for(
        lambda: cashier.http.get("/api/card-device").json().get("bank_link_up") is False,
        seconds=15,
        what="the card device's bank link reported down",
    )

    # -- 200 receipts, cash and card, until the device's count cap refuses a card ------------
    numbers: list[str] = []
    cards, cap_refusals = 0, 0
    for i in range(RECEIPTS):
        ticket = ticket_with(cashier, ESPRESSO, CROISSANT if i % 3 else CAPPUCCINO)
        if i % 2:
            card = VISA_DECLINED if i == 1 else VISA
            answer = pay(cashier, ticket["ticket_id"], "card", card)
            if answer.status_code == 201:
                cards += 1
                assert answer.json()["number"].endswith("-02")
                numbers.append(answer.json()["number"])
                continue
            refused(answer, "OFFLINE_CAP_REACHED")
            cap_refusals += 1
            still = cashier.http.get(f"/api/tickets/{ticket['ticket_id']}").json()
            assert still["status"] == "open"  # nothing half-written: payable in cash
        answer = pay(cashier, ticket["ticket_id"])
        assert answer.status_code == 201, answer.text
        numbers.append(answer.json()["number"])
    assert (cards, cap_refusals) == (CARD_CAP, RECEIPTS // 2 - CARD_CAP)

    # -- a Maestro card is refused offline, the ticket is paid in cash -----------------------
    maestro = ticket_with(cashier, ESPRESSO)
    body = refused(pay(cashier, maestro["ticket_id"], "card", MAESTRO), "CARD_TYPE_OFFLINE")
    assert "Maestro" in body["message"]
    numbers.append(pay(cashier, maestro["ticket_id"]).json()["number"])

    # -- a voucher sells from the till's own range; redeeming one needs the server -----------
    voucher = ticket_with(cashier, GIFT_VOUCHER)
    voucher_number = voucher["bookings"][0]["issued_number"]
    assert voucher_number == f"{TILL}000001-03"
    numbers.append(pay(cashier, voucher["ticket_id"]).json()["number"])
    redeeming = ticket_with(cashier, ESPRESSO)
    body = refused(
        post(
            cashier,
            f"/api/tickets/{redeeming['ticket_id']}/pay/voucher",
            {"number": voucher_number},
        ),
        "FEATURE_OFFLINE",
    )
    assert body["detail"]["function"] == "voucher_redeem"
    numbers.append(pay(cashier, redeeming["ticket_id"]).json()["number"])

    # -- an event ticket is refused offline, nothing is booked --------------------------------
    concert = cashier.open()
    answer = post(cashier, f"/api/tickets/{concert}/bookings", {"plu": CONCERT_SEAT})
    refused(answer, "EVENT_TICKET_OFFLINE")
    assert cashier.http.get(f"/api/tickets/{concert}").json()["bookings"] == []
    cashier.book(concert, ESPRESSO)  # the guest takes a coffee instead
    numbers.append(pay(cashier, concert).json()["number"])

    # -- 48 admissions sold offline, 50 scans recorded at the gate ---------------------------
    admissions: list[str] = []
    for _ in range(4):
        ticket = cashier.open()
        sold = cashier.book(ticket, ADMISSION, 12)
        admissions += [b["issued_number"] for b in sold["bookings"]]
        numbers.append(pay(cashier, ticket).json()["number"])
    assert len(set(admissions)) == 48
    scans = [*admissions, admissions[0], f"{TILL}999999-04"]  # one twice, one never sold
    for number in scans:
        answer = post(cashier, "/api/gate-scans", {"number": number, "gate": "north"})
        assert answer.status_code in (200, 201), answer.text
        assert answer.json()["result"] == "pending"  # recorded; judged after the outage

    # -- a bill split and a table transfer between this till's own tickets --------------------
    three = ticket_with(cashier, ESPRESSO, CROISSANT, CAPPUCCINO, table=3)
    lines = [b["booking_id"] for b in three["bookings"]]
    split = post(
        cashier,
        f"/api/tickets/{three['ticket_id']}/split",
        {"booking_ids": lines[:1], "tenders": [{"method": "cash"}], "print_receipt": False},
    )
    assert split.status_code == 201, split.text
    numbers.append(split.json()["number"])
    moved = post(cashier, f"/api/tickets/{three['ticket_id']}/transfer", {"table": 5})
    assert moved.status_code == 200, moved.text
    five = moved.json()
    assert five["table"] == 5
    assert [b["booking_id"] for b in five["bookings"]] == lines[1:]
    assert all(b["offline"] for b in five["bookings"])  # each keeps its OFF mark
    numbers.append(pay(cashier, five["ticket_id"]).json()["number"])

    # -- the report of emergency mode, printed; the day close, queued -------------------------
    report = cashier.http.get("/api/reports/offline").json()
    assert report["figures"]["receipt_count"] == len(numbers)
    methods = {p["method"]: p for p in report["figures"]["payment_totals"]}
    assert methods["card"]["count"] == report["figures"]["stored_card_count"] == CARD_CAP
    assert any(line.startswith(f"  stored offline ({CARD_CAP})") for line in report["lines"])
    assert report["unsent_count"] > len(numbers)
    printed = post(cashier, "/api/reports/offline/print")
    assert printed.status_code == 200, printed.text
    closed = post(cashier, "/api/day-close", {"print_report": False})
    assert closed.status_code == 201, closed.text
    assert (closed.json()["z_number"], closed.json()["offline"]) == (1, True)

    status = cashier.status()
    unsent = cashier.http.get("/api/unsent", params={"limit": 10_000}).json()
    summary = cashier.http.get("/api/unsent/summary").json()
    kinds = Counter(d["kind"] for d in unsent)
    assert status["mode"] == "emergency"
    assert status["unsent_operations"] == len(unsent) == sum(summary["operations"].values())
    assert summary["operations"] == dict(kinds)
    assert status["unsent_receipts"] == kinds["ticket_closed"] == len(numbers)
    assert (kinds["gate_scanned"], kinds["day_closed"]) == (50, 1)
    assert summary["card_payments_awaiting_the_bank"] == CARD_CAP
    assert summary["gate_scans_awaiting_a_result"] == 50
    assert all(d["offline"] for d in unsent if not d["kind"].startswith("bookings_moved"))
    assert len(set(numbers)) == len(numbers)
    assert all(n.endswith("-02") for n in numbers)

    # -- the links return: every document arrives once, with its final result ----------------
    store.proxy.pass_through()
    store.set_bank_link(up=True)
    wait_for(
        lambda: cashier.status()["unsent_operations"] == 0,
        seconds=180,
        what="every document reaching the server",
    )
    on_server = store.back_office("/receipts", till_number=TILL)
    assert sorted(r["number"] for r in on_server) == sorted(numbers)
    (day_close,) = store.back_office("/day-closes", till_number=TILL)
    assert (day_close["z_number"], day_close["offline"]) == (1, True)
    assert day_close["receipt_count"] == len(numbers)

    settled = wait_for(
        lambda: (
            (p := store.back_office("/card-payments"))
            and all(c["state"] in ("approved", "declined") for c in p)
            and len(p) == CARD_CAP
            and p
        ),
        seconds=120,
        what="the bank's verdict on every stored card payment",
    )
    assert Counter(c["state"] for c in settled) == {"approved": CARD_CAP - 1, "declined": 1}
    debts = [f for f in store.back_office("/flags") if f["code"] == "CARD_DEBT"]
    assert len(debts) == 1
    mine = cashier.http.get("/api/card-payments").json()
    assert Counter(c["state"] for c in mine if c.get("receipt_number")) == Counter(
        {"approved": CARD_CAP - 1, "declined": 1}
    )

    results = wait_for(
        lambda: (
            (s := cashier.http.get("/api/gate-scans", params={"limit": 100}).json())
            and all(x["result"] != "pending" for x in s)
            and s
        ),
        seconds=60,
        what="the gate scans' results back at the till",
    )
    assert len(results) == 50
    assert Counter(x["result"] for x in results) == {"accepted": 48, "rejected": 2}
    on_gate = store.back_office("/gate-scans")
    assert len(on_gate) == 50  # each nonce registered once
    assert cashier.wait_for_mode("live")["unsent_operations"] == 0
