"""The merge rules of reintegration (R3.2) on the real database (SQLite and PostgreSQL): two
tills' logs — till 11 live, till 10 through an outage and its reintegration — pushed in
any interleaving and batching give the same tickets, receipts and flags, because the rules
depend on what happened (the OFF mark, the till's recorded time), not on arrival order.

The story: table 3 is open live on till 11 and opened offline on till 10, which merges it
into the server's ticket when it reintegrates (the offline operator becomes the owner);
table 7, adopted by till 10 before the outage, gets an OFF line while till 11 pays it
(a follow-up ticket for review); table 8 is paid on both sides (both receipts, flagged);
till 10's offline tables 5 and 9 move 1:1 (one open, one paid); till 11 sends a receipt
whose total its lines do not make (flagged). Till 11's clock is three minutes behind."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from autonom.contracts import PushBatch, TicketPublic
from autonom.domain import Ticket, TicketClosed
from autonom.server.adapters import SqlUnitOfWork, prepare_database
from autonom.server.adapters.database import ensure_store
from autonom.server.domain import follow_up_id
from autonom.server.service_layer import push
from tests.integration.server.till_log import CAKE, TillLog

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OFFLINE_OPERATOR = 7  # the operator who sells on till 10 through the outage
_stores = itertools.count(2)


@dataclasses.dataclass(frozen=True)
class Story:
    """The two tills' logs and the ids the assertions name."""

    logs: dict[int, list[dict[str, Any]]]
    table_3: str  # till 11's ticket of table 3, which till 10's merges into
    table_3_offline: str
    table_7: str
    table_8: str
    table_5: str
    table_9: str
    wrong_total: str


def story() -> Story:
    """What the two tills record: till 10's log holds its merge, as it recorded it when
    it reintegrated; each operation keeps the time its till recorded it."""
    t10, t11 = TillLog(10, clock=AT), TillLog(11, clock=AT - timedelta(minutes=3))
    logs: dict[int, list[dict[str, Any]]] = {10: [], 11: []}

    def record(log: TillLog) -> None:
        logs[log.number] += log.operations()

    # Live, before the outage: till 11 opens tables 7 and 8; till 10 adopts both.
    seven = t11.open(table=7)
    t11.book(seven)
    record(t11)
    eight = t11.open(table=8)
    t11.book(eight, CAKE)
    record(t11)
    seven_10 = t10.adopt(TicketPublic.of(seven))
    eight_10 = t10.adopt(TicketPublic.of(eight))
    three = t11.open(table=3)
    t11.book(three)
    record(t11)

    # The outage: till 10 in emergency mode.
    t10.offline = True
    three_10 = t10.open(table=3, operator=OFFLINE_OPERATOR)
    t10.book(three_10, operator=OFFLINE_OPERATOR)
    record(t10)
    t10.book(three_10, CAKE, operator=OFFLINE_OPERATOR)
    record(t10)
    t10.book(seven_10, CAKE, operator=OFFLINE_OPERATOR)  # table 7 gets an OFF line
    record(t10)
    t10.close(eight_10, operator=OFFLINE_OPERATOR)  # table 8 paid here …
    record(t10)
    nine = t10.open(table=9, operator=OFFLINE_OPERATOR)
    t10.book(nine, operator=OFFLINE_OPERATOR)
    t10.close(nine, operator=OFFLINE_OPERATOR)
    record(t10)
    five = t10.open(table=5, operator=OFFLINE_OPERATOR)
    t10.book(five, CAKE, operator=OFFLINE_OPERATOR)
    record(t10)

    # Meanwhile, live on till 11: table 7 and table 8 paid (8: a second time), more on 3,
    # and a counter receipt whose total its lines do not make (a broken till).
    t11.close(seven)
    record(t11)
    t11.close(eight)
    record(t11)
    t11.book(three, CAKE)
    record(t11)
    wrong = t11.open()
    t11.book(wrong)
    t11.close(wrong)
    closing = t11.pending[-1]
    assert isinstance(closing, TicketClosed)
    t11.pending[-1] = dataclasses.replace(closing, total=Decimal("9.99"))
    record(t11)

    # Till 10 reintegrates: it asks the server for table 3, adopts till 11's ticket and
    # merges its own into it.
    t10.offline = False
    t10.merge(three_10, t10.adopt(TicketPublic.of(three)))
    record(t10)
    return Story(
        logs=logs,
        table_3=three.ticket_id,
        table_3_offline=three_10.ticket_id,
        table_7=seven.ticket_id,
        table_8=eight.ticket_id,
        table_5=five.ticket_id,
        table_9=nine.ticket_id,
        wrong_total=wrong.ticket_id,
    )


