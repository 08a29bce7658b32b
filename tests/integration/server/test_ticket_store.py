"""The server keeps a ticket as its own rows, a ``tickets`` row and one row per booking,
and reads them back as the till sees them; a save writes all bookings in one statement (a
``COPY`` on PostgreSQL for a ticket new to the server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, event

from autonom.server.adapters import SqlUnitOfWork, prepare_database
from autonom.server.domain import replay_ticket
from tests.integration.server.till_log import CAKE, TillLog


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = prepare_database(db_url, store_id=1)
    yield engine
    engine.dispose()


def test_a_ticket_with_a_voided_line_reads_back_as_the_till_booked_it(engine: Engine) -> None:
    till = TillLog(10)
    ticket = till.open(table=7)
    for _ in range(3):
        till.book(ticket)
    till.book(ticket, CAKE, quantity=2)
    voided = ticket.bookings[1]
    ticket.void(
        voided.booking_id,
        "wrong item",
        operator_number=2,
        till_number=10,
        at=till.now + timedelta(seconds=1),
    )
    rebuilt = replay_ticket([*till.pending, *ticket.events])
    inserts: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO TICKET_BOOKINGS"):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with SqlUnitOfWork(engine, 1) as uow:
            uow.tickets.save([(rebuilt, None)])
            first = len(inserts)  # new: one INSERT on SQLite, a COPY on PostgreSQL
            uow.tickets.save([(rebuilt, None)])  # after the next push: updated, not doubled
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One statement per save, whatever the number of bookings.
    assert first <= 1
    assert len(inserts) - first == 1

    with SqlUnitOfWork(engine, 1, write=False) as uow:
        stored = uow.tickets.get(ticket.ticket_id)
        (on_table,) = uow.tickets.find(status="open", table=7)
    assert stored is not None
    assert stored == on_table
    assert [b.booking_id for b in stored.bookings] == [b.booking_id for b in ticket.bookings]
    assert [b.void_reason for b in stored.bookings] == [None, "wrong item", None, None]
    cake = stored.bookings[3]
    assert (cake.name, cake.quantity, cake.unit_price) == ("Cheesecake", 2, Decimal("4.20"))
    assert cake.booked_at == ticket.bookings[3].booked_at
    assert stored.total == ticket.total
