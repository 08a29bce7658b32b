"""The cashier page in a real Chromium (Debian's package, driven by Playwright): a cashier
logs in with a PIN, books two items on a table, pays cash and sees the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def test_cashier_books_two_items_on_a_table_pays_cash_and_sees_the_receipt(
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
    page.get_by_test_id("item-100").click()  # Espresso 2.40
    # The page is redrawn after each booking: tap again once it shows the first line.
    expect(page.get_by_test_id("ticket-total")).to_contain_text("2.40")
    page.get_by_test_id("item-200").click()  # Croissant 1.90
    expect(page.get_by_test_id("ticket-total")).to_contain_text("4.30")

    page.get_by_test_id("pay").click()
    page.get_by_test_id("tendered-input").fill("10.00")
    page.get_by_test_id("pay-cash").click()

    expect(page.get_by_test_id("receipt-change")).to_contain_text("5.70")
    receipt_view = page.get_by_test_id("receipt-view")
    expect(receipt_view).to_contain_text("Espresso")
    expect(receipt_view).to_contain_text("Croissant")
    number = page.get_by_test_id("receipt-number").inner_text().strip()
    assert number == "10000001-01"
    page.screenshot(path=str(artifacts / "cashier-receipt.png"), full_page=True)

    # The receipt reached the server exactly once (the uploader pushes at once in live mode).
    def server_receipts() -> list[dict[str, object]]:
        answer = httpx.get(
            f"{server.url}/api/v1/receipts",
            params={"till_number": 10},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        answer.raise_for_status()
        body: list[dict[str, object]] = answer.json()
        return body

    expect(page.get_by_test_id("unsent-count")).to_contain_text(
        "unsent: 0 receipts · 0 ops", timeout=10_000
    )
    assert [r["number"] for r in server_receipts()] == [number]


def test_the_polled_status_line_keeps_its_elements_so_a_tap_is_not_lost(
    store: tuple[Part, Part], page: Page
) -> None:
    """The status line is fetched every second and morphed in place: the Log out button
    and the tickets link a finger may be on are the same elements after a poll, and a
    changed figure (the unsent counter) still shows."""
    _, till = store
    page.goto(till.url)
    page.get_by_test_id("login-operator-1").click()
    for digit in "1111":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("nav-tickets")).to_be_visible()
    page.evaluate(
        """() => { window.heldLogout = document.querySelector('[data-testid=logout]');
                   window.heldLink = document.querySelector('[data-testid=nav-tickets]'); }"""
    )
    for _ in range(2):  # two polls answered and swapped in
        with page.expect_response(lambda answer: "/status-line" in answer.url):
            pass
    page.wait_for_function("() => htmx && !document.querySelector('.htmx-swapping')")
    held = page.evaluate(
        "() => [window.heldLogout.isConnected, window.heldLink.isConnected,"
        " window.heldLogout === document.querySelector('[data-testid=logout]')]"
    )
    assert held == [True, True, True]
    page.get_by_test_id("table-3").click()
    expect(page.get_by_test_id("ticket-title")).to_have_text("Table 3")
    page.get_by_test_id("item-100").click()
    expect(page.get_by_test_id("ticket-total")).to_contain_text("2.40")
    # The counter the poll brings changes in place (1 op or more, then back to 0).
    expect(page.get_by_test_id("unsent-count")).to_contain_text(
        "unsent: 0 receipts", timeout=10_000
    )
