"""A real Chromium (Debian's package, driven by Playwright) for the page tests, kept to the
till: a page that loads anything from outside 127.0.0.1 fails its test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def artifacts() -> Path:
    """The folder screenshots go to (kept by CI for a human to look at)."""
    folder = Path(__file__).resolve().parents[2] / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1024, "height": 768})
        external: list[str] = []
        context.on(
            "request",
            lambda r: None if r.url.startswith("http://127.0.0.1") else external.append(r.url),
        )
        yield context.new_page()
        browser.close()
        assert external == [], f"the page loaded files from outside the till: {external}"
