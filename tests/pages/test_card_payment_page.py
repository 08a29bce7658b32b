"""Paying by card on the cashier page in a real Chromium (R2.5), with the card-device
emulator: the bank link is down, so the pay screen says card payments are stored; a
Maestro is refused with the ticket still payable; a Visa (the test card the page offers)
is stored, and its receipt says so until the bank approves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.processes import Part, card_device_part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Part, Part]]:
    server = start_seeded_server(tmp_path)
    device = card_device_part(tmp_path, driven_by=10, bank_link="down").start()
    till = till_part(tmp_path, 10, server.url, card_device_url=device.url).start()
    try:
        yield device, till
    finally:
        till.stop()
        device.stop()
        server.stop()


def test_a_card_stored_offline_shows_on_the_receipt_until_the_bank_approves_it(
    store: tuple[Part, Part], page: Page, artifacts: Path
) -> None:
    device, till = store
    page.goto(till.url)
    expect(page.get_by_test_id("login-operator-1")).to_be_visible(timeout=15_000)
    page.get_by_test_id("login-operator-1").click()
    for digit in "1111":
        page.get_by_test_id(f"pin-key-{digit}").click()
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("table-3").click()
    page.get_by_test_id("item-100").click()  # Espresso 2.40
    expect(page.get_by_test_id("ticket-total")).to_contain_text("2.40")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("card-device-state")).to_contain_text(
        "stored and sent later", timeout=10_000
    )
    page.screenshot(path=str(artifacts / "card-pay-offline.png"), full_page=True)

    page.get_by_test_id("card-type").select_option("maestro")
    page.get_by_test_id("card-number").fill("6759649826438453")
    page.get_by_test_id("pay-card").click()
    expect(page.locator("#alerts")).to_contain_text("CARD_TYPE_OFFLINE")
    expect(page.get_by_test_id("pay-total")).to_contain_text("2.40")  # still open, payable

    page.get_by_test_id("card-type").select_option("visa")
    page.get_by_test_id("card-number").fill("4111111111111111")
    page.get_by_test_id("pay-card").click()
    expect(page.get_by_test_id("receipt-view")).to_contain_text("Stored offline - result pending")
    expect(page.get_by_test_id("card-state")).to_have_text("stored offline — result pending")

    answer = httpx.put(f"{device.url}/control/bank-link", json={"up": True}, timeout=5)
    assert answer.status_code == 200, answer.text
    for _ in range(30):  # the till asks the device every 2 s; the page shows it on reload
        page.reload()
        if "approved after forwarding" in page.get_by_test_id("card-state").inner_text():
            break
        page.wait_for_timeout(500)
    expect(page.get_by_test_id("card-state")).to_contain_text("approved after forwarding")
    page.screenshot(path=str(artifacts / "card-receipt-approved.png"), full_page=True)
