"""Shared tables in live mode between two real till processes and the real server: the
second till adopts the table's ticket with the first till's bookings, and pushes only its
own operations (R3.2 groundwork)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.integration.till.conftest import BEN, BEN_PIN, TillApi, wait_for
from tests.support.processes import ADMIN_TOKEN, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

TABLE = 4


def test_second_till_adopts_a_table_and_the_server_gets_one_receipt(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path / "server")
    first_process = till_part(tmp_path, 10, server.url).start()
    second_process = till_part(tmp_path, 11, server.url).start()
    try:
        first, second = TillApi.at(first_process.url), TillApi.at(second_process.url)
        for till in (first, second):
            till.wait_until_ready()
        first.log_in()
        second.log_in(BEN, BEN_PIN)
        ticket_id = first.open(TABLE)
        first.book(ticket_id, "100")
        wait_for(lambda: first.status()["unsent_operations"] == 0, seconds=30, what="upload")

        adopted = second.open(TABLE)
        seen_on_second = second.book(adopted, "102")
        number = second.close(adopted)
        wait_for(lambda: second.status()["unsent_operations"] == 0, seconds=30, what="upload")
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as back_office:
            receipts = back_office.get("/api/v1/receipts").json()
            flags = back_office.get("/api/v1/flags").json()
            tills = {t["till_number"]: t for t in back_office.get("/api/v1/tills").json()}
        upload_problem = second.status()["upload_problem"]
    finally:
        second_process.stop()
        first_process.stop()
        server.stop()

    assert adopted == ticket_id
    assert [(b["plu"], b["till_number"]) for b in seen_on_second["bookings"]] == [
        ("100", 10),
        ("102", 11),
    ]
    assert [(r["number"], r["total"]) for r in receipts] == [(number, "5.80")]
    assert number.startswith("11")
    assert flags == []
    assert upload_problem is None
    # Till 11 pushed its own booking and the close, not till 10's booking again.
    assert tills[11]["applied_through"] == 2
