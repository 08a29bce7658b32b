"""The uploader against the real server: sales made while the server is stopped are kept
on the till and uploaded exactly once after it starts again (invariants 1 and 2, R2.7)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.till.conftest import TILL, TillApi, read_till_database, restart, wait_for
from tests.support.processes import ADMIN_TOKEN, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

SALES_WHILE_DOWN = 5


def test_sales_made_while_the_server_is_stopped_are_uploaded_once_after_it_starts(
    tmp_path: Path,
) -> None:
    server = start_seeded_server(tmp_path / "server")
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        live = cashier.sell("100")
        wait_for(
            lambda: cashier.status()["unsent_operations"] == 0,
            seconds=30,
            what="the live sale's upload",
        )

        server.stop()
        cashier.wait_for_mode("outage_pending")
        assert cashier.choose("emergency")["mode"] == "emergency"
        offline = [cashier.sell("102", "200") for _ in range(SALES_WHILE_DOWN)]
        while_down = cashier.status()
        unsent_receipts = {r["number"] for r in cashier.receipts() if not r["sent"]}

        server = restart(server)
        after = wait_for(
            lambda: (s := cashier.status())["unsent_operations"] == 0 and s,
            seconds=60,
            what="the upload after the server came back",
        )
        back_live = cashier.wait_for_mode("live")
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as back_office:
            on_server = back_office.get("/api/v1/receipts", params={"till_number": TILL}).json()
            tills = back_office.get("/api/v1/tills").json()
            flags = back_office.get("/api/v1/flags").json()
        _, seqs, _ = read_till_database(tmp_path / f"till-{TILL}")
    finally:
        till_process.stop()
        server.stop()

    assert while_down["unsent_receipts"] == SALES_WHILE_DOWN
    assert while_down["unsent_operations"] == SALES_WHILE_DOWN * 4  # open, 2 bookings, close
    assert unsent_receipts == set(offline)
    assert all(number.endswith("-02") for number in offline)  # the emergency range (R2.3)
    assert back_live["icon"] == "synced"
    assert after["upload_problem"] is None
    assert sorted(r["number"] for r in on_server) == sorted([live, *offline])
    assert [t["applied_through"] for t in tills if t["till_number"] == TILL] == [seqs[-1]]
    assert flags == []
