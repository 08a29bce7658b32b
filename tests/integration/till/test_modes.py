"""Emergency mode with real processes (R1.1-R1.6): a till process watches a real server
through the fault proxy; each fault, each station setting, the 30 s automatic return, the
"synchronise now or stay" dialog and a restart in emergency mode.

The waits are deadlines (``wait_for``), not timed assertions; detection speed is measured
by ``bench/detection.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from autonom.demo import add_demo_operators
from tests.integration.till.conftest import TILL, TillApi, restart, wait_for
from tests.support.databases import POSTGRES_ADMIN_URL, database_url
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import (
    ADMIN_TOKEN,
    Part,
    server_part,
    start_seeded_server,
    till_part,
)

pytestmark = pytest.mark.e2e


@dataclass
class Store:
    server: Part
    proxy: FaultProxy
    till: Part
    cashier: TillApi
    tmp_path: Path

    def back_office(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url + "/api/v1",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )

    def mode_log(self) -> list[dict[str, Any]]:
        """The till's log, oldest first."""
        answer = self.cashier.http.get("/api/mode-log", params={"limit": 1000})
        answer.raise_for_status()
        entries: list[dict[str, Any]] = answer.json()
        return entries[::-1]

    def server_lines_since(self, seq: int) -> list[str]:
        return [e["words"] for e in self.mode_log() if e["seq"] > seq and e["link"] == "server"]

    def last_seq(self) -> int:
        log = self.mode_log()
        return int(log[-1]["seq"]) if log else 0

    def try_close(self, ticket_id: str) -> httpx.Response:
        ticket = self.cashier.http.get(f"/api/tickets/{ticket_id}").json()
        return self.cashier.http.post(
            f"/api/tickets/{ticket_id}/close",
            json={"tenders": [{"method": "cash", "amount": ticket["total"]}]},
        )

    def emergency_mode(self) -> None:
        """Cut the link and choose emergency mode, as the cashier would."""
        self.proxy.blackhole()
        self.cashier.wait_for_mode("outage_pending")
        assert self.cashier.choose("emergency")["mode"] == "emergency"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    server = start_seeded_server(tmp_path / "server")
    with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as proxy:
        till = till_part(tmp_path, TILL, proxy.url).start()
        store = Store(server, proxy, till, TillApi.at(till.url), tmp_path)
        try:
            store.cashier.wait_until_ready()
            store.cashier.log_in()
            store.cashier.wait_for_mode("live")
            yield store
        finally:
            store.till.stop()  # the one running now: a test may have restarted it
            server.stop()


def set_station(store: Store, **settings: Any) -> None:
    with store.back_office() as back_office:
        answer = back_office.put(f"/tills/{TILL}/station-settings", json=settings)
    assert answer.status_code == 200, answer.text
    wait_for(
        lambda: all(store.cashier.status()[k] == v for k, v in settings.items()),
        seconds=15,
        what="the till taking the new station settings",
    )


SUSPECT = ["SUSPECT NO APP", "LIVE MODE, LINK SUSPECT (NO APP)"]


@pytest.mark.parametrize(
    ("fault", "suspect", "words"),
    [
        ("refuse", [], "OFFLINE NO PING"),  # hard evidence: down at once
        ("reset", [], "OFFLINE NO APP"),
        ("blackhole", SUSPECT, "OFFLINE NO APP"),  # silence: suspect first, then down
    ],
)
def test_a_lost_link_offers_emergency_mode_and_refuses_closing_until_the_cashier_decides(
    store: Store, fault: str, suspect: list[str], words: str
) -> None:
    ticket = store.cashier.open()
    store.cashier.book(ticket, "100")
    before = store.last_seq()

    getattr(store.proxy, fault)()
    status = store.cashier.wait_for_mode("outage_pending", seconds=10)
    refused = store.try_close(ticket)
    store.cashier.choose("emergency")
    receipt = store.cashier.close(ticket)

    store.proxy.pass_through()
    after = store.cashier.wait_for_mode("live", seconds=20)

    assert status["icon"] == "outage"
    assert status["dialog"]["kind"] == "emergency_or_retry"
    assert status["dialog"]["choices"] == ["emergency", "retry"]
    assert refused.status_code == 409
    assert refused.json()["code"] == "OUTAGE_UNDECIDED"
    assert receipt.endswith("-02")
    lines = store.server_lines_since(before)
    assert lines[: len(suspect) + 3] == [
        *suspect,
        words,
        f"OUTAGE ({words.removeprefix('OFFLINE ')}), WAITING FOR THE CASHIER",
        "EMERGENCY MODE STARTED",
    ]
    # While down, later evidence may restate the reason (OFFLINE NO PING) before the end.
    assert lines[-3:] == [
        "ONLINE",
        "REINTEGRATION STARTED (NO LOCAL OPEN TICKETS)",
        "LIVE MODE (REINTEGRATED)",
    ]
    assert after["unsent_operations"] == 0
    assert after["notice"] == "reintegrated"
    with store.back_office() as back_office:
        on_server = back_office.get("/receipts", params={"till_number": TILL}).json()
    assert [r["number"] for r in on_server] == [receipt]


