"""The cashier page in emergency mode (issue 8), in a real Chromium next to a real server
and till 10: the functions the capability matrix refuses are disabled with their reasons,
the limited ones say what differs; the operator settlement is the notice that closes itself
after 45 s; an admission scanned at the gate is recorded with its result to come; the unsent
list counts every kind of document — receipts, the day close, the gate scan — with its
emergency mark. Screenshots go to artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.pages.test_mode_page import (
    SOON,
    Store,
    go_into_emergency_mode,
    log_in_as_anna,
    open_table,
    pay_cash,
)
from tests.pages.test_mode_page import store as store  # the fixture

pytestmark = [pytest.mark.pages, pytest.mark.e2e]

ADMISSION = "800"  # the demo café's day admission


def test_in_emergency_mode_the_page_shows_what_works_what_does_not_and_what_is_unsent(
    store: Store, page: Page, artifacts: Path
) -> None:
    page.clock.install()
    log_in_as_anna(page, store)
    go_into_emergency_mode(page, store)

    # The functions panel: the server's functions disabled with their reasons.
    page.get_by_test_id("nav-tickets").click()
    panel = page.get_by_test_id("functions")
    for function in ("voucher_redeem", "customer_account", "event_ticket", "operator_settlement"):
        cell = page.get_by_test_id(f"function-{function}")
        expect(cell).to_have_attribute("data-level", "refused", timeout=SOON)
        expect(cell.get_by_test_id("function-reason")).not_to_be_empty()
    expect(page.get_by_test_id("function-event_ticket")).to_contain_text("EVENT_TICKET_OFFLINE")
    expect(page.get_by_test_id("function-admission_ticket")).to_have_attribute(
        "data-level", "limited"
    )
    expect(page.get_by_test_id("function-admission_ticket")).to_contain_text(
        "not valid at the gate until this till has synced"
    )
    expect(page.get_by_test_id("function-cash_payment")).to_have_attribute(
        "data-level", "available"
    )
    panel.screenshot(path=artifacts / "emergency-functions.png")

    # The operator settlement: the notice, confirmed by nobody, closes itself after 45 s.
    page.get_by_test_id("operator-settlement").click()
    settlement = page.get_by_test_id("settlement-notice")
    expect(settlement).to_contain_text("not available in emergency mode")
    expect(settlement).to_have_attribute("data-closes-after-s", "45")
    page.clock.run_for(46_000)
    expect(settlement).to_have_count(0)

    # An admission sold offline, paid, then scanned at the gate: recorded, checked later.
    open_table(page, 2, ADMISSION)
    admission = page.get_by_test_id("issued-number").first
    number = admission.inner_text().strip()
    assert number.endswith("-04"), number
    pay_cash(page, "20.00")
    page.goto(f"{store.till.url}/gate")  # the header's links are swapped every second
    field = page.get_by_test_id("scan-input")
    field.click()
    field.type(number)
    field.press("Enter")
    last = page.get_by_test_id("gate-last")
    expect(last).to_have_attribute("data-result", "pending", timeout=SOON)
    expect(last).to_contain_text("will be checked after the outage")
    page.screenshot(path=artifacts / "emergency-gate.png", full_page=True)

    # The unsent list: every kind, each marked as made in emergency mode.
    page.goto(f"{store.till.url}/unsent")  # where the status icon leads
    by_kind = page.get_by_test_id("unsent-by-kind")
    expect(by_kind).to_contain_text("1 receipt")
    expect(by_kind).to_contain_text("1 gate scan")
    expect(page.get_by_test_id("awaiting-answers")).to_contain_text("1 gate scan")
    rows = page.locator("[data-testid='unsent-documents'] tr[data-kind='gate_scanned']")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("made in emergency mode")
    page.screenshot(path=artifacts / "emergency-unsent.png", full_page=True)
