"""The gate with real processes (R2.6): a till scans admissions live and gets each result at
once; with the server stopped it records scans pending (and sells admissions marked "not
valid at the gate until synced"), keeps them through a hard restart, and when the server is
back the scans are registered once and every result comes back to the gate."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.till.conftest import ANNA, ANNA_PIN, TILL, TillApi, restart, wait_for
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

ADMISSION = "800"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def add_admission_item(server: Part) -> None:
    answer = httpx.put(
        f"{server.url}/api/v1/items/{ADMISSION}",
        json={"name": "Day admission", "price": "12.00", "tax_code": "B", "kind": "admission"},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text


def sell_admissions(cashier: TillApi, count: int) -> tuple[list[str], str]:
    """One receipt of ``count`` admissions: their numbers and the receipt's number."""
    ticket_id = cashier.open()
    ticket = cashier.book(ticket_id, ADMISSION, quantity=count)
    numbers = [b["issued_number"] for b in ticket["bookings"]]
    return numbers, cashier.close(ticket_id)


def scan(cashier: TillApi, number: str, nonce: str | None = None) -> dict[str, Any]:
    body = {"number": number, "gate": "north"} | ({"nonce": nonce} if nonce else {})
    answer = cashier.http.post("/api/gate-scans", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_scans_live_and_offline_each_get_their_result_back_at_the_gate(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path / "server")
    add_admission_item(server)
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        (first, second), _ = sell_admissions(cashier, 2)
        wait_for(
            lambda: cashier.status()["unsent_operations"] == 0, seconds=30, what="the live sale"
        )

        # Live: the server judges each scan at once.
        nonce = str(uuid.uuid4())
        live = [scan(cashier, first), scan(cashier, first), scan(cashier, second, nonce)]
        live.append(scan(cashier, second, nonce))  # the same scan sent again

        # The server stops: emergency mode; admissions still sell, scans are recorded.
        server.stop()
        cashier.wait_for_mode("outage_pending")
        assert cashier.choose("emergency")["mode"] == "emergency"
        offline_sold, receipt = sell_admissions(cashier, 2)
        printed = cashier.http.get(f"/api/receipts/{receipt}").json()["lines"]
        story = [*offline_sold, offline_sold[0], second, f"{TILL}000777-04"]
        offline = [scan(cashier, number) for number in story]
        # The till is switched off hard and on again: the recorded scans are still there.
        till_process.kill()
        till_process = restart(till_process)
        cashier.log_in()
        while_down = cashier.http.get("/api/gate-scans", params={"pending": True}).json()
        unsent = cashier.status()["unsent_operations"]

        server = restart(server)
        wait_for(
            lambda: cashier.http.get("/api/gate-scans", params={"pending": True}).json() == [],
            seconds=60,
            what="the results of the offline scans",
        )
        kept = {s["nonce"]: s for s in cashier.http.get("/api/gate-scans").json()}
        with httpx.Client(base_url=till_process.url) as page:
            page.post(f"/login/{ANNA}", data={"pin": ANNA_PIN})
            gate_list = page.get("/gate/scans").text
        with httpx.Client(base_url=server.url, headers=ADMIN) as back_office:
            registered = back_office.get("/api/v1/gate-scans").json()
            admissions = {a["number"]: a for a in back_office.get("/api/v1/admissions").json()}
    finally:
        till_process.stop()
        server.stop()

    assert [s["result"] for s in live] == ["accepted", "rejected", "accepted", "duplicate"]
    assert "already used at" in live[1]["words"]

    assert receipt.endswith("-02")  # the emergency range
    assert sum("not valid at the gate until synced" in line for line in printed) == 2
    assert [s["result"] for s in offline] == ["pending"] * 5
    assert all(s["offline"] for s in offline)
    assert len(while_down) == 5
    assert unsent >= 5 + 4  # the scans and the sale wait in the outbox with the receipt

    results = [(kept[s["nonce"]]["result"], kept[s["nonce"]]["words"]) for s in offline]
    assert [r for r, _ in results] == ["accepted", "accepted", "rejected", "rejected", "rejected"]
    assert "already used" in results[2][1]
    assert "already used" in results[3][1]
    assert "unknown number" in results[4][1]
    for s in offline:
        assert f'data-nonce="{s["nonce"]}" data-result="{kept[s["nonce"]]["result"]}"' in gate_list

    # Each scan once on the server: 3 live nonces (one sent twice) and 5 offline ones.
    assert len(registered) == 8
    assert {a["state"] for a in admissions.values()} == {"used"}
    assert all(admissions[n]["offline"] for n in offline_sold)
