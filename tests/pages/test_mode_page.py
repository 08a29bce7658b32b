"""The till's mode on the cashier page, in a real Chromium next to a real server and till 10:
the status icon (R2.7), the outage dialog and emergency mode (R1.4), the automatic return to
live mode (R1.5) and the choice when the server is back with local open tickets (R1.6).

The server is stopped and started again on its port, exactly as a store loses it. Every wait
is a deadline for something the cashier would see, never a timed assertion."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.integration.till.conftest import TILL, TillApi, restart, wait_for
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]

SOON = 10_000  # ms: the till notices a stopped or returning server well within a second
REINTEGRATED = 20_000  # ms: back online, the emergency documents are uploaded, then live
AUTO_RETURN = 45_000  # ms: R1.5's 30 s countdown plus a generous margin

ESPRESSO, CROISSANT = "100", "200"  # the demo café's items: 2.40 and 1.90


@dataclass
class Store:
    """The seeded server and till 10 as real processes; the server can go away and return."""

    server: Part
    till: Part
    cashier: TillApi

    def stop_server(self) -> None:
        self.server.stop()

    def restart_server(self) -> None:
        self.server = restart(self.server)

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )

    def receipts_on_server(self) -> list[str]:
        """The numbers of the receipts the server holds for till 10."""
        with self.admin() as back_office:
            answer = back_office.get("/api/v1/receipts", params={"till_number": TILL})
        answer.raise_for_status()
        return [str(r["number"]) for r in answer.json()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    till = till_part(tmp_path, TILL, server.url).start()
    cashier = TillApi.at(till.url)
    store = Store(server, till, cashier)
    try:
        cashier.wait_until_ready()
        yield store
    finally:
        cashier.http.close()
        till.stop()
        store.server.stop()


# -- what the cashier does and sees ----------------------------------------------------------


def log_in_as_anna(page: Page, store: Store) -> None:
    page.goto(store.till.url)
    page.get_by_test_id("login-operator-1").click()
    for digit in "1111":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("status-operator")).to_contain_text("Anna")


def open_table(page: Page, table: int, *plus: str) -> None:
    """Open ``table`` from the ticket list and book one of each PLU on it."""
    page.get_by_test_id("nav-tickets").click()
    page.get_by_test_id(f"table-{table}").click()
    expect(page.get_by_test_id("ticket-title")).to_have_text(f"Table {table}")
    book(page, *plus)


def book(page: Page, *plus: str) -> None:
    lines = page.get_by_test_id("ticket-lines").locator("tr[data-testid^='line-']")
    for plu in plus:
        booked = lines.count()
        page.get_by_test_id(f"item-{plu}").click()
        expect(lines).to_have_count(booked + 1)


def pay_cash(page: Page, tendered: str = "10.00") -> None:
    """From the ticket or the pay screen: pay cash with ``tendered``."""
    if page.get_by_test_id("tendered-input").count() == 0:
        page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("tendered-input")).to_be_visible()
    page.get_by_test_id("tendered-input").fill(tendered)
    page.get_by_test_id("pay-cash").click()


def receipt_number(page: Page) -> str:
    number = page.get_by_test_id("receipt-number")
    expect(number).to_be_visible()
    return number.inner_text().strip()


def icon(page: Page) -> Locator:
    return page.get_by_test_id("status-icon")


def dialog(page: Page) -> Locator:
    return page.get_by_test_id("mode-dialog")


def notice(page: Page) -> Locator:
    return page.get_by_test_id("mode-notice")


def alert(page: Page, code: str) -> Locator:
    return page.locator(f"[data-testid='alert'][data-code='{code}']")


def expect_status(page: Page, *, shown: str, mode: str, timeout: float = SOON) -> None:
    """The status icon shows ``shown`` and names ``mode`` (within ``timeout`` ms)."""
    expect(icon(page)).to_have_attribute("data-icon", shown, timeout=timeout)
    expect(icon(page)).to_have_attribute("data-mode", mode, timeout=timeout)


def lose_the_server(page: Page, store: Store, *, dialog_kind: str) -> None:
    """The server stops; the page shows the outage and asks the cashier."""
    store.stop_server()
    expect_status(page, shown="outage", mode="outage_pending")
    expect(dialog(page)).to_have_attribute("data-kind", dialog_kind, timeout=SOON)


def go_into_emergency_mode(page: Page, store: Store) -> None:
    lose_the_server(page, store, dialog_kind="emergency_or_retry")
    page.get_by_test_id("choose-emergency").click()
    expect_status(page, shown="emergency", mode="emergency")
    expect(dialog(page)).to_have_count(0)


# -- R1.4 + R2.7: the outage, emergency mode and the way back --------------------------------


def test_outage_asks_the_cashier_and_emergency_receipts_are_listed_then_uploaded_once(
    store: Store, page: Page, artifacts: Path
) -> None:
    log_in_as_anna(page, store)
    expect_status(page, shown="synced", mode="live")
    open_table(page, 1, ESPRESSO)

    lose_the_server(page, store, dialog_kind="emergency_or_retry")
    expect(page.get_by_test_id("choose-retry")).to_be_visible()
    pay_cash(page)
    expect(alert(page, "OUTAGE_UNDECIDED")).to_be_visible()
    expect(page.get_by_test_id("receipt-number")).to_have_count(0)
    page.screenshot(path=str(artifacts / "mode-outage-dialog.png"), full_page=True)

    page.get_by_test_id("choose-emergency").click()
    expect_status(page, shown="emergency", mode="emergency")
    page.get_by_test_id("back-to-ticket").click()
    book(page, CROISSANT)
    expect(page.get_by_test_id("ticket-total")).to_have_text("4.30")
    pay_cash(page)
    expect(page.get_by_test_id("receipt-change")).to_have_text("5.70")
    number = receipt_number(page)
    assert number.endswith("-02"), number  # the emergency range (R2.3)
    expect(icon(page)).to_contain_text("EMERGENCY MODE")
    page.screenshot(path=str(artifacts / "mode-emergency.png"), full_page=True)

    icon(page).click()  # R2.7: one click lists what the server has not confirmed yet
    expect(page).to_have_url(re.compile(r"/unsent$"))
    summary = page.get_by_test_id("unsent-summary")
    expect(summary).to_contain_text("Emergency mode")
    unsent = re.match(r"\s*(\d+) document", summary.inner_text())
    assert unsent is not None, summary.inner_text()
    assert int(unsent.group(1)) > 0, summary.inner_text()
    expect(page.get_by_test_id("unsent-documents")).to_contain_text(number)

    store.restart_server()
    expect_status(page, shown="synced", mode="live", timeout=REINTEGRATED)
    expect(notice(page)).to_have_attribute("data-kind", "reintegrated")
    page.get_by_test_id("dismiss-notice").click()
    expect(notice(page)).to_have_count(0)
    assert store.receipts_on_server() == [number]


# -- R1.6: the server is back while a ticket opened in emergency mode is still open ----------


def test_cashier_who_stays_in_emergency_mode_is_live_again_once_the_local_ticket_is_paid(
    store: Store, page: Page
) -> None:
    log_in_as_anna(page, store)
    go_into_emergency_mode(page, store)
    open_table(page, 4, ESPRESSO)

    store.restart_server()
    expect(dialog(page)).to_have_attribute("data-kind", "server_available", timeout=SOON)
    expect(dialog(page)).to_contain_text("1 ticket opened in emergency mode is still open")
    expect_status(page, shown="emergency", mode="server_available")
    page.get_by_test_id("choose-stay_offline").click()
    expect_status(page, shown="emergency", mode="emergency")
    expect(dialog(page)).to_have_count(0)

    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("tendered-input")).to_be_visible()
    expect_status(page, shown="emergency", mode="emergency")  # still, on the next screen
    pay_cash(page)
    number = receipt_number(page)
    assert number.endswith("-02"), number  # opened and paid in emergency mode
    expect_status(page, shown="synced", mode="live", timeout=REINTEGRATED)
    expect(notice(page)).to_have_attribute("data-kind", "reintegrated")
    assert store.receipts_on_server() == [number]


def test_cashier_who_synchronises_now_is_live_at_once_and_pays_the_local_ticket_live(
    store: Store, page: Page
) -> None:
    log_in_as_anna(page, store)
    go_into_emergency_mode(page, store)
    open_table(page, 5, ESPRESSO)

    store.restart_server()
    expect(dialog(page)).to_have_attribute("data-kind", "server_available", timeout=SOON)
    page.get_by_test_id("choose-sync_now").click()
    expect_status(page, shown="synced", mode="live", timeout=REINTEGRATED)
    expect(notice(page)).to_have_attribute("data-kind", "reintegrated")
    expect(page.get_by_test_id("ticket-title")).to_have_text("Table 5")  # still open here

    pay_cash(page)
    number = receipt_number(page)
    assert number.endswith("-01"), number  # closed in live mode: the continuous range
    wait_for(
        lambda: store.receipts_on_server() == [number],
        seconds=10,
        what="the live receipt's upload",
    )


# -- R1.5: nobody answers the dialog and the server comes back --------------------------------


def test_undecided_outage_returns_to_live_mode_by_itself_30_s_after_the_server_is_back(
    store: Store, page: Page
) -> None:
    log_in_as_anna(page, store)
    lose_the_server(page, store, dialog_kind="emergency_or_retry")

    # The outage in plain words: the cause, what emergency mode stops, the code one click away.
    expect(page.get_by_test_id("mode-dialog-cause")).to_contain_text("cannot be reached")
    expect(page.get_by_test_id("emergency-changes")).to_contain_text("Redeem a voucher")
    expect(page.get_by_test_id("mode-dialog-technical")).to_contain_text("NO_PING")

    store.restart_server()
    expect(dialog(page)).to_have_attribute("data-kind", "auto_return", timeout=SOON)
    expect(icon(page)).to_have_attribute("data-icon", "returning")  # never "server lost" now
    seconds = page.get_by_test_id("auto-return-seconds")
    first = int(seconds.inner_text())
    assert 0 < first <= 30, first
    expect(seconds).not_to_have_text(str(first), timeout=SOON)  # it counts down
    assert int(seconds.inner_text()) < first
    expect(page.get_by_test_id("choose-retry")).to_contain_text("Back to live mode now")

    # Nobody clicks: live mode returns by itself, with a notice saying so.
    expect(notice(page)).to_have_attribute("data-kind", "auto_returned", timeout=AUTO_RETURN)
    expect_status(page, shown="synced", mode="live")
    expect(dialog(page)).to_have_count(0)


# -- R1.4: a till where the station settings forbid emergency mode -----------------------------


def test_till_without_emergency_mode_refuses_to_close_tickets_until_the_server_is_back(
    store: Store, page: Page
) -> None:
    with store.admin() as back_office:
        answer = back_office.put(
            f"/api/v1/tills/{TILL}/station-settings",
            json={"emergency_allowed": False, "auto_return_s": 30},
        )
    assert answer.status_code == 200, answer.text
    wait_for(
        lambda: store.cashier.status()["emergency_allowed"] is False,
        seconds=15,
        what="the station setting reaching the till",
    )

    log_in_as_anna(page, store)
    open_table(page, 2, ESPRESSO)
    lose_the_server(page, store, dialog_kind="emergency_not_allowed")
    expect(page.get_by_test_id("choose-retry")).to_be_visible()
    expect(page.get_by_test_id("choose-emergency")).to_have_count(0)
    pay_cash(page, "5.00")
    expect(alert(page, "EMERGENCY_NOT_ALLOWED")).to_be_visible()
    expect(page.get_by_test_id("receipt-number")).to_have_count(0)

    store.restart_server()
    expect_status(page, shown="synced", mode="live")
    expect(notice(page)).to_have_attribute("data-kind", "link_back")
    pay_cash(page, "5.00")
    expect(page.get_by_test_id("receipt-change")).to_have_text("2.60")
    number = receipt_number(page)
    assert number.endswith("-01"), number  # nothing was ever sold offline
    wait_for(
        lambda: store.receipts_on_server() == [number],
        seconds=10,
        what="the receipt's upload",
    )
