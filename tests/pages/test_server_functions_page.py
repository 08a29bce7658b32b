"""The functions that need the server on the cashier page, in a real Chromium next to a
real server and till 10 (R2.4): the panel of every function follows the mode; in emergency
mode the server's functions are disabled with their reasons, and the operator settlement
tried offline is a notice the cashier confirms with OK or that closes itself after 45 s
(seed 000). The page's clock is Playwright's, fast-forwarded: no test waits 45 s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.till.conftest import TILL, TillApi
from tests.pages.test_mode_page import SOON, log_in_as_anna
from tests.support.processes import Part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]


@dataclass
class Store:
    server: Part
    till: Part
    cashier: TillApi


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    till = till_part(tmp_path, TILL, server.url).start()
    store = Store(server, till, TillApi.at(till.url))
    try:
        store.cashier.wait_until_ready()
        yield store
    finally:
        store.cashier.http.close()
        till.stop()
        server.stop()


def test_offline_the_server_functions_are_disabled_and_the_settlement_notice_closes_itself(
    page: Page, store: Store, artifacts: Path
) -> None:
    page.clock.install()
    log_in_as_anna(page, store)
    page.get_by_test_id("nav-tickets").click()
    redeem = page.get_by_test_id("function-voucher_redeem")
    expect(redeem).to_have_attribute("data-level", "available")
    expect(page.get_by_test_id("function-integrated_payment")).to_contain_text("not configured")

    store.server.stop()
    page.clock.run_for(3_000)  # the panel polls every 2 s (htmx, on the page's clock)
    expect(redeem).to_have_attribute("data-level", "refused", timeout=SOON)
    expect(redeem).to_contain_text("only the server knows whether it was already used")
    expect(page.get_by_test_id("function-voucher_sell")).to_have_attribute("data-level", "limited")
    page.screenshot(path=artifacts / "server-functions-offline.png", full_page=True)

    page.get_by_test_id("operator-settlement").click()
    notice = page.get_by_test_id("settlement-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("The operator settlement is a server report")
    expect(notice).to_have_attribute("data-closes-after-s", "45")
    page.screenshot(path=artifacts / "settlement-notice.png", full_page=True)
    page.get_by_test_id("settlement-notice-ok").click()  # confirmed with OK
    expect(page).to_have_url(f"{store.till.url}/tickets")

    page.get_by_test_id("operator-settlement").click()
    expect(notice).to_be_visible()
    page.clock.run_for(44_000)
    expect(notice).to_be_visible()  # still there after 44 s
    page.clock.run_for(2_000)
    expect(page).to_have_url(f"{store.till.url}/tickets")  # closed by itself
    expect(notice).to_have_count(0)
