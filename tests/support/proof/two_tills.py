"""Two tills and the server in one process, cheap enough for a Hypothesis state machine
(``tests/integration/proof/test_convergence.py``, issue 9 point 9).

Each till is ``bootstrap``'s wiring on its own real SQLite file with no thread started (the
test is its heartbeat and its uploader thread); the server is ``create_app`` on a real
SQLite file behind FastAPI's TestClient; each till reaches it through a ``Link``, an httpx
transport that can cut the link (a partition) or let a request through and lose its answer.

What made the first version slow was paid again in every example: ``create_app`` (its
migrations, and FastAPI building each route's schemas on its first request), registering
both tills and copying the master data. Here that is paid once per run: ``seed_template``
makes a server database with master data and two registered tills with their snapshot;
``InProcessServer`` builds its app once, and every example puts a fresh copy of the
template under the same path (the server keeps no state beyond its database, invariant 9,
so that is a new server on a fresh database) and copies the tills' folders.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import Event
from autonom.domain.events import TicketEvent
from autonom.server.adapters import tables
from autonom.server.domain import Recorded, follow_up_chain, project_family
from autonom.server.entrypoints.api import create_app
from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.server_link import ServerLink
from autonom.till.adapters.store import connect
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.service_layer.uploader import Uploader
from tests.integration.server.till_log import ADMIN, ENROLMENT_CODE, server_settings
from tests.support.proof.holdings import STORE_ID, read_only_engine

TILLS = (10, 11)
ITEMS = {"100": "2.40", "102": "3.40", "200": "1.90"}
OPERATORS = {1: ("Anna", "1111"), 2: ("Ben", "2222")}
SERVER_URL = "http://server"
TILL_FILE = "till.sqlite"


class Link(httpx.BaseTransport):
    """A till's way to the in-process server: through, cut, or losing the next answer."""

    def __init__(self, server: TestClient) -> None:
        self.server = server
        self.cut = False
        self.lose_next_answer = False
        self.answers_lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.cut:
            raise httpx.ConnectError("partitioned", request=request)
        answer = self.server.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        )
        if self.lose_next_answer:
            self.lose_next_answer = False
            self.answers_lost += 1
            raise httpx.ReadError("the answer was lost on the way back", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


class StepClock:
    """Both tills' wall clock: one second later at every reading, so that what happened
    first has the earlier time on either till (the order the merge rules go by) and every
    run of the same steps records the same times."""

    def __init__(self, start: datetime = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def till_settings(data_dir: Path, number: int) -> TillSettings:
    return TillSettings(
        number=number,
        server_url=SERVER_URL,
        data_dir=data_dir,
        printer="none",
        enrolment_code=ENROLMENT_CODE,
    )


def seed_template(folder: Path) -> dict[int, str]:
    """``folder``/server.sqlite: a migrated server database with a tax rate, three items,
    Anna and Ben; ``folder``/till-N: each till registered with it and holding its
    snapshot. Returns each till's credential."""
    server = InProcessServer(folder / "server.sqlite")
    credentials = {}
    try:
        for url, body in [
            ("/api/v1/tax-rates/A", {"percent": "19.00", "name": "Standard rate"}),
            *[
                (f"/api/v1/items/{plu}", {"name": f"Item {plu}", "price": price, "tax_code": "A"})
                for plu, price in ITEMS.items()
            ],
            *[
                (f"/api/v1/operators/{n}", {"name": name, "role": "cashier", "pin": pin})
                for n, (name, pin) in OPERATORS.items()
            ],
        ]:
            answer = server.client.put(url, json=body, headers=ADMIN)
            assert answer.status_code == 200, answer.text
        for number in TILLS:
            till = bootstrap(
                till_settings(folder / f"till-{number}", number),
                server_transport=Link(server.client),
            )
            till.snapshot.refresh_now()  # registers, then copies the master data
            assert till.link.credential is not None
            credentials[number] = till.link.credential
            till.stop()
    finally:
        server.close()
    return credentials


class InProcessServer:
    """``create_app`` on ``path``, built once; ``reset`` puts a fresh copy of ``template``
    under it (the engine's pooled connections closed first)."""

    def __init__(self, path: Path, template: Path | None = None) -> None:
        self.path = path
        self.template = template
        if template is not None:
            _copy_database(template, path)
        self.db_url = f"sqlite:///{path}"
        self.app = create_app(server_settings(self.db_url))
        self.client = TestClient(self.app)
        self.client.__enter__()
        self.reader = read_only_engine(self.db_url)  # kept: its compiled statements too

    def reset(self) -> None:
        assert self.template is not None
        self.reader.dispose()
        self.app.state.context.engine.dispose()
        _copy_database(self.template, self.path)

    def state(self) -> ServerState:
        """What the server holds now (``read_state``)."""
        return read_state(self.reader)

    def close(self) -> None:
        self.reader.dispose()
        self.client.__exit__(None, None, None)


def _copy_database(source: Path, target: Path) -> None:
    for old in target.parent.glob(target.name + "*"):
        old.unlink()
    for part in source.parent.glob(source.name + "*"):  # the file and any -wal, -shm
        shutil.copyfile(part, target.parent / (target.name + part.name[len(source.name) :]))


def start_tills(
    template: Path, folder: Path, server: TestClient, clock: StepClock
) -> tuple[dict[int, Till], dict[int, Link]]:
    tills, links = {}, {}
    for number in TILLS:
        shutil.rmtree(folder / f"till-{number}", ignore_errors=True)
        shutil.copytree(template / f"till-{number}", folder / f"till-{number}")
        links[number] = Link(server)
        tills[number] = bootstrap(
            till_settings(folder / f"till-{number}", number),
            clock=clock,
            server_transport=links[number],
        )
    return tills, links


def push_whole_log(
    data_dir: Path, number: int, credential: str, server: TestClient, scratch: Path
) -> None:
    """Push till ``number``'s whole log (a copy of its file, every operation unsent again)
    to ``server`` through the till's own uploader: another order of arrival."""
    copy = scratch / f"replay-{number}.sqlite"
    for old in scratch.glob(copy.name + "*"):
        old.unlink()
    with sqlite3.connect(data_dir / TILL_FILE) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    conn = connect(copy)
    Outbox(conn).realign(0)
    conn.close()
    link = ServerLink(SERVER_URL, number, credential=credential, transport=Link(server))
    uploader = Uploader(copy, link)
    try:
        uploader.push_pending()
    finally:
        uploader.stop()
        link.close()


# -- what the server holds ----------------------------------------------------------------


@dataclass(frozen=True)
class TicketRow:
    table: int | None
    till_number: int
    owner: int
    status: str
    total: Decimal
    receipt_number: str | None
    follows: str | None


@dataclass(frozen=True)
class LineRow:
    ticket_id: str
    booking_id: str
    offline: bool
    voided: bool
    operator_number: int


@dataclass(frozen=True)
class OperationRow:
    till_number: int
    seq: int
    op_id: str
    document_id: str
    recorded_at: datetime
    payload: str


@dataclass(frozen=True)
class ServerState:
    """The server's tickets, lines (in their order), receipts, flags and operations (in
    the order applied), read-only through the server's own table definitions."""

    tickets: dict[str, TicketRow]
    lines: list[LineRow]
    receipts: list[tuple[str, str, int, Decimal, bool]]  # number, ticket, till, total, dup
    flags: list[tuple[str, str | None, int, int]]  # code, ticket, till, seq
    operations: list[OperationRow]

    def lines_of(self, ticket_id: str) -> list[LineRow]:
        return [line for line in self.lines if line.ticket_id == ticket_id]

    def open_at(self, table: int) -> list[str]:
        """The open tickets of ``table``, oldest first as tills are given them."""
        return [
            ticket_id
            for ticket_id, row in self.tickets.items()
            if row.table == table and row.status == "open"
        ]

    def where_is(self) -> Counter[str]:
        return Counter(line.booking_id for line in self.lines)

    def flagged(self, code: str, ticket_id: str) -> bool:
        return any(c == code and t == ticket_id for c, t, _, _ in self.flags)

    def comparable(self) -> tuple[object, ...]:
        """Everything but the order of arrival itself (operation rows' order, flags' ids)."""
        return (
            self.tickets,
            self.lines,
            sorted(self.receipts),
            sorted(self.flags, key=str),
            sorted((o.till_number, o.seq, o.op_id) for o in self.operations),
        )


def differences(one: ServerState, other: ServerState) -> list[str]:
    """What differs between two servers' states (``comparable``), in words."""
    found = []
    for ticket_id in one.tickets.keys() | other.tickets.keys():
        a, b = one.tickets.get(ticket_id), other.tickets.get(ticket_id)
        if a != b:
            found.append(f"ticket {ticket_id}: {a} / {b}")
        if one.lines_of(ticket_id) != other.lines_of(ticket_id):
            found.append(
                f"lines of {ticket_id}: {one.lines_of(ticket_id)} / {other.lines_of(ticket_id)}"
            )
    for name, a, b in zip(
        ("receipts", "flags", "operations"),
        one.comparable()[2:],
        other.comparable()[2:],
        strict=True,
    ):
        if a != b:
            found.append(f"{name}: {a} / {b}")
    return found


def read_state(engine: Engine) -> ServerState:
    """The server's state through ``engine`` (a read-only one: ``read_only_engine``)."""
    t, b, r, f, o = (
        tables.tickets,
        tables.ticket_bookings,
        tables.receipts,
        tables.flags,
        tables.operations,
    )
    with engine.connect() as db:
        ticket_rows = db.execute(
            select(
                t.c.ticket_id,
                t.c.table_number,
                t.c.till_number,
                t.c.owner,
                t.c.status,
                t.c.total,
                t.c.receipt_number,
                t.c.follows,
            )
            .where(t.c.store_id == STORE_ID)
            .order_by(t.c.opened_at, t.c.ticket_id)
        ).all()
        line_rows = db.execute(
            select(b.c.ticket_id, b.c.booking_id, b.c.offline, b.c.void_reason, b.c.operator_number)
            .where(b.c.store_id == STORE_ID)
            .order_by(b.c.ticket_id, b.c.line)
        ).all()
        receipts = db.execute(
            select(r.c.number, r.c.ticket_id, r.c.till_number, r.c.total, r.c.duplicate).where(
                r.c.store_id == STORE_ID
            )
        ).all()
        flags = db.execute(
            select(f.c.code, f.c.ticket_id, f.c.till_number, f.c.seq)
            .where(f.c.store_id == STORE_ID)
            .order_by(f.c.id)
        ).all()
        operations = db.execute(
            select(
                o.c.till_number,
                o.c.seq,
                o.c.op_id,
                o.c.document_id,
                o.c.recorded_at,
                o.c.payload,
            )
            .where(o.c.store_id == STORE_ID)
            .order_by(o.c.id)
        ).all()
    return ServerState(
        tickets={
            row.ticket_id: TicketRow(
                row.table_number,
                row.till_number,
                row.owner,
                row.status,
                row.total,
                row.receipt_number,
                row.follows,
            )
            for row in ticket_rows
        },
        lines=[
            LineRow(
                row.ticket_id,
                row.booking_id,
                bool(row.offline),
                row.void_reason is not None,
                row.operator_number,
            )
            for row in line_rows
        ],
        receipts=[(n, tk, till, total, bool(dup)) for n, tk, till, total, dup in receipts],
        flags=[(code, ticket, till, int(seq)) for code, ticket, till, seq in flags],
        operations=[OperationRow(*row) for row in operations],
    )


def projected(
    state: ServerState,
) -> tuple[dict[str, TicketRow], list[LineRow], set[tuple[str, str]]]:
    """The tickets, lines and ticket flags the merge rules make of the operations the
    server holds (``project_family``), to compare with what it wrote."""
    histories: dict[str, list[Recorded]] = {}
    for op in state.operations:
        event: Event = EVENT_ADAPTER.validate_json(op.payload)
        if isinstance(event, TicketEvent):
            histories.setdefault(op.document_id, []).append(
                Recorded(event, op.till_number, op.seq, op.recorded_at, op.op_id)
            )
    tickets: dict[str, TicketRow] = {}
    lines: list[LineRow] = []
    flags: set[tuple[str, str]] = set()
    follow_ups = {child for root in histories for child in follow_up_chain(root)}
    for root in histories.keys() - follow_ups:
        for projection in project_family(root, histories):
            ticket = projection.ticket
            receipt = ticket.receipt
            tickets[ticket.ticket_id] = TicketRow(
                ticket.table,
                ticket.till_number,
                ticket.owner,
                ticket.status.value,
                receipt.total if receipt else ticket.total,
                receipt.number if receipt else None,
                projection.follows,
            )
            lines += [
                LineRow(ticket.ticket_id, b.booking_id, b.offline, b.voided, b.operator_number)
                for b in ticket.bookings
            ]
            flags |= {(f.code, f.ticket_id) for f in projection.findings}
    lines.sort(key=lambda line: line.ticket_id)  # stable: each ticket's lines in order
    return tickets, lines, flags
