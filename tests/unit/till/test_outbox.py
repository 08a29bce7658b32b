"""The outbox adapter against a real SQLite file: rows written with the sale, read in
batches, marked sent, realigned after a gap, and counted and listed while unsent."""

from __future__ import annotations

import json
from datetime import timedelta

from autonom.contracts import CONTRACT_VERSION, Operation, PushBatch
from autonom.contracts.sync import MAX_BATCH
from autonom.till.adapters.outbox import BATCH_BYTES, OPERATION_ENVELOPE_BYTES, Outbox
from autonom.till.adapters.store import connect
from autonom.till.service_layer.uploader import BATCH_SIZE
from autonom.web import MAX_BODY_BYTES
from tests.unit.till.conftest import TillUnderTest


def outbox_of(till: TillUnderTest) -> Outbox:
    return Outbox(connect(till.store.path))


def test_each_sale_leaves_its_operations_unsent_in_order_with_its_receipt_number(
    till: TillUnderTest,
) -> None:
    first = till.sell("100")
    second = till.sell("200", "101")
    outbox = outbox_of(till)

    assert outbox.unsent_count() == 7  # opened, booked, closed; opened, 2 booked, closed
    assert outbox.unsent_receipt_count() == 2
    assert outbox.unsent_receipt_numbers() == {first.number, second.number}
    documents = outbox.unsent_documents()
    assert [d.seq for d in documents] == list(range(1, 8))
    assert [d.receipt_number for d in documents if d.kind == "ticket_closed"] == [
        first.number,
        second.number,
    ]
    batch = outbox.next_batch(limit=3)
    assert [op.seq for op in batch] == [1, 2, 3]
    assert batch[-1].event.kind == "ticket_closed"


def wire_bytes(operations: list[Operation]) -> int:
    """The body of a push of ``operations`` as the server link sends it (httpx's JSON)."""
    body = PushBatch(operations=operations, contract=CONTRACT_VERSION).model_dump(mode="json")
    return len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())


def test_a_batch_holds_as_many_operations_as_its_byte_budget_allows(till: TillUnderTest) -> None:
    for _ in range(10):
        till.sell("100", "200", "101")  # 5 operations each
    outbox = outbox_of(till)

    everything = outbox.next_batch(limit=100)
    assert [op.seq for op in everything] == list(range(1, 51))
    for budget in (2_000, 5_000, 9_000, 20_000):
        batch = outbox.next_batch(limit=100, max_bytes=budget)
        assert batch == everything[: len(batch)]  # the oldest, in order, none skipped
        assert wire_bytes(batch) <= budget  # the estimate never undercounts
        # and it stops only when the next operation would not fit: the envelope of each is
        # counted at its largest (a seq of 16 digits, a time with microseconds and offset)
        one_more = everything[: len(batch) + 1]
        assert wire_bytes(one_more) + OPERATION_ENVELOPE_BYTES * len(one_more) > budget
    assert outbox.next_batch(limit=100, max_bytes=10**9) == everything
    assert len(outbox.next_batch(limit=7, max_bytes=10**9)) == 7  # the count still limits


def test_an_operation_larger_than_the_budget_still_goes_alone(till: TillUnderTest) -> None:
    till.sell("100")
    batch = outbox_of(till).next_batch(limit=100, max_bytes=10)
    assert [op.seq for op in batch] == [1]  # never stuck behind one big event


def test_the_largest_batch_stays_under_every_servers_body_limit() -> None:
    assert BATCH_SIZE <= MAX_BATCH  # what every server accepts (contracts 1-3: 500)
    assert BATCH_BYTES <= MAX_BODY_BYTES // 2


def test_rows_marked_sent_are_no_longer_counted_or_pushed(till: TillUnderTest) -> None:
    till.sell("100")
    till.sell("200")
    outbox = outbox_of(till)

    outbox.mark_sent(1, 3)

    assert outbox.unsent_count() == 3
    assert [op.seq for op in outbox.next_batch(limit=100)] == [4, 5, 6]
    assert outbox.unsent_receipt_count() == 1


def test_realigning_to_the_servers_position_resends_what_it_lost(till: TillUnderTest) -> None:
    till.sell("100")
    till.sell("200")
    outbox = outbox_of(till)
    outbox.mark_sent(1, 6)

    outbox.realign(2)  # the server was restored from an older backup

    assert [op.seq for op in outbox.next_batch(limit=100)] == [3, 4, 5, 6]
    outbox.realign(4)
    assert outbox.unsent_count() == 2


def test_the_last_operations_time_keeps_documents_from_going_back_in_time(
    till: TillUnderTest,
) -> None:
    assert outbox_of(till).last_recorded_at() is None
    sold = till.sell("100")
    till.clock.advance(-3600)  # the wall clock is set back an hour

    again = till.sell("200")

    assert outbox_of(till).last_recorded_at() == again.closed_at
    assert again.closed_at == sold.closed_at
    assert again.closed_at > till.clock.now + timedelta(minutes=59)
