"""Model-based proof (issue 9, point 9): two tills and the server, in the orders Hypothesis
finds, with partitions, answers lost after the server applied a batch, offline edits of
the same tables on both sides and healing in either order.

At the end of each healing the model compares what it expected with the server's tables
— the merge rules of R3.2 (docs/sync-protocol.md § 7a) for every ticket the till held open
and every receipt it made in emergency mode:

* a ticket only on the till moves 1:1 (its lines, voids and ``OFF`` marks as the till has
  them, owned by who opened it);
* a ticket only on the server stays: every server ticket the healing till's operations did
  not touch is as it was;
* the same table on both sides is merged into the server's ticket, and the operator who
  booked offline becomes its owner; a ticket the server held before the outage takes its
  ``OFF`` lines, and the operator who booked them becomes its owner;
* every line booked in emergency mode keeps its ``OFF`` mark, wherever it ends;
* a ticket paid on the server while the till booked on it offline leaves those lines on a
  follow-up ticket at the same table, flagged ``FOLLOW_UP_TICKET``;
* a ticket paid on both sides keeps both receipts and is flagged ``TICKET_CLOSED_TWICE``.

After the last healing and draining, convergence: each till's log is on the server exactly
once and nothing else is; every ticket, line and ticket flag the server holds is what the
merge rules make of the operations it holds (``project_family``); every line and receipt a
till acknowledged is there once; and the same two logs pushed to a second server in
another order of arrival (all of till 11's, then all of till 10's) give the same tickets,
lines, receipts and flags — the rules go by what happened, not by when it arrived.

Every example starts the same way (both tills work on one table live and upload, then one
till's link fails) and goes on with up to 30 steps: per till, cut or heal the link, an
upload round, an upload whose answer is lost, a sale at table 1 or 2 (operator Anna or
Ben), a void, a payment. Every rule does what its name says (preconditions keep a cut link
from being cut again, a void from a till without lines), and the run counts what happened:
the test fails if a partition, a lost answer, a healing in each order, a move, a merge, a
join, an owner change, a follow-up, a ticket paid on both sides or a ticket that stayed
never happened (each at least once in the 40 examples). A void the server cannot
apply (the line turned out paid on the other side) must be flagged for a person.

Deterministic: derandomized, in a process of its own (Hypothesis also draws constants
from the modules loaded, which in the suite's process depend on the tests before it), the
tills' clock a counter (``StepClock``): the same 40 examples in every run, in CI as with
``python -m tests.integration.proof.test_convergence DIR``; a failure is reported with its
steps as found, not shrunk. About 30 s on a 2-core machine: the server app, its
migrations, the tills' registration and snapshot are made once per run
(``tests/support/proof/two_tills.py``).
Not checked yet: with OFF lines of an earlier outage on a ticket, the till hands the
ticket to that outage's operator, not to who booked offline this time.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from autonom.domain import Booking, PaymentMethod, Refusal, Ticket, errors
from autonom.domain.errors import (
    CHANGED_AFTER_CLOSE,
    FOLLOW_UP_TICKET,
    TICKET_CLOSED_TWICE,
    UNKNOWN_BOOKING,
)
from autonom.domain.ticket import OFFLINE_VOID_REASON
from autonom.server.domain import follow_up_chain
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Mode
from autonom.till.domain.heartbeat import UP, Health, Reason, Verdict
from autonom.till.service_layer.commands import Tendered
from tests.support.proof.two_tills import (
    ITEMS,
    OPERATORS,
    TILL_FILE,
    TILLS,
    InProcessServer,
    Link,
    ServerState,
    StepClock,
    differences,
    projected,
    push_whole_log,
    seed_template,
    start_tills,
)

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[3]
TABLES = (1, 2)
EXAMPLES, STEPS = 40, 30
DOWN = Verdict(Health.DOWN, Reason.NO_PING)
DRAIN_ROUNDS = 4
# Refusals a cashier can meet here and that acknowledge nothing: a ticket paid or moved on
# the other till meanwhile (seen live at the pay screen).
ACCEPTED_REFUSALS = {errors.TICKET_CLOSED, errors.TICKET_MOVED}
# What the run must have seen at least once (``SEEN``), or it proved less than it says.
MUST_HAPPEN = (
    "partition",
    "answer lost after the server applied the batch",
    "healing with work done offline",
    "both tills offline, till 10 healed first",
    "both tills offline, till 11 healed first",
    "same table edited offline on one till and on the other",
    "ticket only on the till moved 1:1",
    "offline ticket merged into the server's ticket of its table",
    "server's ticket took back its OFF lines",
    "owner changed to the operator who booked offline",
    "OFF lines of a ticket paid elsewhere went to a follow-up ticket",
    "ticket paid on both sides kept both receipts",
    "ticket only on the server stayed",
)


class Run:
    """What every example shares: the template, the server and the replay server."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.template = folder / "template"
        self.template.mkdir()
        self.credentials = seed_template(self.template)
        self.server = InProcessServer(folder / "server.sqlite", self.template / "server.sqlite")
        self.replay = InProcessServer(folder / "replay.sqlite", self.template / "server.sqlite")
        self.seen: Counter[str] = Counter()

    def close(self) -> None:
        self.server.close()
        self.replay.close()


