"""How fast a till's week in emergency mode reaches the server when the server is back
(issue 9, point 8), beside PostgreSQL's own ``COPY`` of the same rows.

Run: ``make bench`` or ``.venv/bin/python -m bench.reintegration [--receipts N] [--json]``.

A till offline for 7 days at 700 receipts a day: 5,000 receipts of 5 bookings each, 35,000
operations (open, 5 bookings, close). All real processes and a real database:

1. a fresh PostgreSQL database and an ``autonom server`` process on it, with the demo
   café's items and operators; a fault proxy between till and server (the till's link);
2. till 10 registers and takes its master data through the proxy; then the link goes
   (the proxy refuses connections), the till's heartbeat sees the outage and the cashier
   chooses emergency mode; the receipts are sold through the till's own service layer
   (``handlers``, its unit of work: state, journal, outbox), dated over the past 7 days by
   the till's clock. Only this preparation writes without fsync (``synchronous=OFF`` on
   the selling connection), so that it takes seconds, not minutes; what it writes is
   exactly what a till writes;
3. an ``autonom till`` process on that database, started while its link is down: it
   resumes emergency mode and counts every operation unsent;
4. the link comes up (the proxy passes) — the clock starts — and the till's uploader
   pushes its log; the bench polls the till's ``GET /api/status`` until nothing is
   unsent — the clock stops;
5. the floor: the server's ``operations`` rows of that push, written again by PostgreSQL
   ``COPY`` into a temporary table of the same columns (one transaction), timed.

Targets (issue 9): at least 3,000 receipts/s, and ``seconds`` within 20× of the floor
(``ratio_to_copy`` ≤ 20). The last line (``--json``) is one JSON object with
``receipts``, ``seconds``, ``receipts_per_s``, ``copy_seconds``, ``ratio_to_copy`` (and
``operations``, ``fill_seconds``).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.progress import track

from autonom.demo import add_demo_operators
from autonom.domain import PaymentMethod
from autonom.till.bootstrap import TillSettings, bootstrap
from autonom.till.domain import Choice
from autonom.till.domain.mode import Mode
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, CloseTicket, OpenTicket, Tendered
from bench.figures import show
from tests.support.databases import database_url
from tests.support.fault_proxy import FaultProxy
from tests.support.processes import ADMIN_TOKEN, ENROLMENT_CODE, server_part, till_part

console = Console(stderr=True)
TILL = 10
OPERATOR = 1
DAYS = 7
RECEIPTS = 5000  # 7 days at about 700 receipts a day
PLUS = ("100", "102", "105", "107", "110")  # five drinks: 2.40 + 3.40 + 2.60 + 2.80 + 4.20
CASH = (Tendered(PaymentMethod.CASH, Decimal("20.00")),)
OPERATIONS_PER_RECEIPT = 2 + len(PLUS)  # open, the bookings, close
OUTAGE_NOTICED_S = 20.0  # the heartbeat sees a refused link within seconds (R1.2)
DRAIN_LIMIT_S = 600.0
POLL_S = 0.02
COPY_COLUMNS = (
    "store_id, till_number, log_number, seq, op_id, kind, document_id, recorded_at, "
    "applied_at, payload"
)


class TillClock:
    """The till's clock during the week offline: the bench moves it forward."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def sell_offline_week(folder: Path, link_url: str, proxy: FaultProxy, receipts: int) -> float:
    """Register till 10 through the link, lose the link, choose emergency mode and sell
    ``receipts`` receipts dated over the past week; return the seconds the selling took."""
    start = datetime.now(UTC) - timedelta(days=DAYS)
    step = timedelta(days=DAYS) / receipts
    clock = TillClock(start)
    till = bootstrap(
        TillSettings(
            number=TILL,
            server_url=link_url,
            data_dir=folder / f"till-{TILL}",
            printer="none",
            enrolment_code=ENROLMENT_CODE,
        ),
        clock=clock,
    )
    try:
        till.snapshot.refresh_now()  # registration and the master data
        proxy.refuse()  # the outage
        till.heartbeat.start()
        deadline = time.monotonic() + OUTAGE_NOTICED_S
        while till.modes.state is Mode.LIVE and time.monotonic() < deadline:
            time.sleep(0.05)
        till.modes.choose(Choice.EMERGENCY)
        if till.modes.state is not Mode.EMERGENCY:
            raise RuntimeError(f"the till did not enter emergency mode ({till.modes.state})")
        # The preparation only: a week of sales in seconds. Each is still one transaction
        # of the till's unit of work (state, journal, outbox).
        till.store.conn.execute("PRAGMA synchronous=OFF")
        began = time.perf_counter()
        for number in track(range(receipts), description="selling offline", console=console):
            clock.at = start + number * step
            ticket = handlers.open_ticket(OpenTicket(None, OPERATOR), till.unit_of_work())
            for plu in PLUS:
                clock.at += timedelta(seconds=5)
                handlers.add_booking(
                    AddBooking(ticket.ticket_id, plu, 1, OPERATOR), till.unit_of_work()
                )
            clock.at += timedelta(seconds=20)
            handlers.close_ticket(
                CloseTicket(ticket.ticket_id, CASH, OPERATOR), till.unit_of_work(), mode=till.modes
            )
        return time.perf_counter() - began
    finally:
        till.stop()