def test_blips_of_up_to_one_second_change_nothing(store: Store) -> None:
    before = store.last_seq()
    for seconds in (0.2, 0.5, 1.0, 1.0, 0.5, 0.2):
        store.proxy.blackhole()
        time.sleep(seconds)
        store.proxy.pass_through()
        time.sleep(0.5)
    assert store.server_lines_since(before) == []
    assert store.cashier.status()["mode"] == "live"


def test_retry_while_the_link_is_still_down_keeps_the_dialog_and_retry_after_it_returns_is_live(
    store: Store,
) -> None:
    store.proxy.reset()
    store.cashier.wait_for_mode("outage_pending")
    assert store.cashier.choose("retry")["mode"] == "outage_pending"
    store.proxy.pass_through()
    wait_for(
        lambda: (store.cashier.status()["dialog"] or {}).get("kind") == "auto_return",
        seconds=10,
        what="the link back",
    )
    assert store.cashier.choose("retry")["mode"] == "live"


def test_the_server_back_before_the_cashier_decided_returns_to_live_after_30_s(
    store: Store,
) -> None:
    store.proxy.blackhole()
    store.cashier.wait_for_mode("outage_pending")
    store.proxy.pass_through()
    counting = wait_for(
        lambda: (
            (s := store.cashier.status())["dialog"] and s["dialog"]["kind"] == "auto_return" and s
        ),
        seconds=10,
        what="the countdown",
    )
    back_at = time.monotonic()
    # During the countdown the server answers: closing is allowed, and live.
    receipt = store.cashier.sell("100")
    after = store.cashier.wait_for_mode("live", seconds=45)
    waited = time.monotonic() - back_at

    assert counting["dialog"]["choices"] == ["retry"]
    assert 25 < counting["dialog"]["auto_return_in_s"] <= 30
    assert receipt.endswith("-01")
    assert waited > 25  # it waited for the countdown, not for the cashier
    assert after["notice"] == "auto_returned"
    assert store.server_lines_since(0)[-1] == "LIVE MODE (AUTO RETURN AFTER 30 S)"


def test_emergency_mode_not_allowed_shows_retry_only_and_sells_nothing_offline(
    store: Store,
) -> None:
    set_station(store, emergency_allowed=False)
    ticket = store.cashier.open()
    store.cashier.book(ticket, "100")

    store.proxy.blackhole()
    status = store.cashier.wait_for_mode("outage_pending")
    refused = store.try_close(ticket)
    still = store.cashier.choose("emergency")  # not offered: changes nothing
    store.proxy.pass_through()
    after = store.cashier.wait_for_mode("live")
    receipt = store.cashier.close(ticket)

    assert status["dialog"]["kind"] == "emergency_not_allowed"
    assert status["dialog"]["choices"] == ["retry"]
    assert refused.status_code == 409
    assert refused.json()["code"] == "EMERGENCY_NOT_ALLOWED"
    assert still["mode"] == "outage_pending"
    assert after["notice"] == "link_back"
    assert receipt.endswith("-01")


def test_back_with_a_local_open_ticket_asks_and_staying_ends_when_it_is_closed(
    store: Store,
) -> None:
    store.emergency_mode()
    ticket = store.cashier.open(table=4)
    store.cashier.book(ticket, "100")

    store.proxy.pass_through()
    asked = store.cashier.wait_for_mode("server_available")
    stayed = store.cashier.choose("stay_offline")
    time.sleep(1)  # the link is up all this time: staying must hold
    still = store.cashier.status()
    receipt = store.cashier.close(ticket)
    after = store.cashier.wait_for_mode("live")

    assert asked["dialog"]["kind"] == "server_available"
    assert asked["dialog"]["local_open_tickets"] == 1
    assert asked["dialog"]["choices"] == ["sync_now", "stay_offline"]
    assert stayed["mode"] == still["mode"] == "emergency"
    assert receipt.endswith("-02")
    assert after["unsent_operations"] == 0
    assert store.server_lines_since(0)[-3:] == [
        "EMERGENCY MODE KEPT UNTIL LOCAL TICKETS ARE CLOSED",
        "REINTEGRATION STARTED (LOCAL TICKETS CLOSED)",
        "LIVE MODE (REINTEGRATED)",
    ]


def test_back_with_a_local_open_ticket_synchronise_now_goes_live_and_the_server_has_it(
    store: Store,
) -> None:
    store.emergency_mode()
    ticket = store.cashier.open(table=5)
    store.cashier.book(ticket, "200")
    store.proxy.pass_through()
    store.cashier.wait_for_mode("server_available")
    store.cashier.choose("sync_now")
    store.cashier.wait_for_mode("live")

    with store.back_office() as back_office:
        on_server = back_office.get("/tickets", params={"status": "open", "table": 5}).json()
    assert [t["ticket_id"] for t in on_server] == [ticket]
    assert store.cashier.close(ticket).endswith("-01")  # live again: the live range