STORY = story()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, 1)
    yield engine
    engine.dispose()


def new_store(engine: Engine) -> int:
    """A store of its own for each interleaving: every table carries ``store_id``."""
    store_id = next(_stores)
    ensure_store(engine, store_id)
    with SqlUnitOfWork(engine, store_id) as uow:
        for number in (10, 11):
            uow.tills.add(
                number=number, name=f"Till {number}", credential_hash="-", log_id=None, at=AT
            )
        uow.commit()
    return store_id


def push_in(engine: Engine, store_id: int, batches: list[tuple[int, list[dict[str, Any]]]]) -> None:
    for till, operations in batches:
        result = push(
            uow=SqlUnitOfWork(engine, store_id),
            till_number=till,
            batch=PushBatch.model_validate({"operations": operations}),
        )
        assert result.applied == len(operations)


def what_the_server_holds(engine: Engine, store_id: int) -> dict[str, Any]:
    """Tickets, receipts and flags, without what only says when they were written."""
    with SqlUnitOfWork(engine, store_id, write=False) as uow:
        tickets = {
            t.ticket_id: t.model_dump(exclude={"bookings"})
            | {"bookings": sorted((b.booking_id, b.offline, b.void_reason) for b in t.bookings)}
            for t in uow.tickets.find(status=None, table=None)
        }
        receipts = sorted(
            (r.number, r.ticket_id, r.total, r.duplicate)
            for r in uow.back_office.receipts(till_number=None, day=None)
        )
        flags = sorted(
            (f.ticket_id or "", f.code, f.till_number, f.seq, f.message)
            for f in uow.back_office.flags()
        )
    return {"tickets": tickets, "receipts": receipts, "flags": flags}


def interleaved(choices: list[tuple[bool, int]]) -> list[tuple[int, list[dict[str, Any]]]]:
    """The two logs cut into batches and interleaved as ``choices`` say (each till's own
    order kept: a till pushes its log in order); the rest at the end."""
    left = {10: list(STORY.logs[10]), 11: list(STORY.logs[11])}
    batches: list[tuple[int, list[dict[str, Any]]]] = []
    for till_10, size in choices:
        till = 10 if till_10 else 11
        if left[till]:
            batches.append((till, left[till][:size]))
            left[till] = left[till][size:]
    batches += [(till, rest) for till, rest in left.items() if rest]
    return batches


@pytest.fixture
def reference(engine: Engine) -> dict[str, Any]:
    """What the server holds after till 11's whole log, then till 10's."""
    store_id = new_store(engine)
    push_in(engine, store_id, [(11, STORY.logs[11]), (10, STORY.logs[10])])
    return what_the_server_holds(engine, store_id)


