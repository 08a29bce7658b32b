"""The gate page in a real Chromium next to a real server and till 10 (R2.6): a scanner types
the number and Enter, the result shows big; with the server stopped a scan shows RECORDED
with the outage banner, and turns into its result on the same page once the server is back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.till.conftest import TILL, TillApi, restart
from tests.integration.till.test_gate import add_admission_item, sell_admissions
from tests.support.processes import start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]

SOON = 10_000  # ms
BACK = 30_000  # ms: the server restarts, the till pushes, then fetches the results


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_test_id("login-operator-1").click()
    for digit in "1111":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("status-operator")).to_contain_text("Anna")


def scan(page: Page, number: str) -> None:
    field = page.get_by_test_id("scan-input")
    expect(field).to_be_focused()  # a scanner types into whatever has the focus
    field.type(number)
    field.press("Enter")


def test_the_gate_shows_each_result_big_and_a_scan_made_offline_once_it_is_checked(
    page: Page, tmp_path: Path
) -> None:
    server = start_seeded_server(tmp_path / "server")
    add_admission_item(server)
    till = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till.url)
        cashier.wait_until_ready()
        cashier.log_in()
        (first, second), _ = sell_admissions(cashier, 2)
        log_in(page, till.url)
        page.get_by_test_id("nav-gate").click()
        last = page.get_by_test_id("gate-last")

        scan(page, first)
        expect(last).to_have_attribute("data-result", "accepted", timeout=SOON)
        expect(last).to_contain_text("ACCEPTED")
        scan(page, first)
        expect(last).to_have_attribute("data-result", "rejected", timeout=SOON)
        expect(last).to_contain_text("already used at")

        server.stop()
        cashier.wait_for_mode("outage_pending")
        cashier.choose("emergency")
        page.reload()
        expect(page.get_by_test_id("gate-offline")).to_be_visible()
        scan(page, second)
        expect(last).to_have_attribute("data-result", "pending", timeout=SOON)
        expect(last).to_contain_text("will be checked after the outage")

        server = restart(server)
        expect(last).to_have_attribute("data-result", "accepted", timeout=BACK)  # no reload
        expect(page.get_by_test_id("gate-pending")).to_have_count(0)
    finally:
        till.stop()
        server.stop()
