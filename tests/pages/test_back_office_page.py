"""The server's back-office page in a real Chromium (R1.1, R1.4): a store manager logs in
with the admin token, sees each till's current mode, forbids emergency mode for till 10 in
its station settings — which the running till takes over by itself — and reads the till's
mode changes as its plain-text log lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.integration.till.conftest import TILL, TillApi, wait_for
from tests.support.processes import ADMIN_TOKEN, Part, start_seeded_server, till_part

pytestmark = [pytest.mark.pages, pytest.mark.e2e]

LOG_LINE = re.compile(r"^\d\d\.\d\d\.\d{4} / \d\d:\d\d:\d\d: [A-Z]")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Part, TillApi]]:
    server = start_seeded_server(tmp_path / "server")
    till = till_part(tmp_path, TILL, server.url).start()
    cashier = TillApi.at(till.url)
    try:
        cashier.wait_until_ready()
        yield server, cashier
    finally:
        till.stop()
        server.stop()


def test_the_manager_sees_each_tills_mode_and_forbids_emergency_mode_for_one(
    store: tuple[Part, TillApi], page: Page, artifacts: Path
) -> None:
    server, cashier = store
    page.goto(server.url + "/back-office/tills")
    expect(page).to_have_url(re.compile(r"/back-office/login"))  # no token, no page
    page.get_by_test_id("login-token").fill("not the token")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    page.get_by_test_id("login-token").fill(ADMIN_TOKEN)
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_test_id(f"till-row-{TILL}")).to_be_visible()
    expect(page.get_by_test_id(f"till-mode-{TILL}")).to_contain_text(
        re.compile("live", re.IGNORECASE), timeout=15_000
    )
    expect(page.get_by_test_id(f"till-activity-{TILL}")).to_contain_text(
        re.compile("alive", re.IGNORECASE)
    )

    page.get_by_test_id(f"till-link-{TILL}").click()
    page.get_by_test_id("settings-emergency-allowed").uncheck()
    # Below 5 s: the browser refuses to send it (the server would too, with a message).
    page.get_by_test_id("settings-auto-return").fill("3")
    page.get_by_test_id("settings-save").click()
    assert page.get_by_test_id("settings-auto-return").evaluate("e => e.validity.valid") is False
    expect(page.get_by_test_id("settings-saved")).to_have_count(0)
    assert cashier.status()["emergency_allowed"] is True

    page.get_by_test_id("settings-emergency-allowed").uncheck()
    page.get_by_test_id("settings-auto-return").fill("45")
    page.get_by_test_id("settings-save").click()
    expect(page.get_by_test_id("settings-saved")).to_be_visible()
    taken = wait_for(
        lambda: (s := cashier.status())["emergency_allowed"] is False and s,
        seconds=15,
        what="the till taking the station settings",
    )
    assert taken["auto_return_s"] == 45

    page.reload()
    lines = page.get_by_test_id("mode-event-line")
    expect(lines.first).to_be_visible()
    assert all(LOG_LINE.match(text.strip()) for text in lines.all_inner_texts())
    page.screenshot(path=str(artifacts / "back-office-till.png"), full_page=True)