class TwoTillsAndTheServer(RuleBasedStateMachine):
    """See the module docstring."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run
        run.server.reset()
        self.tills: dict[int, Till] = {}
        self.links: dict[int, Link] = {}
        self.tills, self.links = start_tills(
            run.template, run.folder / "tills", run.server.client, StepClock()
        )
        # The model: what the cashiers were told, and what each outage did.
        self.offline = dict.fromkeys(TILLS, False)
        self.lines: dict[str, bool] = {}  # every line acknowledged → voided
        self.receipts: set[str] = set()
        self.voids: dict[str, str] = {}  # line → the ticket it was voided on
        self.paid: dict[str, list[str]] = {}  # ticket → the receipts the tills paid it with
        self.opened_offline: dict[int, set[str]] = {n: set() for n in TILLS}  # new, offline
        self.off_lines: dict[int, set[str]] = {n: set() for n in TILLS}  # this outage's
        self.off_receipts: dict[int, dict[str, str]] = {n: {} for n in TILLS}  # number → ticket
        self.tables_seen: dict[int, list[Ticket]] = {}

    @property
    def seen(self) -> Counter[str]:
        return self.run.seen

    @initialize(
        table=st.sampled_from(TABLES),
        operators=st.tuples(st.sampled_from(tuple(OPERATORS)), st.sampled_from(tuple(OPERATORS))),
        plu=st.sampled_from(sorted(ITEMS)),
        cut_off=st.sampled_from(TILLS),
    )
    def share_a_table_then_lose_a_till(
        self, table: int, operators: tuple[int, int], plu: str, cut_off: int
    ) -> None:
        """Both tills work on one table live and upload (a ticket the server and both
        tills hold), then one till's link fails: the start of every outage story."""
        for number, operator in zip(TILLS, operators, strict=True):
            self.sell(number, table, operator, plu)
            self.upload(number)
        self.tables_seen.clear()
        self.cut_the_link(cut_off)

    # -- the network -------------------------------------------------------------------------

    def cut_the_link(self, number: int) -> None:
        """A partition: the till's heartbeat sees the server gone, the cashier chooses
        emergency mode."""
        self.links[number].cut = True
        till = self.tills[number]
        till.modes.link_verdict(DOWN, now=time.monotonic())
        till.selling.choose(Choice.EMERGENCY)
        assert till.modes.sales_offline
        self.offline[number] = True
        self.off_lines[number].clear()
        self.off_receipts[number].clear()
        self.seen["partition"] += 1
        event("partition")

    def heal_the_link(self, number: int) -> None:
        """The link is back: the heartbeat sees the server, the cashier synchronises now
        (R1.6), the uploader drains; then the merge rules are checked."""
        other = next(n for n in TILLS if n != number)
        if self.offline[other]:
            self.seen[f"both tills offline, till {number} healed first"] += 1
        self.heal(number)

    def upload(self, number: int) -> None:
        """One round of the till's uploader (what its thread does after every commit)."""
        self.tills[number].uploader.push_pending()

    def upload_and_lose_the_answer(self, number: int) -> None:
        """The server gets the batch and applies it; the answer never reaches the till."""
        link = self.links[number]
        lost = link.answers_lost
        link.lose_next_answer = True
        with contextlib.suppress(ServerUnreachable):
            self.tills[number].uploader.push_pending()
        link.lose_next_answer = False
        if link.answers_lost > lost:
            self.seen["answer lost after the server applied the batch"] += 1
            event("answer lost after the server applied the batch")

    # -- the cashiers ------------------------------------------------------------------------

    def sell(self, number: int, table: int, operator: int, plu: str) -> None:
        """Open the table (live: the server is asked; offline: this till's own or new) and
        book a line on it."""
        selling = self.tills[number].selling
        held = self.open_table(number, table)
        ticket = selling.open_ticket(operator, table)
        if self.offline[number] and held is None:
            assert ticket.offline, "a table opened in emergency mode is marked so"
            assert ticket.owner == operator
            self.opened_offline[number].add(ticket.ticket_id)
        before = {b.booking_id for b in ticket.bookings}
        after = selling.book(operator, ticket.ticket_id, plu, 1)
        (booked,) = [b for b in after.bookings if b.booking_id not in before]
        assert booked.offline is self.offline[number], "the OFF mark is the till's mode"
        self.lines[booked.booking_id] = False
        if self.offline[number]:
            self.off_lines[number].add(booked.booking_id)

    def void_a_line(self, number: int, pick: int) -> None:
        """Void a live line of one of the till's open tables; an OFF line with the reason
        "void due to emergency mode"."""
        lines = self.live_lines(number)
        ticket_id, booking = lines[pick % len(lines)]
        reason = OFFLINE_VOID_REASON if booking.offline else "guest changed their mind"
        try:
            self.tills[number].selling.void(
                booking.operator_number, ticket_id, booking.booking_id, reason
            )
        except Refusal as refusal:
            self.accept(refusal)
            return
        self.lines[booking.booking_id] = True
        self.voids[booking.booking_id] = ticket_id

    def pay_a_table(self, number: int, pick: int) -> None:
        """Pay one of the till's open tables in cash (the amount due); live, the pay screen
        first asks the server whether it was paid elsewhere."""
        tickets = self.open_tables(number)
        ticket = tickets[pick % len(tickets)]
        selling = self.tills[number].selling
        try:
            closed = selling.pay(ticket.owner, ticket.ticket_id, [Tendered(PaymentMethod.CASH)])
        except Refusal as refusal:
            self.accept(refusal, errors.TICKET_EMPTY)
            return
        self.receipts.add(closed.receipt.number)
        self.paid.setdefault(ticket.ticket_id, []).append(closed.receipt.number)
        if self.offline[number]:
            self.off_receipts[number][closed.receipt.number] = ticket.ticket_id

    # -- reading the tills -------------------------------------------------------------------

    def open_tables(self, number: int) -> list[Ticket]:
        """The till's open tables, in a fixed order (read once between two steps: the
        preconditions ask often)."""
        if number not in self.tables_seen:
            tickets = self.tills[number].selling.open_tickets()
            self.tables_seen[number] = sorted(
                (t for t in tickets if t.table is not None), key=lambda t: t.table or 0
            )
        return self.tables_seen[number]

    def open_table(self, number: int, table: int) -> Ticket | None:
        return next((t for t in self.open_tables(number) if t.table == table), None)

    def ended_here(self, number: int, ticket_id: str) -> bool:
        """Whether the till holds ``ticket_id`` paid or moved (the server may not know yet:
        never a ticket to merge into)."""
        with self.tills[number].reading() as uow:
            return (
                uow.tickets.exists(ticket_id) and uow.tickets.get(ticket_id).status.value != "open"
            )

    def live_lines(self, number: int) -> list[tuple[str, Booking]]:
        return [(t.ticket_id, b) for t in self.open_tables(number) for b in t.live_bookings]

    @staticmethod
    def accept(refusal: Refusal, *also: str) -> None:
        """A refusal is an answer (nothing acknowledged), if it is one the model expects."""
        if refusal.code not in ACCEPTED_REFUSALS | set(also):
            raise AssertionError(f"unexpected refusal {refusal.code}: {refusal.message}")
        event(f"refused: {refusal.code}")

    # -- healing -----------------------------------------------------------------------------

    def heal(self, number: int) -> None:
        """Heal till ``number``'s link and check what its reintegration did."""
        till, link = self.tills[number], self.links[number]
        self.tables_seen.clear()
        before = self.run.server.state()
        local = self.open_tables(number)
        link.cut = False
        till.modes.link_verdict(UP, now=time.monotonic())
        if till.modes.state is Mode.SERVER_AVAILABLE:
            till.selling.choose(Choice.SYNC_NOW)
        self.drain(number)
        till.modes.recount_local_open_tickets(time.monotonic())
        assert till.modes.state is Mode.REINTEGRATING, till.modes.state
        till.modes.reintegrated(time.monotonic())
        assert till.modes.state is Mode.LIVE
        self.offline[number] = False
        after = self.run.server.state()
        if self.off_lines[number] or self.off_receipts[number]:
            self.seen["healing with work done offline"] += 1
        event("healing")
        self.check_merge_rules(number, before, after, local)

    def drain(self, number: int) -> None:
        """Push until the till holds nothing unsent (a round never fails on a healed link)."""
        uploader = self.tills[number].uploader
        for _ in range(DRAIN_ROUNDS):
            uploader.push_pending()
            if uploader.unsent_count() == 0:
                return
        raise AssertionError(f"till {number} did not drain")

    def check_merge_rules(
        self, number: int, before: ServerState, after: ServerState, local: list[Ticket]
    ) -> None:
        """R3.2, for what till ``number`` did in its outage (the module docstring)."""
        where = {line.booking_id: line for line in after.lines}
        # Every line booked in emergency mode is on the server once, marked OFF.
        held = after.where_is()
        for booking_id in self.off_lines[number]:
            assert held[booking_id] == 1, f"OFF line {booking_id} is there {held[booking_id]}×"
            assert where[booking_id].offline, f"line {booking_id} lost its OFF mark"
        mine = {t.ticket_id for t in local}
        for ticket in local:
            # This outage's OFF lines on it (the till's view, as the cashier saw them).
            offline_lines = [
                b for b in ticket.live_bookings if b.booking_id in self.off_lines[number]
            ]
            opened_here = ticket.ticket_id in self.opened_offline[number]
            if not offline_lines and not opened_here:
                continue  # nothing of emergency mode on it: an ordinary live ticket
            shown = before.tickets.get(ticket.ticket_id)
            others = [
                t
                for t in before.open_at(ticket.table or 0)
                if t not in mine and not self.ended_here(number, t)
            ]
            if shown is None or opened_here:  # the server did not hold it before the outage
                if others:
                    owner = ticket.owner if opened_here else offline_lines[0].operator_number
                    self.expect_merge(ticket, others[0], before, after, owner=owner)
                elif shown is None:
                    self.expect_move(number, ticket, after)
                elif shown.status == "open":  # moved 1:1 in an earlier outage
                    self.expect_join(ticket, offline_lines, after, owner=shown.owner)
                else:
                    self.expect_follow_up(ticket, offline_lines, after)
            elif shown.status == "open":
                # The operator of its first OFF line of this outage; with OFF lines of an
                # earlier outage on it the till keeps that one's operator (not checked).
                earlier = [b for b in ticket.offline_lines if b not in offline_lines]
                owner = offline_lines[0].operator_number if offline_lines else shown.owner
                self.expect_join(ticket, offline_lines, after, owner=None if earlier else owner)
            elif shown.status == "closed":
                self.expect_follow_up(ticket, offline_lines, after)
        for receipt, ticket_id in self.off_receipts[number].items():
            numbers = [n for n, *_ in after.receipts]
            assert numbers.count(receipt) == 1, (
                f"receipt {receipt} is there {numbers.count(receipt)}×"
            )
            assert after.tickets[ticket_id].status == "closed"
            shown = before.tickets.get(ticket_id)
            if shown is not None and shown.status == "closed":
                assert after.flagged(TICKET_CLOSED_TWICE, ticket_id), f"{ticket_id} paid twice"
        self.expect_untouched_unchanged(number, before, after)

    def expect_move(self, number: int, ticket: Ticket, after: ServerState) -> None:
        """A ticket only on the till moves 1:1: as the till holds it, owned by its opener."""
        row = after.tickets.get(ticket.ticket_id)
        assert row is not None, f"ticket {ticket.ticket_id} did not move to the server"
        assert (row.status, row.table, row.till_number, row.owner) == (
            "open",
            ticket.table,
            number,
            ticket.owner,
        ), f"ticket {ticket.ticket_id} moved as {row}"
        assert [(x.booking_id, x.offline, x.voided) for x in after.lines_of(ticket.ticket_id)] == [
            (b.booking_id, b.offline, b.voided) for b in ticket.bookings
        ], f"ticket {ticket.ticket_id} did not move 1:1"
        self.seen["ticket only on the till moved 1:1"] += 1

    def expect_merge(
        self, ticket: Ticket, target: str, before: ServerState, after: ServerState, *, owner: int
    ) -> None:
        """The till's ticket merged into the server's open ticket of its table: its lines
        there, the operator who booked offline its owner, the till's own ticket moved."""
        row = after.tickets[target]
        assert row.status == "open", f"{ticket.ticket_id} merged into {target}, {row.status}"
        assert row.owner == owner, (
            f"table {ticket.table}: {ticket.ticket_id} merged into {target} as {row}, "
            f"the owner should be {owner}, who booked offline"
        )
        on_target = {x.booking_id for x in after.lines_of(target)}
        moved = {b.booking_id for b in ticket.live_bookings}
        assert moved <= on_target, f"lines {moved - on_target} did not merge into {target}"
        if moved:
            assert after.tickets[ticket.ticket_id].status == "moved"
        self.seen["offline ticket merged into the server's ticket of its table"] += 1
        self.seen["same table edited offline on one till and on the other"] += 1
        if before.tickets[target].owner != row.owner:
            self.seen["owner changed to the operator who booked offline"] += 1

    def expect_join(
        self,
        ticket: Ticket,
        offline_lines: list[Booking],
        after: ServerState,
        *,
        owner: int | None,
    ) -> None:
        """The server's ticket of the table (held before the outage) takes the OFF lines;
        the operator who booked the first of them owns it now."""
        row = after.tickets[ticket.ticket_id]
        assert row.status == "open", f"ticket {ticket.ticket_id} is {row.status}"
        on_it = {x.booking_id for x in after.lines_of(ticket.ticket_id)}
        missing = {b.booking_id for b in offline_lines} - on_it
        assert not missing, f"OFF lines {missing} are not on {ticket.ticket_id}"
        if owner is not None:
            assert row.owner == owner, f"{ticket.ticket_id} is owned by {row.owner}, not {owner}"
        if offline_lines:
            self.seen["server's ticket took back its OFF lines"] += 1
            self.seen["same table edited offline on one till and on the other"] += 1
            if ticket.owner != row.owner:
                self.seen["owner changed to the operator who booked offline"] += 1

    def expect_follow_up(
        self, ticket: Ticket, offline_lines: list[Booking], after: ServerState
    ) -> None:
        """The server's ticket was paid while the till booked on it offline: those lines
        wait on a follow-up ticket at the table, flagged, owned by who booked them."""
        if not offline_lines:
            return
        chain = follow_up_chain(ticket.ticket_id)
        for booking in offline_lines:
            (line,) = [x for x in after.lines if x.booking_id == booking.booking_id]
            assert line.ticket_id in chain, (
                f"OFF line {booking.booking_id} of ticket {ticket.ticket_id}, paid on the "
                f"server meanwhile, is on {line.ticket_id}, not on a follow-up ticket"
            )
            follow_up = after.tickets[line.ticket_id]
            assert follow_up.status == "open", f"follow-up {line.ticket_id} is not open"
            assert follow_up.table == ticket.table, "a follow-up stays at its table"
            assert after.flagged(FOLLOW_UP_TICKET, line.ticket_id), "follow-up not flagged"
            first_off = next(x for x in after.lines_of(line.ticket_id) if x.offline)
            assert follow_up.owner == first_off.operator_number, "follow-up's owner"
        self.seen["OFF lines of a ticket paid elsewhere went to a follow-up ticket"] += 1
        self.seen["same table edited offline on one till and on the other"] += 1

    def expect_untouched_unchanged(
        self, number: int, before: ServerState, after: ServerState
    ) -> None:
        """A ticket only on the server stays: what the healing till's operations did not
        touch (nor their tickets' families) is as it was."""
        applied = {(o.till_number, o.seq) for o in before.operations}
        documents = {
            o.document_id for o in after.operations if (o.till_number, o.seq) not in applied
        }
        touched = set()
        for document in documents:
            root = document
            while (parent := after.tickets.get(root)) is not None and parent.follows:
                root = parent.follows
            touched |= {root, *follow_up_chain(root)}
        for ticket_id, row in before.tickets.items():
            if ticket_id in touched:
                continue
            assert after.tickets.get(ticket_id) == row, f"{ticket_id} changed: healing {number}"
            assert after.lines_of(ticket_id) == before.lines_of(ticket_id)
            self.seen["ticket only on the server stayed"] += 1

    # -- the end of an example ---------------------------------------------------------------

    def teardown(self) -> None:
        try:
            if len(self.tills) == len(TILLS):
                for number in TILLS:
                    if self.offline[number]:
                        self.heal(number)
                for _ in range(DRAIN_ROUNDS):
                    for number in TILLS:
                        self.tills[number].uploader.push_pending()
                self.check_convergence()
        finally:
            for till in self.tills.values():
                till.stop()

    def check_convergence(self) -> None:
        for number in TILLS:
            assert self.tills[number].uploader.unsent_count() == 0, f"till {number} undrained"
        state = self.run.server.state()
        # Exactly once: the server's log of each till is the till's log, nothing else.
        folder = self.run.folder / "tills"
        logged = {n: _outbox(folder / f"till-{n}" / TILL_FILE) for n in TILLS}
        held = Counter((o.till_number, o.seq, o.op_id) for o in state.operations)
        assert [k for k, times in held.items() if times > 1] == [], "an operation twice"
        assert set(held) == {(n, seq, op) for n in TILLS for seq, op in logged[n]}
        # Every ticket, line and ticket flag is what the merge rules make of the operations.
        tickets, lines, flags = projected(state)
        assert state.tickets == tickets, "the tickets are not the replay of their operations"
        assert state.lines == lines, "the lines are not the replay of their operations"
        assert {(code, ticket) for code, ticket, _, _ in state.flags} == flags
        # What the tills acknowledged: each line on one ticket once, each receipt once.
        on_server = state.where_is()
        assert {b for b in self.lines if on_server[b] != 1} == set(), "a line lost or doubled"
        assert set(on_server) == set(self.lines), "a line nobody booked"
        # Each void is on the server, or (the line was paid on the other side meanwhile and
        # is not on the ticket voided on any more) flagged there for a person.
        voided = {line.booking_id for line in state.lines if line.voided}
        assert voided <= set(self.voids), "a line voided that nobody voided"
        for booking_id, ticket_id in self.voids.items():
            if booking_id not in voided:
                assert state.flagged(UNKNOWN_BOOKING, ticket_id) or state.flagged(
                    CHANGED_AFTER_CLOSE, ticket_id
                ), f"the void of {booking_id} on {ticket_id} is neither there nor flagged"
        receipts = Counter(number for number, *_ in state.receipts)
        assert receipts == Counter(self.receipts), "receipts lost, doubled or unexpected"
        # Paid on both sides: both receipts kept on the ticket, flagged.
        for ticket_id, numbers in self.paid.items():
            kept = sorted(n for n, t, *_ in state.receipts if t == ticket_id)
            assert kept == sorted(numbers), f"ticket {ticket_id} has receipts {kept}"
            if len(numbers) > 1:
                assert state.flagged(TICKET_CLOSED_TWICE, ticket_id), f"{ticket_id} not flagged"
                self.seen["ticket paid on both sides kept both receipts"] += 1
        # Another order of arrival, the same server.
        self.run.replay.reset()
        for number in sorted(TILLS, reverse=True):
            push_whole_log(
                folder / f"till-{number}",
                number,
                self.run.credentials[number],
                self.run.replay.client,
                self.run.folder,
            )
        other_order = self.run.replay.state()
        changed = differences(state, other_order)
        assert not changed, "the order of arrival mattered:\n" + "\n".join(changed)


