"""Model-based proof (issue 9, point 9): two tills and the server, with partitions, answers
lost on the way back, offline edits of the same tables on both sides and healing, in any
order Hypothesis finds — and after healing and draining the server has converged:

* exactly once: each till's operation log is on the server, every operation once, at its
  own sequence, and nothing the tills did not record;
* every ticket the server holds is the replay of the operations it holds for it (in the
  order it applied them), and every line and receipt a till acknowledged is on exactly one
  ticket, once.

The merge rules themselves (which ticket a table ends on, who owns it, what is flagged)
are the merge's to prove; this checks only what must hold whatever they decide.

In-process, as the brief allows: each till is ``bootstrap``'s wiring on its own real
SQLite file with no thread started (the test is its heartbeat: it tells the mode keeper
the link is down or up, and it runs the uploader's rounds); the server is ``create_app``
on a real SQLite file behind FastAPI's TestClient. Each till reaches the server through a
``Link``, an httpx transport that can cut the link both ways (a partition) or let a request
through and lose its answer (the till cannot know the server applied it).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import Event, PaymentMethod, Refusal, errors
from autonom.server.adapters import tables
from autonom.server.domain import replay_ticket
from autonom.server.entrypoints.api import create_app
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.domain import Choice, Mode
from autonom.till.domain.heartbeat import UP, Health, Reason, Verdict
from autonom.till.service_layer.commands import Tendered
from tests.integration.server.till_log import ADMIN, ENROLMENT_CODE, server_settings
from tests.support.proof.holdings import STORE_ID, read_only_engine, read_till

pytestmark = pytest.mark.e2e

TILLS = (10, 11)
TABLES = (1, 2, 3)
ITEMS = {"100": "2.40", "102": "3.40", "200": "1.90"}
ANNA, ANNA_PIN = 1, "1111"
DOWN = Verdict(Health.DOWN, Reason.NO_PING)
# A refusal the model accepts as an answer (nothing acknowledged): an offline till may not
# touch a shared ticket's lines the way it touches its own.
ACCEPTED_REFUSALS = {errors.SHARED_TICKET_OFFLINE}
DRAIN_ROUNDS = 5
EXAMPLES, STEPS = 25, 50  # about 6 s


class Link(httpx.BaseTransport):
    """A till's way to the in-process server: through, cut, or losing the next answer."""

    def __init__(self, server: TestClient) -> None:
        self.server = server
        self.cut = False
        self.lose_next_answer = False

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
            event("an answer lost after the server applied the request")
            raise httpx.ReadError("the answer was lost on the way back", request=request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def seeded_server_database(folder: Path) -> Path:
    """A migrated server database with a tax rate, three items and Anna, made once."""
    path = folder / "template.sqlite"
    with TestClient(create_app(server_settings(f"sqlite:///{path}"))) as server:
        for url, body in [
            ("/api/v1/tax-rates/A", {"percent": "19.00", "name": "Standard rate"}),
            *[
                (f"/api/v1/items/{plu}", {"name": f"Item {plu}", "price": price, "tax_code": "A"})
                for plu, price in ITEMS.items()
            ],
            ("/api/v1/operators/1", {"name": "Anna", "role": "cashier", "pin": ANNA_PIN}),
        ]:
            answer = server.put(url, json=body, headers=ADMIN)
            assert answer.status_code == 200, answer.text
    return path


class TwoTillsAndTheServer(RuleBasedStateMachine):
    """See the module docstring. The model keeps what the tills acknowledged."""

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="convergence-"))
        self.db_url = f"sqlite:///{self.folder / 'server.sqlite'}"
        shutil.copy(template, self.folder / "server.sqlite")
        self.server = TestClient(create_app(server_settings(self.db_url)))
        self.server.__enter__()
        self.links: dict[int, Link] = {}
        self.tills: dict[int, Till] = {}
        # The model: what the tills told their cashiers.
        self.open: dict[tuple[int, int | None], str] = {}  # (till, table) → ticket id
        self.lines: set[str] = set()  # booking ids
        self.voided: set[str] = set()
        self.receipts: set[str] = set()

    @initialize()
    def start_the_tills(self) -> None:
        for number in TILLS:
            link = self.links[number] = Link(self.server)
            settings_ = TillSettings(
                number=number,
                server_url="http://server",
                data_dir=self.folder / f"till-{number}",
                printer="none",
                enrolment_code=ENROLMENT_CODE,
            )
            till = self.tills[number] = bootstrap(settings_, server_transport=link)
            till.snapshot.refresh_now()  # registers, then copies the master data

    def teardown(self) -> None:
        try:
            if len(self.tills) == len(TILLS):
                self.heal_everything_and_drain()
                self.check_convergence()
        finally:
            for till in self.tills.values():
                till.stop()
            self.server.__exit__(None, None, None)
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- the network -----------------------------------------------------------------------

    @rule(number=st.sampled_from(TILLS))
    def cut_the_link(self, number: int) -> None:
        """A partition: the till's heartbeat sees the server gone, the cashier chooses
        emergency mode."""
        self.links[number].cut = True
        till = self.tills[number]
        till.modes.link_verdict(DOWN, now=0.0)
        till.modes.choose(Choice.EMERGENCY)

    @precondition(lambda self: any(link.cut for link in self.links.values()))
    @rule(number=st.sampled_from(TILLS))
    def heal_the_link(self, number: int) -> None:
        if self.links[number].cut:
            self.links[number].cut = False
            self.heal(number)

    @rule(number=st.sampled_from(TILLS))
    def upload(self, number: int) -> None:
        """One round of the till's uploader (what its thread does after every commit)."""
        self.push(number)

    @rule(number=st.sampled_from(TILLS))
    def upload_and_lose_the_answer(self, number: int) -> None:
        """The server gets the batch and applies it; the answer never reaches the till."""
        if not self.links[number].cut:
            self.links[number].lose_next_answer = True
            self.push(number)
            self.links[number].lose_next_answer = False

    # -- the cashiers ----------------------------------------------------------------------

    @rule(
        number=st.sampled_from(TILLS),
        table=st.sampled_from((*TABLES, None)),
        plu=st.sampled_from(sorted(ITEMS)),
    )
    def open_a_ticket_and_book(self, number: int, table: int | None, plu: str) -> None:
        """Open a table (asked of the server in live mode) or a counter ticket, and book a
        first line on it; on a table this till has open already, book there."""
        key = (number, table)
        if key not in self.open:
            ticket = self.tills[number].selling.open_ticket(ANNA, table)
            self.open[key] = ticket.ticket_id
            self.lines.update(b.booking_id for b in ticket.bookings)  # an adopted table's
        self.book_on(key, plu, 1)

    def an_open_ticket(self, data: st.DataObject) -> tuple[tuple[int, int | None], str]:
        """One of the tickets the cashiers have open: ((till, table), ticket id)."""
        key = data.draw(st.sampled_from(sorted(self.open, key=str)), label="open ticket")
        return key, self.open[key]

    @precondition(lambda self: self.open)
    @rule(data=st.data(), plu=st.sampled_from(sorted(ITEMS)), quantity=st.integers(1, 3))
    def book(self, data: st.DataObject, plu: str, quantity: int) -> None:
        key, _ = self.an_open_ticket(data)
        self.book_on(key, plu, quantity)

    def book_on(self, key: tuple[int, int | None], plu: str, quantity: int) -> None:
        (number, table), ticket_id = key, self.open[key]
        try:
            ticket = self.tills[number].selling.book(ANNA, ticket_id, plu, quantity)
        except Refusal as refusal:
            self.accept(refusal)
            return
        self.lines.update(b.booking_id for b in ticket.bookings)
        # What the runs cover (``--hypothesis-show-statistics``).
        if self.links[number].cut:
            event("a line booked while the till was cut off")
        if table is not None and any(n != number and t == table for n, t in self.open):
            event("a line booked on a table open on both tills")

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def void_a_line(self, data: st.DataObject) -> None:
        (number, _), ticket_id = self.an_open_ticket(data)
        selling = self.tills[number].selling
        live = [b.booking_id for b in selling.ticket(ticket_id).bookings if b.void_reason is None]
        if not live:
            return
        line = data.draw(st.sampled_from(live), label="line")
        try:
            selling.void(ANNA, ticket_id, line, "guest changed their mind")
        except Refusal as refusal:
            self.accept(refusal)
            return
        self.voided.add(line)

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def pay(self, data: st.DataObject) -> None:
        key, ticket_id = self.an_open_ticket(data)
        selling = self.tills[key[0]].selling
        ticket = selling.ticket_for_payment(ticket_id)
        if ticket.status.value != "open":  # paid on the other till meanwhile
            del self.open[key]
            return
        try:
            # An empty cash field: the amount due, as the cashier's page pays it.
            closed = selling.pay(ANNA, ticket_id, [Tendered(PaymentMethod.CASH)])
        except Refusal as refusal:
            self.accept(refusal, errors.TICKET_EMPTY)
            return
        self.receipts.add(closed.receipt.number)
        del self.open[key]

    @staticmethod
    def accept(refusal: Refusal, *also: str) -> None:
        """A refusal is an answer (nothing acknowledged), if it is one the model expects."""
        if refusal.code not in ACCEPTED_REFUSALS | set(also):
            raise AssertionError(f"unexpected refusal {refusal.code}: {refusal.message}")

    # -- the way back ----------------------------------------------------------------------

    def push(self, number: int) -> None:
        # The link is cut, or the answer was lost: the next round resends.
        with contextlib.suppress(ServerUnreachable):
            self.tills[number].uploader.push_pending()

    def heal(self, number: int) -> None:
        """The heartbeat sees the server again; the cashier synchronises now (R1.6)."""
        modes = self.tills[number].modes
        with self.tills[number].reading() as uow:
            if uow.outbox.unsent_count() and modes.sales_offline:
                event("a till came back with offline work to upload")
        modes.link_verdict(UP, now=1.0)
        if modes.state is Mode.SERVER_AVAILABLE:
            modes.choose(Choice.SYNC_NOW)
        self.push(number)
        with self.tills[number].reading() as uow:
            drained = uow.outbox.unsent_count() == 0
        if drained and modes.state is Mode.REINTEGRATING:
            modes.reintegrated(now=2.0)

    def heal_everything_and_drain(self) -> None:
        for number in self.tills:
            self.links[number].cut = self.links[number].lose_next_answer = False
            self.heal(number)
        for _ in range(DRAIN_ROUNDS):
            for number in self.tills:
                self.push(number)
        for number, till in self.tills.items():
            with till.reading() as uow:
                assert uow.outbox.unsent_count() == 0, f"till {number} did not drain"

    # -- the check -------------------------------------------------------------------------

    def check_convergence(self) -> None:
        engine = read_only_engine(self.db_url)
        o, t, b, r = tables.operations, tables.tickets, tables.ticket_bookings, tables.receipts
        try:
            with engine.connect() as db:
                operations = db.execute(
                    select(o.c.till_number, o.c.seq, o.c.op_id, o.c.document_id, o.c.payload)
                    .where(o.c.store_id == STORE_ID)
                    .order_by(o.c.id)
                ).all()
                tickets = db.execute(
                    select(t.c.ticket_id, t.c.status, t.c.total, t.c.receipt_number).where(
                        t.c.store_id == STORE_ID
                    )
                ).all()
                lines = db.execute(
                    select(b.c.ticket_id, b.c.booking_id, b.c.void_reason)
                    .where(b.c.store_id == STORE_ID)
                    .order_by(b.c.ticket_id, b.c.line)
                ).all()
                receipts = db.execute(select(r.c.number).where(r.c.store_id == STORE_ID)).all()
        finally:
            engine.dispose()

        # Exactly once: the server's log of each till is the till's log.
        for number in self.tills:
            logged = read_till(self.folder / f"till-{number}", number).operations
            held = [(seq, op_id) for n, seq, op_id, _, _ in operations if n == number]
            assert sorted(held) == sorted((seq, op_id) for op_id, seq in logged.items()), (
                f"till {number}: the server's log is not the till's"
            )

        # Every ticket is the replay of its operations, in the server's order.
        events: dict[str, list[Event]] = {}
        for _, _, _, document_id, payload in operations:
            events.setdefault(document_id, []).append(EVENT_ADAPTER.validate_json(payload))
        by_ticket: dict[str, list[tuple[str, bool]]] = {}
        for ticket_id, booking_id, void_reason in lines:
            by_ticket.setdefault(ticket_id, []).append((booking_id, void_reason is not None))
        for ticket_id, status, total, receipt_number in tickets:
            replayed = replay_ticket(events[ticket_id])
            receipt = replayed.receipt
            # The server's projection: a closed ticket's total is its receipt's (a line
            # booked after the close stays on the ticket, flagged CHANGED_AFTER_CLOSE).
            expected = (
                replayed.status.value,
                receipt.total if receipt else replayed.total,
                receipt.number if receipt else None,
            )
            assert (status, total, receipt_number) == expected, (
                f"ticket {ticket_id} is {(status, total, receipt_number)} on the server, "
                f"the replay of its operations gives {expected}"
            )
            assert by_ticket.get(ticket_id, []) == [
                (line.booking_id, line.void_reason is not None) for line in replayed.bookings
            ], f"the lines of ticket {ticket_id} are not the replay of its operations"

        # What the tills acknowledged: each line on one ticket once, each receipt once.
        on_server = Counter(booking_id for _, booking_id, _ in lines)
        assert {line for line in self.lines if on_server[line] != 1} == set()
        voided_on_server = {booking_id for _, booking_id, reason in lines if reason is not None}
        assert self.voided <= voided_on_server
        held_receipts = Counter(number for (number,) in receipts)
        assert {n for n in self.receipts if held_receipts[n] != 1} == set()
        assert set(held_receipts) == self.receipts


@pytest.mark.timeout(180)
def test_two_tills_and_the_server_converge_after_partitions_lost_answers_and_healing(
    tmp_path: Path,
) -> None:
    template = seeded_server_database(tmp_path)
    run = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    run_state_machine_as_test(lambda: TwoTillsAndTheServer(template), settings=run)
