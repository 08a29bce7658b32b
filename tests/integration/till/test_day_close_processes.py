"""The day close with real ``autonom till`` and ``autonom server`` processes (R2.8): made in
emergency mode it is queued with its date and time and uploaded in order, once, when the
server answers; a till killed with SIGKILL right after a day close keeps it and its number,
and the next one follows it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.till.conftest import TILL, TillApi, read_till_database, restart, wait_for
from tests.support.processes import ADMIN_TOKEN, start_seeded_server, till_part

pytestmark = pytest.mark.e2e


def close_the_day(cashier: TillApi) -> dict[str, Any]:
    answer = cashier.http.post("/api/day-close", json={})
    assert answer.status_code == 201, answer.text
    z: dict[str, Any] = answer.json()
    return z


def back_office(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})


def test_a_day_close_in_emergency_mode_is_queued_and_uploaded_in_order_once(
    tmp_path: Path,
) -> None:
    server = start_seeded_server(tmp_path / "server")
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        live = cashier.sell("100")
        server.stop()
        cashier.wait_for_mode("outage_pending")
        refused = cashier.http.post("/api/day-close", json={})  # R1.4: decide first
        assert cashier.choose("emergency")["mode"] == "emergency"
        offline = [cashier.sell("102", "200") for _ in range(3)]
        report = cashier.http.get("/api/reports/offline").json()
        z = close_the_day(cashier)
        unsent = cashier.http.get("/api/unsent").json()

        server = restart(server)
        wait_for(
            lambda: cashier.status()["unsent_operations"] == 0,
            seconds=60,
            what="the upload after the server came back",
        )
        with back_office(server.url) as office:
            on_server = office.get("/api/v1/day-closes", params={"till_number": TILL}).json()
            receipts = office.get("/api/v1/receipts", params={"till_number": TILL}).json()
            flags = office.get("/api/v1/flags").json()
            tills = office.get("/api/v1/tills").json()
        _, seqs, _ = read_till_database(tmp_path / f"till-{TILL}")
    finally:
        till_process.stop()
        server.stop()

    assert (refused.status_code, refused.json()["code"]) == (409, "OUTAGE_UNDECIDED")
    assert report["figures"]["receipt_count"] == 3
    assert set(report["unsent_receipts"]) == set(offline)
    assert (z["z_number"], z["offline"]) == (1, True)
    assert z["figures"]["receipt_count"] == 4  # the live receipt and the three offline ones
    assert z["figures"]["emergency_count"] == 3
    assert unsent[-1]["kind"] == "day_closed", "queued after the receipts it counts"
    assert unsent[-1]["seq"] == seqs[-1]
    assert datetime.fromisoformat(unsent[-1]["recorded_at"]) == datetime.fromisoformat(
        z["made_at"]
    ), "queued with its date and time"
    [kept] = on_server
    assert (kept["z_number"], kept["document_id"], kept["offline"]) == (1, z["document_id"], True)
    assert datetime.fromisoformat(kept["closed_at"]) == datetime.fromisoformat(z["made_at"])
    assert kept["receipt_count"] == 4
    assert kept["sales_total"] == z["figures"]["sales_total"]
    assert sorted(r["number"] for r in receipts) == sorted([live, *offline])
    assert flags == []
    assert [t["applied_through"] for t in tills if t["till_number"] == TILL] == [seqs[-1]]


def test_a_till_killed_right_after_a_day_close_keeps_it_and_its_number(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path / "server")
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        cashier.sell("100", "200")
        first = close_the_day(cashier)
        till_process.kill()  # SIGKILL the moment the day close was answered

        till_process = restart(till_process)
        after = TillApi.at(till_process.url)
        after.log_in()
        kept = after.http.get("/api/day-closes").json()
        interim = after.http.get("/api/reports/x").json()
        after.sell("102")
        second = close_the_day(after)
        wait_for(
            lambda: after.status()["unsent_operations"] == 0,
            seconds=60,
            what="the upload of both day closes",
        )
        with back_office(server.url) as office:
            on_server = office.get("/api/v1/day-closes", params={"till_number": TILL}).json()
            flags = office.get("/api/v1/flags").json()
    finally:
        till_process.stop()
        server.stop()

    assert [(k["z_number"], k["document_id"]) for k in kept] == [(1, first["document_id"])]
    assert interim["figures"]["receipt_count"] == 0, "the killed till's period was closed"
    assert second["z_number"] == 2
    assert second["figures"]["receipt_count"] == 1
    assert second["grand_total"] == str(
        sum(Decimal(z["figures"]["sales_total"]) for z in (first, second))
    )
    assert [(d["z_number"], d["duplicate"]) for d in on_server] == [(1, False), (2, False)]
    assert flags == []