def test_a_till_restarted_in_emergency_mode_resumes_it_and_returns_once_the_server_answers(
    store: Store,
) -> None:
    store.emergency_mode()
    receipt = store.cashier.sell("100")
    store.till.kill()

    store.till = restart(store.till)
    resumed = store.cashier.status()
    store.cashier.log_in()
    second = store.cashier.sell("200")
    store.proxy.pass_through()
    after = store.cashier.wait_for_mode("live")

    assert resumed["mode"] == "emergency"
    # R2.2: with the server still unreachable, it logged in and sold from its last snapshot.
    assert resumed["master_data_version"] is not None
    assert resumed["items"] > 40
    assert [receipt[-2:], second[-2:]] == ["02", "02"]
    assert after["unsent_operations"] == 0


def test_the_server_lists_each_tills_mode_and_its_history(store: Store) -> None:
    store.emergency_mode()
    store.proxy.pass_through()
    store.cashier.wait_for_mode("live")
    wait_for(
        lambda: all(e["sent"] for e in store.mode_log()),
        seconds=15,
        what="the log reaching the server",
    )
    with store.back_office() as back_office:
        tills = back_office.get("/tills").json()
        history = back_office.get(f"/tills/{TILL}/mode-events", params={"limit": 100}).json()

    (till,) = [t for t in tills if t["till_number"] == TILL]
    assert till["mode"] == "live"
    assert till["activity"] == "alive"
    assert [e["words"] for e in history][::-1] == [e["words"] for e in store.mode_log()]
    assert "EMERGENCY MODE STARTED" in [e["words"] for e in history]


def test_the_fiscal_operator_link_is_watched_apart_from_the_server_link(tmp_path: Path) -> None:
    """R1.2: the operator may be gone while the server answers; selling stays live, the icon
    says so and the log has its own lines. Until the operator emulator exists (the fiscal
    part), the server's own health endpoint behind a second proxy stands in for it: the
    same health protocol, on a link of its own."""
    server = start_seeded_server(tmp_path / "server")
    with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as operator:
        till = till_part(tmp_path, TILL, server.url, operator_url=operator.url).start()
        cashier = TillApi.at(till.url)
        try:
            cashier.wait_until_ready()
            cashier.log_in()
            wait_for(
                lambda: cashier.status()["operator_link"] == "up", seconds=15, what="operator up"
            )
            operator.refuse()
            gone = wait_for(
                lambda: (s := cashier.status())["operator_link"] == "down" and s,
                seconds=15,
                what="the operator link down",
            )
            receipt = cashier.sell("100")
            operator.pass_through()
            back = wait_for(
                lambda: (s := cashier.status())["operator_link"] == "up" and s,
                seconds=15,
                what="the operator link back",
            )
            log = cashier.http.get("/api/mode-log", params={"limit": 100}).json()
        finally:
            till.stop()
            server.stop()

    assert gone["mode"] == "live"
    assert gone["icon"] == "operator_unreachable"
    assert receipt.endswith("-01")
    assert back["icon"] in ("synced", "unsent")
    operator_lines = [e["words"] for e in log[::-1] if e["link"] == "fiscal_operator"]
    assert operator_lines == ["OPERATOR ONLINE", "OPERATOR OFFLINE NO PING", "OPERATOR ONLINE"]


@pytest.mark.postgres
def test_a_server_whose_database_is_gone_is_offline_no_db_and_back_when_it_returns(
    tmp_path: Path,
) -> None:
    """The third signal (R1.1): the server answers, its database does not. The server runs
    on a PostgreSQL database of its own, which stops taking connections for a while."""
    with database_url("postgresql", tmp_path) as url:
        name = url.rsplit("/", 1)[1]
        server = server_part(tmp_path / "server", db_url=url).start()
        till = till_part(tmp_path, TILL, server.url)
        try:
            add_demo_operators(server.url, ADMIN_TOKEN)
            till.start()
            cashier = TillApi.at(till.url)
            cashier.wait_until_ready()
            cashier.log_in()
            cashier.wait_for_mode("live")
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
            lost = cashier.wait_for_mode("outage_pending", seconds=15)
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            wait_for(
                lambda: (cashier.status()["dialog"] or {}).get("kind") == "auto_return",
                seconds=15,
                what="the database back",
            )
            back = cashier.choose("retry")
            log = [e["words"] for e in cashier.http.get("/api/mode-log").json()[::-1]]
        finally:
            till.stop()
            server.stop()

    assert lost["dialog"]["reason"] == "NO_DB"
    assert "OFFLINE NO DB" in log
    assert back["mode"] == "live"
