"""The activity check (R1.3): when the till's application loop stops answering, the
heartbeat (a thread of its own) notices, logs it and the server shows it for that till;
when the loop answers again, that is logged and shown too.

The till runs in this process against a real server process, so the test can hang the
page's asyncio loop for real: ``beat_forever`` runs on it exactly as under uvicorn, and a
blocking call put on that loop stops it as a stuck request handler would.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from autonom.till.bootstrap import Till, TillSettings, bootstrap
from tests.integration.till.conftest import TILL, wait_for
from tests.support.processes import ADMIN_TOKEN, ENROLMENT_CODE, Part, start_seeded_server

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Part]:
    part = start_seeded_server(tmp_path / "server")
    yield part
    part.stop()


@pytest.fixture
def till(tmp_path: Path, server: Part) -> Iterator[Till]:
    settings = TillSettings(
        number=TILL,
        server_url=server.url,
        data_dir=tmp_path / "till-10",
        printer="none",
        enrolment_code=ENROLMENT_CODE,
    )
    running = bootstrap(settings)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def page_loop(till: Till) -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop in its own thread, beating as the page's loop does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    beating = asyncio.run_coroutine_threadsafe(till.heartbeat.beat_forever(), loop)
    yield loop
    beating.cancel()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


def server_view(server: Part) -> dict[str, Any]:
    answer = httpx.get(
        server.url + "/api/v1/tills", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    answer.raise_for_status()
    (view,) = [t for t in answer.json() if t["till_number"] == TILL]
    return dict(view)


def test_a_stalled_application_loop_is_logged_and_shown_on_the_server(
    tmp_path: Path, server: Part, till: Till, page_loop: asyncio.AbstractEventLoop
) -> None:
    wait_for(lambda: server_view(server)["activity"] == "alive", seconds=20, what="a report")

    page_loop.call_soon_threadsafe(time.sleep, 6)  # a handler stuck for 6 s
    stalled = wait_for(
        lambda: (v := server_view(server))["activity"] == "stalled" and v,
        seconds=6,
        what="the stall on the server",
    )
    answered = wait_for(
        lambda: (v := server_view(server))["activity"] == "alive" and v,
        seconds=15,
        what="the loop answering again on the server",
    )

    assert stalled["mode"] == answered["mode"] == "live"  # selling was never in question
    log_dir = tmp_path / "till-10" / "logs"
    lines = [
        line
        for path in sorted(log_dir.glob("heartbeat-10-*.log"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    activity = [line.split(": ", 1)[1] for line in lines if "ACTIVITY" in line]
    assert activity == ["ACTIVITY STALLED", "ACTIVITY ANSWERED"]
