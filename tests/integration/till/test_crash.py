"""A real ``autonom till`` process killed with SIGKILL in the middle of selling: after the
restart every acknowledged receipt is there, the numbers are gapless, the journal chains,
and the server ends up with each receipt exactly once (invariants 2, 3, 4, 5)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from autonom.domain import ReceiptNumber
from autonom.domain.journal import first_break
from tests.integration.till.conftest import TILL, TillApi, read_till_database, restart, wait_for
from tests.support.processes import ADMIN_TOKEN, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

ACKNOWLEDGED_BEFORE_KILL = 15


def sell_until_killed(till: TillApi, acknowledged: list[str], stop: threading.Event) -> None:
    """Sell one item per ticket as fast as the till answers; record each receipt it
    acknowledged. The kill ends the loop with a connection error."""
    try:
        while not stop.is_set():
            acknowledged.append(till.sell("100", "200"))
    except (httpx.HTTPError, AssertionError):
        return


def test_acknowledged_receipts_survive_sigkill(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path / "server")
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        acknowledged: list[str] = []
        stop = threading.Event()
        seller = threading.Thread(target=sell_until_killed, args=(cashier, acknowledged, stop))
        seller.start()
        wait_for(
            lambda: len(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL,
            seconds=60,
            what=f"{ACKNOWLEDGED_BEFORE_KILL} sales",
        )

        till_process.kill()  # SIGKILL while requests are in flight
        stop.set()
        seller.join(timeout=30)
        till_process = restart(till_process)

        after = TillApi.at(till_process.url)
        after.log_in()
        saved = {r["number"] for r in after.receipts()}
        journal, seqs, numbers = read_till_database(tmp_path / f"till-{TILL}")
        status = wait_for(
            lambda: (s := after.status())["unsent_operations"] == 0 and s,
            seconds=30,
            what="the upload of every operation after the restart",
        )
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as back_office:
            on_server = back_office.get("/api/v1/receipts", params={"till_number": TILL}).json()
            tills = back_office.get("/api/v1/tills").json()
    finally:
        till_process.stop()
        server.stop()

    assert set(acknowledged) <= saved, "an acknowledged receipt was lost"
    running = sorted(ReceiptNumber.parse(n).running for n in numbers)
    assert running == list(range(1, len(numbers) + 1)), "receipt numbers have a gap"
    assert len(numbers) >= len(acknowledged)
    assert seqs == list(range(1, len(seqs) + 1)), "the outbox sequence has a gap"
    assert first_break(journal) is None, "the journal does not chain"
    assert len(journal) == len(seqs)
    assert status["upload_problem"] is None
    assert sorted(r["number"] for r in on_server) == sorted(numbers), "not exactly once"
    assert [t["applied_through"] for t in tills if t["till_number"] == TILL] == [len(seqs)]
