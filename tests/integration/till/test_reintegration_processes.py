"""Reintegration end to end (R3.2, R3.3, issue 9 points 2, 3, 4, 6) with real processes: the
server, till 11 on it directly and till 10 behind a fault proxy. Table 3 is open live on
till 11; till 10 loses the server, sells in emergency mode — table 3 opened again there,
table 5, and an OFF line on table 7, which it had adopted and till 11 pays meanwhile. When
the server is back the dialog says what will happen to each table; "synchronise now"
merges table 3 into till 11's ticket (the offline operator its owner, the OFF marks kept),
table 5 moves 1:1, table 7's OFF line waits on a follow-up ticket flagged for review; the
sync report is made on the server and printed at till 10; and a table paid elsewhere is
seen as paid there, never billed twice."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from autonom.domain.ticket import OFFLINE_VOID_REASON
from tests.integration.till.conftest import BEN, BEN_PIN, TillApi, wait_for
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

ESPRESSO, CAPPUCCINO, CROISSANT = "100", "102", "200"


@dataclass
class Store:
    server: Part
    proxy: FaultProxy
    till_10: TillApi  # behind the proxy: the one that loses the server
    till_11: TillApi
    printed: Path  # till 10's printer (a file of ESC/POS)

    def back_office(self, path: str, **params: Any) -> Any:
        answer = httpx.get(
            f"{self.server.url}/api/v1{path}",
            params=params,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        answer.raise_for_status()
        return answer.json()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    try:
        with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as proxy:
            ten = till_part(tmp_path, 10, proxy.url).start()
            eleven = till_part(tmp_path, 11, server.url).start()
            try:
                till_10, till_11 = TillApi.at(ten.url), TillApi.at(eleven.url)
                for till in (till_10, till_11):
                    till.wait_until_ready()
                till_10.log_in(BEN, BEN_PIN)  # Ben sells on till 10 through the outage
                till_11.log_in()
                till_10.wait_for_mode("live")
                yield Store(server, proxy, till_10, till_11, tmp_path / "till-10/receipts.escpos")
            finally:
                eleven.stop()
                ten.stop()
    finally:
        server.stop()


def synced(till: TillApi) -> None:
    wait_for(lambda: till.status()["unsent_operations"] == 0, seconds=30, what="the upload")


@pytest.mark.timeout(240)
def test_a_table_sold_on_both_sides_of_an_outage_ends_as_one_ticket_with_a_report(
    store: Store,
) -> None:
    ten, eleven = store.till_10, store.till_11
    table_3 = eleven.open(3)
    eleven.book(table_3, ESPRESSO)
    table_7 = eleven.open(7)
    eleven.book(table_7, ESPRESSO)
    synced(eleven)
    assert ten.open(7) == table_7  # live: till 10 adopts till 11's table

    # -- the outage: till 10 in emergency mode -------------------------------------------------
    store.proxy.blackhole()
    ten.wait_for_mode("outage_pending")
    refused = ten.http.post("/api/tickets", json={"table": 4})
    assert refused.json()["code"] == "OUTAGE_UNDECIDED"  # no table opens here undecided
    assert ten.choose("emergency")["mode"] == "emergency"
    offline_3 = ten.open(3)
    assert offline_3 != table_3
    ten.book(offline_3, CROISSANT)
    ten.book(offline_3, ESPRESSO)  # re-booked: till 11's table had an espresso already
    table_5 = ten.open(5)
    ten.book(table_5, CAPPUCCINO)
    ten.book(table_7, CROISSANT)  # an OFF line on the adopted table …
    eleven.close(table_7)  # … which till 11 pays meanwhile, without it

    # -- the server is back: the dialog says what happens to each local table ----------------
    store.proxy.pass_through()
    status = ten.wait_for_mode("server_available", seconds=30)
    plan = wait_for(
        lambda: len((s := ten.status())["dialog"]["plan"]) == 3 and s["dialog"]["plan"],
        seconds=15,
        what="the dialog's list of local tables",
    )
    fates = {p["table"]: (p["fate"], p["total"], p["off_lines"]) for p in plan}
    assert fates == {
        3: ("merge", "4.30", 2),
        5: ("move", "3.40", 1),
        7: ("follow_up", "4.30", 1),
    }
    merge = next(p for p in plan if p["table"] == 3)
    assert merge["server_ticket_id"] == table_3
    assert "merges with the server's ticket of table 3" in merge["words"]
    assert status["dialog"]["kind"] == "server_available"

    ten.choose("sync_now")
    ten.wait_for_mode("live", seconds=60)
    synced(ten)

    # -- the server: table 3 one ticket, the offline operator its owner, OFF kept -------------
    open_tickets = {t["table"]: t for t in store.back_office("/tickets", status="open")}
    assert sorted(open_tickets) == [3, 5, 7]
    three = open_tickets[3]
    assert three["ticket_id"] == table_3
    assert three["owner"] == BEN
    assert [(b["plu"], b["offline"]) for b in three["bookings"]] == [
        (ESPRESSO, False),
        (CROISSANT, True),
        (ESPRESSO, True),
    ]
    assert open_tickets[5]["ticket_id"] == table_5  # moved 1:1
    follow_up = open_tickets[7]
    assert follow_up["follows"] == table_7
    assert [(b["plu"], b["offline"]) for b in follow_up["bookings"]] == [(CROISSANT, True)]
    flags = store.back_office("/flags")
    assert [(f["code"], f["ticket_id"]) for f in flags] == [
        ("FOLLOW_UP_TICKET", follow_up["ticket_id"])
    ]

    # -- the sync report: made on the server, printed at till 10 ------------------------------
    printed = wait_for(
        lambda: (a := ten.http.get("/api/sync-report")).status_code == 200 and a.json(),
        seconds=30,
        what="the sync report at till 10",
    )
    report = printed["report"]
    assert [(m["table"], m["lines"], m["owner"]) for m in report["merged"]] == [(3, 2, BEN)]
    assert [t["table"] for t in report["moved"]] == [5]
    assert [c["code"] for c in report["conflicts"]] == ["FOLLOW_UP_TICKET"]
    assert printed["printer_problem"] is None
    assert b"SYNC REPORT" in store.printed.read_bytes()
    [kept] = store.back_office("/sync-reports", till_number=10)
    assert kept["report_id"] == report["report_id"]

    # -- live again: both tills see table 3 as one ticket; the re-booked espresso is voided ---
    assert eleven.open(3) == ten.open(3) == table_3
    duplicate = next(b for b in three["bookings"] if b["plu"] == ESPRESSO and b["offline"])
    voided = ten.http.post(
        f"/api/tickets/{table_3}/bookings/{duplicate['booking_id']}/void",
        json={"reason": OFFLINE_VOID_REASON},
    )
    assert voided.status_code == 200, voided.text
    synced(ten)  # till 11 pays what the server holds: the void first
    number = eleven.close(table_3)
    synced(eleven)
    [paid_3] = [r for r in store.back_office("/receipts") if r["number"] == number]
    assert paid_3["total"] == "4.30"  # espresso and croissant; the duplicate voided

    # -- a table paid elsewhere is seen as paid: till 10's table 7 is not billed again --------
    again = ten.http.post(f"/api/tickets/{table_7}/refresh")
    assert again.json()["status"] == "closed"
    twice = ten.http.post(f"/api/tickets/{table_7}/close", json={"tenders": [{"method": "cash"}]})
    assert twice.json()["code"] == "TICKET_CLOSED"
    assert ten.open(7) == follow_up["ticket_id"]  # the OFF line waits on the follow-up
    ten.close(follow_up["ticket_id"])
    synced(ten)
    assert [t["table"] for t in store.back_office("/tickets", status="open")] == [5]
