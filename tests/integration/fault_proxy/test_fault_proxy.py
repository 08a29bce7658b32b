"""The fault proxy does to real sockets what a broken network does: every network test
and benchmark relies on these faults being real, so each one is proven here against a real
HTTP server through httpx and raw sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.support.fault_proxy import FaultProxy

BIG = bytes(range(256)) * 64  # 16 KiB: big enough to be cut midway
RECEIVED: list[bytes] = []  # the bodies of the POSTs the upstream read, in order


class Upstream(BaseHTTPRequestHandler):
    """A tiny keep-alive HTTP server: /health answers JSON, /big answers 16 KiB, a POST
    keeps its body in ``RECEIVED`` and answers 16 KiB."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1  # one write per answer: no Nagle/delayed-ACK pause between header and body

    def do_GET(self) -> None:
        body = BIG if self.path == "/big" else b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        RECEIVED.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean

    def date_time_string(self, timestamp: float | None = None) -> str:
        return "Sat, 21 Nov 2026 12:00:00 GMT"  # the same bytes every time: compare answers


@pytest.fixture
def upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: int) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", upstream) as fault_proxy:
        yield fault_proxy


def raw_get(port: int, path: str = "/health", *, timeout: float = 5.0) -> bytes:
    """One request on a fresh connection that asks to close; everything read until EOF."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65_536):
            answer += chunk
        return answer


def open_connection(port: int) -> socket.socket:
    """A keep-alive connection that has already had one answer through the proxy."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5.0)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b'{"status":"ok"}'):  # the whole answer, nothing left over
        answer += sock.recv(65_536)
    assert answer.startswith(b"HTTP/1.1 200")
    return sock


def connect_and_read(port: int) -> bytes:
    """Connect and wait for a first byte; a reset may already come during the connect."""
    with socket.create_connection(("127.0.0.1", port), timeout=2.0) as sock:
        return sock.recv(1)


def test_pass_through_answers_exactly_like_the_server(proxy: FaultProxy, upstream: int) -> None:
    assert raw_get(proxy.port, "/big") == raw_get(upstream, "/big")
    with httpx.Client(base_url=proxy.url, timeout=5.0) as client:
        answers = [client.get("/health") for _ in range(20)]  # one kept-alive connection
    assert {(a.status_code, a.text) for a in answers} == {(200, '{"status":"ok"}')}


def test_delay_holds_the_request_and_the_answer(proxy: FaultProxy) -> None:
    proxy.delay(0.25, jitter=0.05)
    with httpx.Client(base_url=proxy.url, timeout=5.0) as client:
        started = time.monotonic()
        answer = client.get("/big")
        elapsed = time.monotonic() - started
    assert answer.content == BIG  # order kept despite the jitter
    assert elapsed >= 2 * (0.25 - 0.05)  # each way at least delay - jitter


def test_blackhole_accepts_but_never_answers(proxy: FaultProxy) -> None:
    kept = open_connection(proxy.port)
    proxy.blackhole()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=2.0) as fresh:
        fresh.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        fresh.settimeout(0.3)
        with pytest.raises(TimeoutError):
            fresh.recv(1)
    kept.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # the old connection too
    kept.settimeout(0.3)
    with pytest.raises(TimeoutError):
        kept.recv(1)
    kept.close()


def test_blackhole_makes_an_http_request_time_out_and_pass_through_heals(
    proxy: FaultProxy,
) -> None:
    with httpx.Client(base_url=proxy.url, timeout=httpx.Timeout(0.3)) as client:
        assert client.get("/health").status_code == 200
        proxy.blackhole()
        with pytest.raises(httpx.ReadTimeout):
            client.get("/health")
        proxy.pass_through()
        assert client.get("/health").status_code == 200


def test_reset_breaks_open_and_new_connections_with_rst(proxy: FaultProxy) -> None:
    kept = open_connection(proxy.port)
    proxy.reset()
    with pytest.raises(ConnectionResetError):
        kept.recv(1)  # RST, not a clean end of stream
    kept.close()
    with pytest.raises(ConnectionResetError):
        connect_and_read(proxy.port)
    with (
        httpx.Client(base_url=proxy.url, timeout=2.0) as client,
        pytest.raises(httpx.TransportError) as error,
    ):
        client.get("/health")
    assert not isinstance(error.value, httpx.TimeoutException)  # an error, not silence


def test_refuse_fails_connects_at_once_and_pass_through_listens_on_the_same_port(
    proxy: FaultProxy,
) -> None:
    port = proxy.port
    kept = open_connection(port)
    proxy.refuse()
    with pytest.raises(ConnectionResetError):
        kept.recv(1)  # the "process" died with its connections
    kept.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2.0)  # refused, not timed out
    with httpx.Client(base_url=proxy.url, timeout=2.0) as client:
        with pytest.raises(httpx.ConnectError):
            client.get("/health")
        proxy.pass_through()
        assert proxy.port == port
        assert client.get("/health").status_code == 200


def test_cut_response_after_forwards_exactly_n_bytes_then_closes(
    proxy: FaultProxy, upstream: int
) -> None:
    whole = raw_get(upstream, "/big")
    proxy.cut_response_after(300)
    assert raw_get(proxy.port, "/big") == whole[:300]
    with (
        httpx.Client(base_url=proxy.url, timeout=2.0) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.get("/big")  # headers came, the body stopped midway
    proxy.pass_through()
    assert raw_get(proxy.port, "/big") == whole


def test_an_answer_cut_midway_still_lets_the_whole_request_reach_the_server(
    proxy: FaultProxy,
) -> None:
    """The fault a push fears most: the server got (and did) it all, the client cannot know."""
    RECEIVED.clear()
    proxy.cut_response_after(40)  # inside the status line and headers
    with (
        httpx.Client(base_url=proxy.url, timeout=2.0) as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("/operations", content=BIG)
    deadline = time.monotonic() + 5
    while not RECEIVED and time.monotonic() < deadline:
        time.sleep(0.01)
    assert RECEIVED == [BIG]


def test_the_proxy_follows_its_upstream_when_that_refuses() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        dead_port = placeholder.getsockname()[1]
    with FaultProxy("127.0.0.1", dead_port) as proxy, pytest.raises(ConnectionResetError):
        connect_and_read(proxy.port)


def test_leaving_the_proxy_closes_every_connection_and_the_port(upstream: int) -> None:
    with FaultProxy("127.0.0.1", upstream) as proxy:
        port = proxy.port
        kept = open_connection(port)
        proxy.blackhole()
        silent = socket.create_connection(("127.0.0.1", port), timeout=2.0)
    for sock in (kept, silent):
        with pytest.raises(ConnectionResetError):
            sock.recv(1)
        sock.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2.0)