def till_status(client: httpx.Client) -> dict[str, object] | None:
    try:
        answer = client.get("/api/status")
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


def unsent_of(status: dict[str, object]) -> int:
    unsent = status["unsent_operations"]
    assert isinstance(unsent, int)
    return unsent


def reintegrate(till_url: str, proxy: FaultProxy, expected: int) -> float:
    """Bring the link up and poll the till until nothing is unsent; return the seconds."""
    with httpx.Client(base_url=till_url, timeout=5) as client:
        status = till_status(client)
        if status is None or unsent_of(status) != expected or not status["emergency_mode"]:
            raise RuntimeError(f"the till should hold {expected} unsent operations: {status}")
        began = time.perf_counter()
        proxy.pass_through()  # the server is back
        while time.perf_counter() - began < DRAIN_LIMIT_S:
            status = till_status(client)
            if status is not None and unsent_of(status) == 0:
                return time.perf_counter() - began
            time.sleep(POLL_S)
    raise RuntimeError(f"the till still had unsent operations after {DRAIN_LIMIT_S} s: {status}")


def copy_floor(db_url: str) -> tuple[int, float]:
    """The operations rows the push wrote, written again by ``COPY`` into a temporary table
    of the same columns in one transaction: how many, and the seconds the COPY took."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(f"SELECT {COPY_COLUMNS} FROM operations ORDER BY id").fetchall()
        conn.execute("CREATE TEMP TABLE floor (LIKE operations INCLUDING ALL)")
        conn.commit()
        began = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy(f"COPY floor ({COPY_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows), time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=RECEIPTS)
    parser.add_argument("--keep-data", action="store_true", help="keep the files and logs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    receipts: int = args.receipts
    operations = receipts * OPERATIONS_PER_RECEIPT

    folder = Path(tempfile.mkdtemp(prefix="autonom-reintegration-"))
    with database_url("postgresql", folder) as db_url:
        server = server_part(folder / "server", db_url=db_url).start()
        till = None
        try:
            add_demo_operators(server.url, ADMIN_TOKEN)
            with FaultProxy("127.0.0.1", int(server.url.rsplit(":", 1)[1])) as proxy:
                fill_s = sell_offline_week(folder, proxy.url, proxy, receipts)
                console.print(f"{receipts} receipts ({operations} operations) sold offline")
                till = till_part(folder, TILL, proxy.url).start()
                seconds = reintegrate(till.url, proxy, operations)
            held, copy_s = copy_floor(db_url)
        finally:
            if till is not None:
                till.stop()
            server.stop()
    if args.keep_data:
        console.print(f"files and logs in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    if held != operations:
        raise RuntimeError(f"the server holds {held} operations, not {operations}")

    result = {
        "receipts": receipts,
        "operations": operations,
        "seconds": round(seconds, 3),
        "receipts_per_s": round(receipts / seconds, 1),
        "copy_seconds": round(copy_s, 4),
        "ratio_to_copy": round(seconds / copy_s, 1),
        "fill_seconds": round(fill_s, 1),
    }
    targets = {
        "at least 3,000 receipts/s": result["receipts_per_s"] >= 3000,
        "within 20× of COPY": result["ratio_to_copy"] <= 20,
    }
    show(console, result, targets, as_json=args.json)


if __name__ == "__main__":
    main()