def _outbox(path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [(int(s), str(o)) for s, o in db.execute("SELECT seq, op_id FROM outbox")]


def run_the_model(scratch: Path) -> Counter[str]:
    """Run the state machine (its files in ``scratch``, or on a RAM disk where there is
    one: this proves the merge, not the disk, which the crash harness does); return what
    it saw."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else scratch))
    run = Run(folder)
    try:
        run_state_machine_as_test(
            lambda: TwoTillsAndTheServer(run),
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                derandomize=True,
                database=None,
                # A failure is reported as found (its steps printed), not shrunk: shrinking
                # a stateful run can outlast the timeout and end in FlakyStrategyDefinition.
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
    finally:
        run.close()
        shutil.rmtree(folder, ignore_errors=True)
    return run.seen


@pytest.mark.timeout(120)
def test_two_tills_and_the_server_converge_by_the_merge_rules_through_partitions(
    tmp_path: Path,
) -> None:
    # In a process of its own: Hypothesis also draws from the constants of the modules
    # loaded, so in the suite's process the examples would change with the tests run
    # before this one. Alone, the same examples run in CI and on every machine.
    done = subprocess.run(
        [sys.executable, "-m", "tests.integration.proof.test_convergence", str(tmp_path)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-20_000:] + done.stderr[-20_000:]
    seen = Counter(json.loads(done.stdout.splitlines()[-1]))
    missing = [what for what in MUST_HAPPEN if seen[what] == 0]
    assert missing == [], f"the run never saw: {missing}; it saw {dict(seen)}"


def _online(machine: TwoTillsAndTheServer, number: int) -> bool:
    return not machine.offline[number]


def _offline(machine: TwoTillsAndTheServer, number: int) -> bool:
    return machine.offline[number]


def _always(_machine: TwoTillsAndTheServer, _number: int) -> bool:
    return True


# Each action is one rule per till, so that a precondition can say when it is possible (a
# rule's precondition cannot see what the rule draws) and every rule does what it says.
PER_TILL: list[tuple[str, Callable[[TwoTillsAndTheServer, int], bool], dict[str, Any]]] = [
    ("cut_the_link", _online, {}),
    ("heal_the_link", _offline, {}),
    ("upload", _online, {}),
    ("upload_and_lose_the_answer", _online, {}),
    *[
        (
            f"sell_at_table_{table}",
            _always,
            {
                "operator": st.sampled_from(tuple(OPERATORS)),
                "plu": st.sampled_from(sorted(ITEMS)),
            },
        )
        for table in TABLES
    ],
    ("void_a_line", lambda m, n: m.live_lines(n) != [], {"pick": st.integers(0, 9)}),
    ("pay_a_table", lambda m, n: m.open_tables(n) != [], {"pick": st.integers(0, 9)}),
]


def _till_rule(
    name: str,
    number: int,
    when: Callable[[TwoTillsAndTheServer, int], bool],
    strategies: dict[str, Any],
) -> Any:
    action, _, table = name.partition("_at_table_")
    fixed = {"table": int(table)} if table else {}

    def act(self: TwoTillsAndTheServer, **drawn: Any) -> None:
        try:
            getattr(self, action)(number, **fixed, **drawn)
        finally:
            self.tables_seen.clear()

    act.__name__ = f"{name}_on_till_{number}"
    act.__doc__ = getattr(TwoTillsAndTheServer, action).__doc__
    return precondition(lambda self: when(self, number))(rule(**strategies)(act))


for _number in TILLS:
    for _name, _when, _strategies in PER_TILL:
        setattr(
            TwoTillsAndTheServer,
            f"{_name}_on_till_{_number}",
            _till_rule(_name, _number, _when, _strategies),
        )


if __name__ == "__main__":
    print(json.dumps(run_the_model(Path(sys.argv[1]))))
