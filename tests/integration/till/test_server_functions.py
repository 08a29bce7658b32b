"""The functions that need the server, with a real server and a real till process (R2.4):
a voucher sold at the till is redeemed live and the receipt names it; with the server
stopped, redeeming is refused at once and nothing is written; the operator settlement
offline is the notice that closes itself after 45 s."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.till.conftest import TILL, TillApi, wait_for
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

VOUCHER_PLU = "900"
EVENT_PLU = "850"


@dataclass
class Store:
    server: Part
    till: Part
    cashier: TillApi

    def back_office(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url + "/api/v1",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )

    def pay_with_voucher(self, ticket_id: str, number: str, amount: str | None) -> httpx.Response:
        return self.cashier.http.post(
            f"/api/tickets/{ticket_id}/pay/voucher",
            json={"number": number, "amount": amount, "rest": "cash", "print_receipt": False},
        )

    def synced(self) -> dict[str, Any]:
        return wait_for(
            lambda: (s := self.cashier.status())["unsent_operations"] == 0 and s,
            seconds=20,
            what="the till's upload",
        )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    till = till_part(tmp_path, TILL, server.url).start()
    store = Store(server, till, TillApi.at(till.url))
    try:
        with store.back_office() as back_office:
            item = {"name": "Gift voucher 20", "price": "20.00", "tax_code": "A", "kind": "voucher"}
            assert back_office.put(f"/items/{VOUCHER_PLU}", json=item).status_code == 200
            seat = {
                "name": "Concert seat",
                "price": "35.00",
                "tax_code": "A",
                "kind": "event_ticket",
            }
            assert back_office.put(f"/items/{EVENT_PLU}", json=seat).status_code == 200
            assert back_office.put(f"/events/{EVENT_PLU}", json={"capacity": 2}).status_code == 200
        store.cashier.wait_until_ready()
        store.cashier.log_in()
        assert store.cashier.http.post("/api/master-data/refresh").status_code == 200
        store.cashier.wait_for_mode("live")
        yield store
    finally:
        store.till.stop()
        server.stop()


def test_a_voucher_sold_here_is_redeemed_live_and_refused_at_once_without_the_server(
    store: Store,
) -> None:
    sale = store.cashier.open()
    [voucher_line] = store.cashier.book(sale, VOUCHER_PLU)["bookings"]
    number = voucher_line["issued_number"]
    assert number == f"{TILL}000001-03"
    store.cashier.close(sale)
    store.synced()

    ticket = store.cashier.open()
    store.cashier.book(ticket, "100", 3)  # 7.20
    paid = store.pay_with_voucher(ticket, number, "5.00")
    assert paid.status_code == 201, paid.text
    assert any(
        line.startswith(f"Voucher {number}") and line.endswith("5.00")
        for line in paid.json()["lines"]
    )
    assert paid.json()["change"] == "0.00"
    store.synced()
    with store.back_office() as back_office:
        assert back_office.get(f"/vouchers/{number}").json()["remaining"] == "15.00"
        assert back_office.get("/flags").json() == []

    waiting = store.cashier.open()
    store.cashier.book(waiting, "100")
    store.synced()
    store.server.stop()
    started = time.monotonic()
    right_away = store.pay_with_voucher(waiting, number, None)
    took = time.monotonic() - started
    # Before the heartbeat has judged the link the call itself fails fast; after, the
    # matrix refuses without calling. Either way at once, and nothing is written.
    assert (right_away.status_code, right_away.json()["code"]) in (
        (503, "SERVER_UNREACHABLE"),
        (409, "FEATURE_OFFLINE"),
    ), right_away.text
    assert took < 2.0
    store.cashier.wait_for_mode("outage_pending", seconds=10)

    started = time.monotonic()
    refused = store.pay_with_voucher(waiting, number, None)
    took = time.monotonic() - started
    settlement = store.cashier.http.get("/api/operator-settlement")

    assert (refused.status_code, refused.json()["code"]) == (409, "FEATURE_OFFLINE")
    assert refused.json()["detail"]["function"] == "voucher_redeem"
    assert took < 0.5
    assert store.cashier.status()["unsent_operations"] == 0  # nothing written
    assert store.cashier.http.get(f"/api/tickets/{waiting}").json()["status"] == "open"
    assert (settlement.status_code, settlement.json()["code"]) == (409, "FEATURE_OFFLINE")
    assert settlement.json()["detail"]["closes_after_s"] == 45
    assert "server report" in settlement.json()["message"]


def test_the_operator_settlement_live_sums_the_operators_receipts_from_the_server(
    store: Store,
) -> None:
    first = store.cashier.sell("100", "200")  # 2.40 + 1.90
    second = store.cashier.sell("102")  # 3.40
    store.synced()

    answer = store.cashier.http.get("/api/operator-settlement")

    assert answer.status_code == 200, answer.text
    report = answer.json()["report"]
    assert [r["number"] for r in report["receipts"]] == [first, second]
    assert (report["receipt_count"], report["total"], report["tills"]) == (2, "7.70", [TILL])
    assert report["payments"] == [{"method": "cash", "amount": "7.70"}]
    assert answer.json()["unsent_here"] == 0


def test_a_backend_marked_down_on_the_server_disables_its_functions_on_the_till(
    store: Store,
) -> None:
    def functions() -> dict[str, dict[str, Any]]:
        answer = store.cashier.http.get("/api/functions")
        answer.raise_for_status()
        return {f["function"]: f for f in answer.json()}

    live = functions()
    assert (live["online_orders"]["level"], live["online_orders"]["note"]) == (
        "available",
        "No webshop is configured for this store.",
    )
    with store.back_office() as back_office:
        back_office.put("/backends/webshop", json={"up": False, "reason": "maintenance"})

    down = wait_for(
        lambda: (f := functions())["online_orders"]["level"] == "refused" and f,
        seconds=15,
        what="the till hearing that the webshop is down",
    )
    assert down["online_orders"]["words"] == "The webshop does not answer."
    assert down["online_orders"]["note"] is None
    assert down["integrated_payment"]["level"] == "available"  # its backend is up
    assert down["voucher_redeem"]["level"] == "available"

    with store.back_office() as back_office:
        back_office.put("/backends/webshop", json={"up": True})
    wait_for(
        lambda: functions()["online_orders"]["level"] == "available",
        seconds=15,
        what="the till hearing that the webshop is back",
    )


def test_an_event_ticket_is_booked_only_while_the_server_holds_a_seat_for_it(
    store: Store,
) -> None:
    first = store.cashier.open()
    booked = store.cashier.book(first, EVENT_PLU, 2)
    second = store.cashier.open()
    sold_out = store.cashier.http.post(
        f"/api/tickets/{second}/bookings", json={"plu": EVENT_PLU, "quantity": 1}
    )

    assert [b["quantity"] for b in booked["bookings"]] == [2]
    assert (sold_out.status_code, sold_out.json()["code"]) == (409, "EVENT_SOLD_OUT")
    assert store.cashier.http.get(f"/api/tickets/{second}").json()["bookings"] == []
    with store.back_office() as back_office:
        assert back_office.get(f"/events/{EVENT_PLU}").json()["left"] == 0
        back_office.put("/backends/ticketing", json={"up": False})
    offline = wait_for(
        lambda: (
            (
                answer := store.cashier.http.post(
                    f"/api/tickets/{second}/bookings", json={"plu": EVENT_PLU, "quantity": 1}
                )
            ).json()["code"]
            == "EVENT_TICKET_OFFLINE"
            and answer
        ),
        seconds=15,
        what="the till refusing event tickets while ticketing is down",
    )
    assert offline.json()["message"] == (
        "The ticketing system does not answer; sell event tickets when it is back."
    )


def test_a_ticket_put_on_a_customers_account_is_charged_when_its_receipt_arrives(
    store: Store,
) -> None:
    with store.back_office() as back_office:
        customer = {"name": "Café Krone", "credit_limit": "10.00"}
        assert back_office.put("/customers/7", json=customer).status_code == 200
    ticket = store.cashier.open()
    store.cashier.book(ticket, "100", 2)  # 4.80

    [found] = store.cashier.http.get("/api/customers", params={"q": "krone"}).json()
    too_much = store.cashier.http.post(
        f"/api/tickets/{ticket}/pay/account", json={"customer_number": 7, "amount": "4.81"}
    )
    paid = store.cashier.http.post(
        f"/api/tickets/{ticket}/pay/account",
        json={"customer_number": 7, "print_receipt": False},
    )

    assert (found["number"], found["available"]) == (7, "10.00")
    assert (too_much.status_code, too_much.json()["code"]) == (422, "ACCOUNT_OVERPAID")
    assert paid.status_code == 201, paid.text
    assert any(line.startswith("On account 7") for line in paid.json()["lines"])
    store.synced()
    [charged] = store.cashier.http.get("/api/customers", params={"q": "7"}).json()
    assert (charged["balance"], charged["available"]) == ("4.80", "5.20")
    over = store.cashier.open()
    store.cashier.book(over, "212")  # 7.90: more than is left
    refused = store.cashier.http.post(
        f"/api/tickets/{over}/pay/account", json={"customer_number": 7}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "ACCOUNT_LIMIT_REACHED")
    assert store.cashier.http.get(f"/api/tickets/{over}").json()["status"] == "open"
