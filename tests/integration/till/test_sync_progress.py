"""``autonom till sync`` follows a real reintegration (issue 9, point 7): till 10 sells in
emergency mode behind the fault proxy, the link returns, and the command — a real process,
the PIN from its environment — watches the till send everything and ends when nothing is
left unsent; a wrong PIN ends it at once with the till's refusal."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.integration.till.test_modes import Store
from tests.integration.till.test_modes import store as store  # the fixture

pytestmark = pytest.mark.e2e


def sync(store: Store, pin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autonom.cli", "till", "sync", "--url", store.till.url],
        env={**os.environ, "AUTONOM_PIN": pin},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_till_sync_watches_the_reintegration_until_nothing_is_unsent(store: Store) -> None:
    store.emergency_mode()
    numbers = [store.cashier.sell("100", "200") for _ in range(30)]
    assert store.cashier.status()["unsent_receipts"] == 30
    store.proxy.pass_through()

    done = sync(store, "1111")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Everything is on the server" in done.stdout
    status = store.cashier.status()
    assert (status["mode"], status["unsent_operations"], status["sync"]) == ("live", 0, None)
    with store.back_office() as back_office:
        on_server = back_office.get("/receipts", params={"till_number": 10}).json()
    assert set(numbers) <= {r["number"] for r in on_server}


def test_till_sync_with_a_wrong_pin_says_so_and_ends(store: Store) -> None:
    refused = sync(store, "0000")
    assert refused.returncode == 2
    assert "WRONG_PIN" in refused.stdout
