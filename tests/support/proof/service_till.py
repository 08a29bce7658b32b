"""A till without its web server: the crash harness's cheap till life.

Run in a child of the ``ForkLauncher`` (``ForkLauncher.call``), ``sell`` opens the till's
files as ``autonom till`` does (``bootstrap``), starts its uploader thread only — no
uvicorn, no heartbeat, no login: the crash points sit in the unit of work, ``Selling.pay``,
the server link and the uploader, not in the web layer — and sells through the service
layer (``Selling``) with a short pause between sales, until a crash point or the harness kills the
process. A life costs about a third of a full till's (its start is the web app's first
request and a PIN check); the process, its SQLite connections and its SIGKILL are as real.

What the cashier would have been told — a ticket opened, a line booked, a receipt paid —
is appended to ``ledger`` as one JSON line per answer, each with one ``write`` (the kernel
keeps it when the process is killed), after the service layer returned and before the next
step: ``read_ledger`` adds it to the till's ``Acknowledged``.
"""

from __future__ import annotations

import json
import os
import random
import time
from decimal import Decimal
from pathlib import Path

from autonom import crash_points
from autonom.domain import PaymentMethod
from autonom.till.bootstrap import TillSettings, bootstrap
from autonom.till.service_layer.commands import Tendered
from tests.support.processes import ENROLMENT_CODE
from tests.support.proof.cashier import ANNA, GOODS, Acknowledged

MAX_SALES = 500  # a life that was never killed stops selling here
# Between two sales: a cashier far faster than any real one, yet slow enough for the
# uploader to get the write lock between two commits (in a loop without pause it seldom
# does, and the upload's crash points would not be reached).
PAUSE_S = (0.005, 0.02)


def sell(*, data_dir: str, number: int, server_url: str, ledger: str, seed: int) -> None:
    """Be till ``number`` on ``data_dir`` and sell until killed (see the module docstring)."""
    crash_points.arm_from_environment()
    directory = Path(data_dir)
    settings = TillSettings(
        number=number,
        server_url=server_url,
        data_dir=directory,
        printer=f"file:{directory / 'receipts.escpos'}",
        enrolment_code=ENROLMENT_CODE,
    )
    till = bootstrap(settings)
    till.uploader.start()
    selling = till.selling
    rng = random.Random(seed)
    out = os.open(ledger, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def told(**fact: object) -> None:
        os.write(out, (json.dumps(fact) + "\n").encode())

    for _ in range(MAX_SALES):
        ticket = selling.open_ticket(ANNA, None)
        told(ticket=ticket.ticket_id)
        for _ in range(rng.randint(1, 3)):
            ticket = selling.book(ANNA, ticket.ticket_id, rng.choice(GOODS), rng.randint(1, 3))
            told(bookings=[b.booking_id for b in ticket.bookings])
        cash = Tendered(PaymentMethod.CASH, ticket.total)
        closed = selling.pay(ANNA, ticket.ticket_id, [cash])
        told(receipt=closed.receipt.number, total=str(closed.receipt.total))
        time.sleep(rng.uniform(*PAUSE_S))
    till.uploader.stop()


def read_ledger(ledger: Path, acknowledged: Acknowledged) -> None:
    """Add what the lives recorded in ``ledger`` to ``acknowledged``."""
    if not ledger.exists():
        return
    for line in ledger.read_text().splitlines():
        fact = json.loads(line)
        if "ticket" in fact:
            acknowledged.tickets.add(fact["ticket"])
        elif "bookings" in fact:
            acknowledged.bookings.update(fact["bookings"])
        else:
            acknowledged.receipts[fact["receipt"]] = Decimal(fact["total"])
