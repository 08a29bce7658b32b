"""Reintegration on the pages in a real Chromium (R3.2, R3.3, issue 9 point 6): till 10
loses the server and books table 3, which till 11 holds open live; when the server is back
the cashier reads in the dialog what will happen to the table, synchronises, and sees the
merged table with its OFF lines; the store manager reads the sync report in the back
office, with the merged table's OFF lines and the report as printed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.till.conftest import TillApi, wait_for
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]

ESPRESSO, CROISSANT = "100", "200"
SOON = 15_000  # ms


@dataclass
class Store:
    server: Part
    proxy: FaultProxy
    till_10: Part
    till_11: TillApi


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    try:
        with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as proxy:
            ten = till_part(tmp_path, 10, proxy.url).start()
            eleven = till_part(tmp_path, 11, server.url).start()
            try:
                till_11 = TillApi.at(eleven.url)
                for till in (TillApi.at(ten.url), till_11):
                    till.wait_until_ready()
                till_11.log_in()
                yield Store(server, proxy, ten, till_11)
            finally:
                eleven.stop()
                ten.stop()
    finally:
        server.stop()


def log_in_as_ben(page: Page, store: Store) -> None:
    page.goto(store.till_10.url)
    expect(page.get_by_test_id("login-operator-2")).to_be_visible(timeout=SOON)
    page.get_by_test_id("login-operator-2").click()
    for digit in "2222":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("new-ticket")).to_be_visible()


def test_a_merged_table_shows_its_off_lines_and_the_back_office_its_sync_report(
    store: Store, page: Page, artifacts: Path
) -> None:
    table_3 = store.till_11.open(3)
    store.till_11.book(table_3, ESPRESSO)
    wait_for(lambda: store.till_11.status()["unsent_operations"] == 0, seconds=30, what="upload")
    log_in_as_ben(page, store)

    store.proxy.blackhole()
    dialog = page.get_by_test_id("mode-dialog")
    expect(dialog).to_have_attribute("data-kind", "emergency_or_retry", timeout=SOON)
    page.get_by_test_id("choose-emergency").click()
    page.get_by_test_id("table-3").click()
    expect(page.get_by_test_id("ticket-title")).to_have_text("Table 3")
    for plu in (CROISSANT, ESPRESSO):
        page.get_by_test_id(f"item-{plu}").click()
    expect(page.get_by_test_id("ticket-total")).to_contain_text("4.30")

    store.proxy.pass_through()
    expect(dialog).to_have_attribute("data-kind", "server_available", timeout=SOON)
    merge = page.get_by_test_id("plan-merge")
    expect(merge).to_contain_text("Table 3", timeout=SOON)
    expect(merge).to_contain_text("merges with the server's ticket of table 3")
    expect(merge).to_contain_text("OFF")
    page.screenshot(path=str(artifacts / "reintegration-dialog.png"), full_page=True)
    page.get_by_test_id("choose-sync_now").click()
    expect(page.get_by_test_id("status-icon")).to_have_attribute("data-mode", "live", timeout=SOON)

    page.goto(f"{store.till_10.url}/tickets")
    expect(page.get_by_test_id(f"ticket-{table_3}")).to_contain_text("OFF × 2")
    page.goto(f"{store.till_10.url}/tickets/{table_3}")
    lines = page.get_by_test_id("ticket-lines")
    expect(lines).to_contain_text("Croissant")
    expect(lines.locator(".mark")).to_have_count(2)  # OFF: booked in emergency mode
    expect(page.get_by_test_id("ticket-total")).to_contain_text("6.70")
    page.screenshot(path=str(artifacts / "reintegration-merged-table.png"), full_page=True)

    page.goto(f"{store.server.url}/back-office/login")
    page.get_by_test_id("login-token").fill(ADMIN_TOKEN)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("nav-sync-reports").click()
    link = page.get_by_test_id("sync-report-link")
    # The till asks for its report once everything is on the server: the list reloads.
    for _ in range(30):
        if link.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    link.first.click()
    expect(page.get_by_test_id("report-merge")).to_contain_text("Table 3")
    expect(page.get_by_test_id("report-merge")).to_contain_text("operator 2")
    expect(page.get_by_test_id("off-mark")).to_have_count(2)
    expect(page.get_by_test_id("report-printed")).to_contain_text("SYNC REPORT")
    expect(page.get_by_test_id("report-printed")).to_contain_text(re.compile(r"MERGED \(1\)"))
    page.screenshot(path=str(artifacts / "back-office-sync-report.png"), full_page=True)

    # Back at till 10: the espresso booked again offline duplicates till 11's; one click
    # voids it with the reason of emergency mode.
    page.goto(f"{store.till_10.url}/tickets/{table_3}")
    duplicate = lines.locator("tr", has_text="Espresso").filter(has=page.locator(".mark"))
    line_id = (duplicate.get_attribute("data-testid") or "").removeprefix("line-")
    page.get_by_test_id(f"void-{line_id}").click()
    page.get_by_test_id(f"void-offline-{line_id}").click()
    expect(page.get_by_test_id("ticket-total")).to_contain_text("4.30")
    expect(lines).to_contain_text("voided: void due to emergency mode")
