"""How long a cashier waits for a sale to be committed (invariant 1), beside the bare cost
of one durable SQLite commit on the same disk, with the server up and with it stopped.

Run: ``make bench`` or ``.venv/bin/python -m bench.sale_latency [--tickets N] [--json]``.
Each ticket: open, three bookings, close with cash, all through the till's service layer
(handlers + unit of work, as ``Selling`` calls them for the page and the API). The figure
is the latency of ``close_ticket`` (the fiscal commit: number issued, state + journal +
outbox written, fsync). Targets (issue 2): p99 ≤ 3 ms, p99 / bare commit p99 ≤ 10, server
down ≤ live.

A second live run sells in blocks of 50 tickets while another process (as the cashier's
browser would be) polls the same till's status endpoint (``GET /api/status``, served by
the till's own web app in this process) 10 times a second in every other block, as the
page's status line does: ``polled_p99_ms`` against ``unpolled_p99_ms`` of the same run
(issue 7: within 1.2×, because reads never queue behind sales). ``status_polls`` and
``status_poll_p99_ms`` say how many polls were answered and how long one waited.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import statistics
import tempfile
import threading
import time
from decimal import Decimal
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.progress import track

from autonom.domain import PaymentMethod, Refusal
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.domain import Choice
from autonom.till.domain.mode import OUTAGE_UNDECIDED
from autonom.till.entrypoints.web import create_app
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, CloseTicket, OpenTicket, Tendered
from bench.figures import show
from tests.support.processes import ENROLMENT_CODE, free_port, start_seeded_server

console = Console(stderr=True)
PLUS = ("100", "200", "102")  # espresso, croissant, cappuccino: 7.70 in all
CASH = (Tendered(PaymentMethod.CASH, Decimal("10.00")),)
OPERATOR = 1
POLL_INTERVAL_S = 0.1  # the status endpoint polled 10 times a second
POLL_BLOCK = 50  # tickets sold with, then without, the status polled


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bare_commit_latencies(folder: Path, count: int) -> list[float]:
    """One INSERT per transaction on a WAL, synchronous=FULL file: the floor of any sale."""
    conn = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    samples = []
    for i in range(count):
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (f"row {i}",))
        conn.execute("COMMIT")
        samples.append((time.perf_counter() - start) * 1000)
    conn.close()
    return samples


def sell(till: Till, count: int, label: str) -> list[float]:
    """Sell ``count`` tickets; return the close latencies in milliseconds. When the server
    link is lost the close is refused until the cashier decides (R1.4): the bench chooses
    emergency mode, as a cashier would, and times the close that follows."""
    samples = []
    tickets = track(range(count), description=label, console=console) if label else range(count)
    for _ in tickets:
        ticket = handlers.open_ticket(OpenTicket(None, OPERATOR), till.unit_of_work())
        for plu in PLUS:
            handlers.add_booking(
                AddBooking(ticket.ticket_id, plu, 1, OPERATOR), till.unit_of_work()
            )
        for attempt in range(2):
            start = time.perf_counter()
            try:
                handlers.close_ticket(
                    CloseTicket(ticket.ticket_id, CASH, OPERATOR),
                    till.unit_of_work(),
                    mode=till.modes,
                )
            except Refusal as refusal:
                if refusal.code != OUTAGE_UNDECIDED or attempt:
                    raise
                till.modes.choose(Choice.EMERGENCY)
                continue
            samples.append((time.perf_counter() - start) * 1000)
            break
    return samples


def poll_status(url: str, polling: EventType, stop: EventType, answers: Connection) -> None:
    """While ``polling`` is set, poll ``GET /api/status`` 10 times a second, until ``stop``;
    send back each poll's latency in milliseconds. Runs in a process of its own, as the
    cashier's browser does."""
    latencies = []
    with httpx.Client(base_url=url, timeout=10) as client:
        while not stop.is_set():
            if not polling.wait(0.05):
                continue
            start = time.perf_counter()
            client.get("/api/status").raise_for_status()
            latencies.append((time.perf_counter() - start) * 1000)
            stop.wait(POLL_INTERVAL_S)
    answers.send(latencies)


