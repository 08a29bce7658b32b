"""Bill split and table transfer on the cashier page in a real Chromium, live with a real
server: the cashier checks a line and pays it on its own, then moves the rest of the table;
the server ends with the one open table and the split's receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Part, Part]]:
    server = start_seeded_server(tmp_path)
    till = till_part(tmp_path, 10, server.url).start()
    try:
        yield server, till
    finally:
        till.stop()
        server.stop()


def back_office(server: Part, path: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{server.url}/api/v1{path}",
        params=params,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    answer.raise_for_status()
    return answer.json()


def test_cashier_pays_a_checked_line_on_its_own_and_moves_the_rest_of_the_table(
    store: tuple[Part, Part], page: Page, artifacts: Path
) -> None:
    server, till = store
    page.goto(till.url)
    expect(page.get_by_test_id("login-operator-1")).to_be_visible(timeout=15_000)
    page.get_by_test_id("login-operator-1").click()
    for digit in "1111":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()

    page.get_by_test_id("table-3").click()
    expect(page.get_by_test_id("ticket-title")).to_have_text("Table 3")
    for plu, total in (("100", "2.40"), ("200", "4.30"), ("102", "7.70")):
        page.get_by_test_id(f"item-{plu}").click()
        expect(page.get_by_test_id("ticket-total")).to_contain_text(total)

    croissant = page.get_by_role("checkbox", name="Choose Croissant")
    croissant.check()
    page.get_by_test_id("pay-selected").click()
    expect(page.get_by_test_id("pay-total")).to_contain_text("1.90")
    page.get_by_test_id("pay-cash").click()  # the amount due, in cash
    expect(page.get_by_test_id("receipt-view")).to_contain_text("Croissant")
    expect(page.get_by_test_id("receipt-view")).not_to_contain_text("Espresso")

    page.goto(f"{till.url}/tickets")
    page.get_by_test_id("table-3").click()
    expect(page.get_by_test_id("ticket-total")).to_contain_text("5.80")
    page.get_by_test_id("move-table-input").fill("4")
    page.get_by_test_id("move-to-table").click()  # none checked: the whole ticket
    expect(page.get_by_test_id("ticket-title")).to_have_text("Table 4")
    expect(page.get_by_test_id("ticket-total")).to_contain_text("5.80")
    page.screenshot(path=str(artifacts / "cashier-table-moved.png"), full_page=True)

    expect(page.get_by_test_id("unsent-count")).to_contain_text(
        "unsent: 0 receipts · 0 ops", timeout=10_000
    )
    open_tables = back_office(server, "/tickets", status="open")
    assert [(t["table"], t["total"]) for t in open_tables] == [(4, "5.80")]
    [receipt] = back_office(server, "/receipts", till_number=10)
    assert receipt["total"] == "1.90"
    assert back_office(server, "/flags") == []
