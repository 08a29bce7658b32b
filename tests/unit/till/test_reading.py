"""Reads on the till never queue behind a sale: the read-only unit of work has its own
connection per thread, a plain BEGIN in WAL, and no sales lock."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from autonom.till.adapters.unit_of_work import SqliteReadUnitOfWork
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, OpenTicket
from tests.unit.till.conftest import ANNA, TillUnderTest


def test_a_read_answers_while_a_sale_holds_the_write_transaction(till: TillUnderTest) -> None:
    sold = till.sell("100")
    seen: list[object] = []

    def read_the_status_facts() -> None:
        with SqliteReadUnitOfWork(till.store) as uow:
            seen.append(uow.receipts.get(sold.number).number)
            seen.append(uow.outbox.unsent_count())

    with till.uow() as sale:  # holds the sales lock and BEGIN IMMEDIATE
        ticket = sale.tickets.get(sold.ticket_id)
        reader = threading.Thread(target=read_the_status_facts)
        reader.start()
        reader.join(timeout=10)
        finished_during_sale = not reader.is_alive()
        assert ticket.receipt is not None

    assert finished_during_sale
    assert seen == [sold.number, 3]


def test_a_read_sees_the_last_commit_and_nothing_uncommitted(till: TillUnderTest) -> None:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), till.uow())
    with till.uow() as sale:
        loaded = sale.tickets.get(ticket.ticket_id)
        item = sale.master_data.item("100")
        loaded.book(
            item,
            sale.master_data.tax_rate(item.tax_code),
            1,
            booking_id="b-1",
            operator_number=ANNA,
            till_number=sale.till_number,
            at=sale.now(),
        )
        sale.write_pending()  # written, not committed
        with till.reading() as uow:
            assert uow.tickets.get(ticket.ticket_id).bookings == []
    handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), till.uow())
    with till.reading() as uow:
        assert len(uow.tickets.get(ticket.ticket_id).bookings) == 1


def test_the_read_connection_cannot_write(till: TillUnderTest) -> None:
    with pytest.raises(sqlite3.OperationalError):
        till.store.read_connection().execute("DELETE FROM items")