class StatusPoller:
    """The status line's poll from another process (the page in a browser), 10 a second
    while ``polling`` is set."""

    def __init__(self, url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.polling = context.Event()
        self._stop = context.Event()
        self._answers, their_end = context.Pipe(duplex=False)
        self._process = context.Process(
            target=poll_status,
            args=(url, self.polling, self._stop, their_end),
            name="status poller",
        )
        self.latencies: list[float] = []  # milliseconds per poll: how long a status waited

    def __enter__(self) -> StatusPoller:
        self._process.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._answers.poll(30):
            self.latencies = self._answers.recv()
        self._process.join(timeout=10)


def sell_with_polls(
    till: Till, count: int, poller: StatusPoller
) -> tuple[list[float], list[float]]:
    """Sell ``count`` tickets in blocks of ``POLL_BLOCK``, the status polled in every other
    block: the close latencies (quiet, polled) of one run, so that neither side gets the
    emptier database or the calmer moment."""
    quiet: list[float] = []
    polled: list[float] = []
    for block in range(0, count, POLL_BLOCK):
        on = block // POLL_BLOCK % 2 == 1
        if on:
            poller.polling.set()
        else:
            poller.polling.clear()
        samples = sell(till, min(POLL_BLOCK, count - block), "")
        (polled if on else quiet).extend(samples)
    poller.polling.clear()
    return quiet, polled


def serve_web(till: Till) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The till's web app (page and JSON API) on a free port, in a thread of this process."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(till), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="till web", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    return server, thread, url


def wait_until_uploaded(till: Till, limit_s: float = 60.0) -> float:
    """Seconds after the last live sale until the server holds every operation."""
    start = time.monotonic()
    while till.uploader.unsent_count() and time.monotonic() - start < limit_s:
        time.sleep(0.05)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="autonom-bench-") as tmp:
        folder = Path(tmp)
        server = start_seeded_server(folder / "server")
        till = bootstrap(
            TillSettings(
                number=10,
                server_url=server.url,
                data_dir=folder / "till",
                printer="none",
                enrolment_code=ENROLMENT_CODE,
            )
        )
        web, web_thread, url = serve_web(till)
        try:
            till.snapshot.refresh_now()  # register and take the master data first
            till.start()
            bare = bare_commit_latencies(folder, args.tickets)
            live = sell(till, args.tickets, "server up  ")
            drained_s = wait_until_uploaded(till)
            with StatusPoller(url) as poller:
                quiet, polled = sell_with_polls(till, args.tickets, poller)
            wait_until_uploaded(till)
            server.kill()
            down = sell(till, args.tickets, "server down")
            unsent = till.uploader.unsent_count()
        finally:
            web.should_exit = True
            web_thread.join(timeout=10)
            till.stop()
            server.kill()

    result = {
        "tickets": args.tickets,
        "p50_ms": round(statistics.median(live), 3),
        "p99_ms": round(percentile(live, 0.99), 3),
        "unpolled_p99_ms": round(percentile(quiet, 0.99), 3),
        "polled_p50_ms": round(statistics.median(polled), 3),
        "polled_p99_ms": round(percentile(polled, 0.99), 3),
        "status_polls": len(poller.latencies),
        "status_poll_p99_ms": round(percentile(poller.latencies, 0.99), 3),
        "bare_commit_p50_ms": round(statistics.median(bare), 3),
        "bare_commit_p99_ms": round(percentile(bare, 0.99), 3),
        "server_down_p50_ms": round(statistics.median(down), 3),
        "server_down_p99_ms": round(percentile(down, 0.99), 3),
        "live_upload_drained_s": round(drained_s, 2),
        "unsent_after_server_down": unsent,
    }
    result["ratio_p99"] = round(result["p99_ms"] / result["bare_commit_p99_ms"], 2)
    targets = {
        "p99 ≤ 3 ms": result["p99_ms"] <= 3,
        "ratio_p99 ≤ 10": result["ratio_p99"] <= 10,
        "server down no worse than live": result["server_down_p99_ms"] <= result["p99_ms"] * 1.1,
        "polled p99 ≤ 1.2 × unpolled p99 (same run)": (
            result["polled_p99_ms"] <= result["unpolled_p99_ms"] * 1.2
        ),
    }
    show(console, result, targets, as_json=args.json)


if __name__ == "__main__":
    main()
