"""What the till saves survives: numbers stay gapless and unique across restarts and crashes,
every event has its outbox row and journal entry, and a full disk refuses cleanly."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import Form, PaymentMethod, Refusal, Tender, errors
from autonom.domain.journal import first_break
from autonom.till.adapters.unit_of_work import read_journal
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    OpenTicket,
    Tendered,
    VoidBooking,
)
from tests.unit.till.conftest import ANNA, TillUnderTest, open_till
from tests.unit.till.fakes import LIVE


def outbox(till: TillUnderTest) -> list[sqlite3.Row]:
    return till.store.conn.execute("SELECT * FROM outbox ORDER BY seq").fetchall()


def receipt_numbers(till: TillUnderTest) -> list[int]:
    with till.uow() as uow:
        return uow.receipts.numbers(Form.RECEIPT)


def crash_while_closing(till: TillUnderTest) -> None:
    """Run a close up to the last write before COMMIT, then lose the connection."""
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), till.uow())
    uow = till.uow().__enter__()
    loaded = uow.tickets.get(ticket.ticket_id)
    number_range = uow.ranges.get(Form.RECEIPT)
    loaded.close(
        (Tender(PaymentMethod.CASH, Decimal("5.00")),),
        number_range.issue(),
        operator_number=ANNA,
        till_number=uow.till_number,
        at=uow.now(),
    )
    uow.ranges.save(number_range)
    assert uow.write_pending() == 1  # receipt, range, journal and outbox rows all written…
    till.reopen()  # …and the power goes before COMMIT


def test_receipt_numbers_continue_gaplessly_after_the_database_is_reopened(
    till: TillUnderTest,
) -> None:
    till.sell("100")
    till.sell("200")
    till.reopen()
    till.sell("101")
    assert receipt_numbers(till) == [1, 2, 3]


def test_every_event_gets_exactly_one_outbox_row_with_a_gapless_sequence(
    till: TillUnderTest,
) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=2, operator_number=ANNA), till.uow())
    booking = handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), till.uow())
    handlers.add_booking(AddBooking(ticket.ticket_id, "200", 3, ANNA), till.uow())
    handlers.void_booking(
        VoidBooking(ticket.ticket_id, booking.booking_id, "wrong item", ANNA), till.uow()
    )
    handlers.close_ticket(
        CloseTicket(ticket.ticket_id, (Tendered(PaymentMethod.CARD, Decimal("5.70")),), ANNA),
        till.uow(),
        mode=LIVE,
    )

    rows = outbox(till)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["kind"] for r in rows] == [
        "ticket_opened",
        "booking_added",
        "booking_added",
        "booking_voided",
        "ticket_closed",
    ]
    assert len({r["op_id"] for r in rows}) == 5
    assert all(r["sent"] == 0 for r in rows)
    closed = EVENT_ADAPTER.validate_json(rows[-1]["event"])
    assert closed.kind == "ticket_closed"
    assert closed.ticket_id == ticket.ticket_id


def test_journal_chains_every_operation_and_detects_tampering(till: TillUnderTest) -> None:
    till.sell("100", "200")
    till.sell("101")
    journal = read_journal(till.store.conn)
    assert [e.seq for e in journal] == [r["seq"] for r in outbox(till)]
    assert first_break(journal) is None
    payload = json.loads(journal[2].payload)
    assert (payload["seq"], payload["event"]["kind"]) == (3, "booking_added")

    till.store.conn.execute(
        "UPDATE journal SET payload = replace(payload, '2.40', '0.40') WHERE seq = 2"
    )
    assert first_break(read_journal(till.store.conn)) == 2


def test_a_crash_before_commit_leaves_no_trace_and_the_number_is_issued_again(
    till: TillUnderTest,
) -> None:
    till.sell("100")
    crash_while_closing(till)
    assert receipt_numbers(till) == [1]
    assert first_break(read_journal(till.store.conn)) is None
    assert till.sell("200").number == "10000002-01"


def test_a_full_disk_refuses_the_sale_clearly_and_writes_nothing(
    till: TillUnderTest,
) -> None:
    till.sell("100")
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    for _ in range(3):
        handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), till.uow())
    before = len(outbox(till))
    pages = till.store.conn.execute("PRAGMA page_count").fetchone()[0]
    # The database may not grow by a single page: SQLite answers "database or disk is full",
    # exactly as on a full disk.
    till.store.conn.execute(f"PRAGMA max_page_count = {pages}")

    refused: Refusal | None = None
    for _ in range(200):
        try:
            handlers.add_booking(AddBooking(ticket.ticket_id, "101", 1, ANNA), till.uow())
        except Refusal as refusal:
            refused = refusal
            break

    assert refused is not None
    assert refused.code == errors.STORAGE_FAILED
    assert "disk" in refused.message
    assert refused.status < 500
    till.reopen()  # the limit was per connection: the disk has room again
    rows = outbox(till)
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) >= before
    assert first_break(read_journal(till.store.conn)) is None
    with till.uow() as uow:
        booked = len(uow.tickets.get(ticket.ticket_id).bookings)
    assert booked == sum(1 for r in rows if r["document_id"] == ticket.ticket_id) - 1
    assert till.sell("200").number == "10000002-01"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(["sale", "crash", "restart"]), min_size=1, max_size=12))
def test_any_interleaving_of_sales_and_crashes_keeps_numbers_gapless_and_unique(
    steps: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        till = open_till(Path(folder))
        issued: list[str] = []
        try:
            for step in steps:
                if step == "sale":
                    issued.append(till.sell("100").number)
                elif step == "crash":
                    crash_while_closing(till)
                else:
                    till.reopen()
            till.reopen()
            numbers = receipt_numbers(till)
            assert numbers == list(range(1, len(issued) + 1))
            assert issued == [f"10{n:06d}-01" for n in numbers]
            assert first_break(read_journal(till.store.conn)) is None
            seqs = [r["seq"] for r in outbox(till)]
            assert seqs == list(range(1, len(seqs) + 1))
        finally:
            till.store.close()
