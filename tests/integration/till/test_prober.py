"""The heartbeat's probe over real sockets (R1.1): each way a link can fail is told apart —
no TCP connection (NO PING), a connection without a valid answer (NO APP), an answer
saying the database is down (NO DB) — and a refused or reset connection counts at once.

The peer is a small HTTP server speaking the health protocol of ``/api/v1/health``; the
faults come from the fault proxy in front of it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from autonom.till.adapters.prober import HEALTH_PATH, HealthProber
from autonom.till.domain import ProbeOk, ProbeOutcome, ProbeRefused, ProbeTimedOut, Reason
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import free_port


class HealthPeer(BaseHTTPRequestHandler):
    """Answers ``GET /api/v1/health`` with ``answer`` (status, body)."""

    answer: ClassVar[tuple[int, bytes]] = (200, b'{"status": "ok", "database": "ok"}')

    def do_GET(self) -> None:
        status, body = self.answer if self.path == HEALTH_PATH else (404, b"{}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def peer() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HealthPeer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    HealthPeer.answer = (200, b'{"status": "ok", "database": "ok"}')


@pytest.fixture
def proxy(peer: ThreadingHTTPServer) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", peer.server_address[1]) as running:
        yield running


def probe(url: str, timeout_s: float = 0.5) -> ProbeOutcome:
    async def once() -> ProbeOutcome:
        prober = HealthProber(url, timeout_s=timeout_s)
        try:
            return await prober.probe()
        finally:
            await prober.close()

    return asyncio.run(once())


def test_a_healthy_answer_is_ok(proxy: FaultProxy) -> None:
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeOk)
    assert outcome.db_ok


def test_a_refused_connection_is_hard_evidence_of_no_ping() -> None:
    outcome = probe(f"http://127.0.0.1:{free_port()}")
    assert isinstance(outcome, ProbeRefused)
    assert outcome.reason is Reason.NO_PING


def test_a_proxy_that_stops_listening_is_no_ping(proxy: FaultProxy) -> None:
    proxy.refuse()
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeRefused)
    assert outcome.reason is Reason.NO_PING


def test_a_reset_after_connecting_is_hard_evidence_of_no_app(proxy: FaultProxy) -> None:
    proxy.reset()
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeRefused)
    assert outcome.reason is Reason.NO_APP


def test_an_answer_cut_midway_is_no_app(proxy: FaultProxy) -> None:
    proxy.cut_response_after(20)
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeRefused)
    assert outcome.reason is Reason.NO_APP


def test_silence_is_a_timeout_of_the_application_not_proof(proxy: FaultProxy) -> None:
    proxy.blackhole()
    outcome = probe(proxy.url, timeout_s=0.3)
    assert isinstance(outcome, ProbeTimedOut)
    assert outcome.reason is Reason.NO_APP
    assert outcome.sent_at is not None
    assert outcome.at - outcome.sent_at >= 0.3


def test_an_answer_saying_the_database_is_down_is_no_db(
    peer: ThreadingHTTPServer, proxy: FaultProxy
) -> None:
    HealthPeer.answer = (503, json.dumps({"status": "degraded", "database": "down"}).encode())
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeOk)
    assert not outcome.db_ok


@pytest.mark.parametrize(
    "answer",
    [(200, b"<html>captive portal</html>"), (404, b"{}"), (200, b'{"database": "maybe"}')],
)
def test_an_answer_that_is_not_a_health_answer_is_no_app(
    peer: ThreadingHTTPServer, proxy: FaultProxy, answer: tuple[int, bytes]
) -> None:
    HealthPeer.answer = answer
    outcome = probe(proxy.url)
    assert isinstance(outcome, ProbeRefused)
    assert outcome.reason is Reason.NO_APP
