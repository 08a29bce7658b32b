"""The outbox adapter against a real SQLite file: rows written with the sale, read in
batches, marked sent, realigned after a gap, and counted and listed while unsent."""

from __future__ import annotations

from datetime import timedelta

from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.store import connect
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