def test_the_reintegrated_story_ends_as_the_merge_rules_say(reference: dict[str, Any]) -> None:
    tickets = reference["tickets"]
    open_at = sorted(
        (t["table"], t["ticket_id"]) for t in tickets.values() if t["status"] == "open"
    )
    follow_up = follow_up_id(STORY.table_7)
    # Table 3 is one ticket: till 10's offline lines merged in with their OFF mark, and the
    # operator who booked offline owns it; till 10's own ticket of table 3 is merged away.
    assert open_at == [(3, STORY.table_3), (5, STORY.table_5), (7, follow_up)]
    three = tickets[STORY.table_3]
    assert three["owner"] == OFFLINE_OPERATOR
    assert [offline for _, offline, _ in three["bookings"]].count(True) == 2
    assert three["total"] == Decimal("2.40") + Decimal("4.20") + Decimal("2.40") + Decimal("4.20")
    assert tickets[STORY.table_3_offline]["status"] == "moved"
    # Table 7 was paid by till 11 without till 10's OFF line: it waits on the follow-up.
    assert tickets[STORY.table_7]["status"] == "closed"
    assert tickets[follow_up]["follows"] == STORY.table_7
    assert tickets[follow_up]["owner"] == OFFLINE_OPERATOR
    assert [offline for _, offline, _ in tickets[follow_up]["bookings"]] == [True]
    # Tables 9 (paid offline) and 5 moved 1:1; table 8 has both receipts.
    assert tickets[STORY.table_9]["status"] == "closed"
    assert [r[1] for r in reference["receipts"]].count(STORY.table_8) == 2
    assert sorted((ticket_id, code) for ticket_id, code, *_ in reference["flags"]) == sorted(
        [
            (follow_up, "FOLLOW_UP_TICKET"),
            (STORY.table_8, "TICKET_CLOSED_TWICE"),
            (STORY.wrong_total, "CLOSE_TOTAL_MISMATCH"),
        ]
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=6)), max_size=25))
def test_any_interleaving_of_the_two_logs_gives_the_same_tickets_and_flags(
    engine: Engine, reference: dict[str, Any], choices: list[tuple[bool, int]]
) -> None:
    store_id = new_store(engine)
    push_in(engine, store_id, interleaved(choices))
    assert what_the_server_holds(engine, store_id) == reference


def test_a_follow_up_worked_on_before_its_parents_close_arrived_stays_in_its_family(
    engine: Engine,
) -> None:
    """Table 1: till 10 pays it offline without till 11's line, which goes to the follow-up;
    both tills then work on the follow-up. Till 11's log arrives first (the follow-up is
    a ticket the server never saw opened, for now), then till 10's in one batch — the
    parent's close and the follow-up's own operations together: the follow-up is still
    its parent's, as when the logs arrive in the order things happened (found by
    tests/integration/proof/test_convergence.py)."""
    t10, t11 = TillLog(10, clock=AT), TillLog(11, clock=AT + timedelta(seconds=15))
    logs: dict[int, list[dict[str, Any]]] = {10: [], 11: []}
    table = t10.open(table=1)
    t10.book(table)
    logs[10] += t10.operations()
    t11.book(t11.adopt(TicketPublic.of(table)), CAKE)
    logs[11] += t11.operations()
    t10.offline = True
    t10.close(table)  # without till 11's cake: it goes to the follow-up
    logs[10] += t10.operations()
    t10.offline = False
    follow_up = follow_up_id(table.ticket_id)
    for log in (t11, t10):  # each adopts the follow-up from the server and books on it
        log.book(Ticket(ticket_id=follow_up, till_number=10, owner=1, opened_at=AT, table=1))
    logs[11] += t11.operations()
    logs[10] += t10.operations()
    as_it_happened = new_store(engine)
    push_in(engine, as_it_happened, [(10, logs[10][:3]), (11, logs[11]), (10, logs[10][3:])])
    expected = what_the_server_holds(engine, as_it_happened)
    assert expected["tickets"][follow_up]["follows"] == table.ticket_id
    assert [code for _, code, *_ in expected["flags"]] == ["FOLLOW_UP_TICKET"]

    till_11_first = new_store(engine)
    push_in(engine, till_11_first, [(11, logs[11]), (10, logs[10])])
    assert what_the_server_holds(engine, till_11_first) == expected
