"""Shared tables in live mode: a table another till opened is adopted with its bookings;
only this till's own operations go to the outbox; without the server the table opens here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.contracts import BookingPublic, TicketPublic
from autonom.domain import PaymentMethod
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, CloseTicket, OpenTicket, Tendered
from tests.unit.till.conftest import ANNA, TillUnderTest
from tests.unit.till.fakes import LIVE

OPENED = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)


def booking_from_till_11(booking_id: str, plu: str, price: str) -> BookingPublic:
    return BookingPublic(
        booking_id=booking_id,
        plu=plu,
        name=f"item {plu}",
        quantity=1,
        unit_price=Decimal(price),
        tax_code="A",
        tax_percent=Decimal("19.00"),
        operator_number=2,
        till_number=11,
        booked_at=OPENED,
        offline=False,
    )


@dataclass
class ServerTables:
    """The server's view of open tables, as a plain object."""

    tickets: dict[int, TicketPublic] = field(default_factory=dict)
    reachable: bool = True
    asked: list[int] = field(default_factory=list)

    def open_ticket_at(self, table: int) -> TicketPublic | None:
        self.asked.append(table)
        if not self.reachable:
            raise ServerUnreachable("timed out")
        return self.tickets.get(table)


@pytest.fixture
def server() -> ServerTables:
    ticket = TicketPublic(
        ticket_id="ticket-of-till-11",
        table=5,
        till_number=11,
        owner=2,
        opened_at=OPENED,
        status="open",
        total=Decimal("5.60"),
        bookings=[
            booking_from_till_11("b-1", "100", "2.40"),
            booking_from_till_11("b-2", "101", "3.20"),
        ],
    )
    return ServerTables({5: ticket})


def own_operations(till: TillUnderTest) -> list[str]:
    rows = till.store.conn.execute("SELECT kind FROM outbox ORDER BY seq").fetchall()
    return [r["kind"] for r in rows]


def test_a_table_opened_on_another_till_is_adopted_with_its_bookings(
    till: TillUnderTest, server: ServerTables
) -> None:
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )

    assert ticket.ticket_id == "ticket-of-till-11"
    assert [b.booking_id for b in ticket.bookings] == ["b-1", "b-2"]
    assert ticket.total == Decimal("5.60")
    assert own_operations(till) == []  # other tills' bookings are not pushed again

    handlers.add_booking(AddBooking(ticket.ticket_id, "200", 1, ANNA), till.uow())
    receipt = handlers.close_ticket(
        CloseTicket(ticket.ticket_id, (Tendered(PaymentMethod.CASH, Decimal("10")),), ANNA),
        till.uow(),
        mode=LIVE,
    )
    assert receipt.total == Decimal("7.50")
    assert receipt.number == "10000001-01"
    assert own_operations(till) == ["booking_added", "ticket_closed"]


def test_bookings_other_tills_add_meanwhile_are_copied_in_before_paying(
    till: TillUnderTest, server: ServerTables
) -> None:
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )
    mine = handlers.add_booking(AddBooking(ticket.ticket_id, "200", 1, ANNA), till.uow())
    shared = server.tickets[5]
    voided = replace(shared.bookings[0], void_reason="spilled")
    server.tickets[5] = shared.model_copy(
        update={
            "bookings": [voided, shared.bookings[1], booking_from_till_11("b-3", "100", "2.40")]
        }
    )

    changed = handlers.refresh_shared_ticket(ticket.ticket_id, till.uow(), tables=server)

    assert changed == 2
    with till.uow() as uow:
        refreshed = uow.tickets.get(ticket.ticket_id)
    assert [b.booking_id for b in refreshed.live_bookings] == ["b-2", mine.booking_id, "b-3"]
    assert refreshed.total == Decimal("7.50")
    assert handlers.refresh_shared_ticket(ticket.ticket_id, till.uow(), tables=server) == 0


def test_a_table_opens_on_this_till_when_the_server_cannot_be_asked(
    till: TillUnderTest, server: ServerTables
) -> None:
    server.reachable = False
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )
    assert ticket.ticket_id != "ticket-of-till-11"
    assert ticket.till_number == 10
    assert own_operations(till) == ["ticket_opened"]
    assert handlers.refresh_shared_ticket(ticket.ticket_id, till.uow(), tables=server) == 0


def test_a_free_table_opens_a_new_ticket_and_the_server_is_asked_once(
    till: TillUnderTest, server: ServerTables
) -> None:
    first = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    again = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    assert first.ticket_id == again.ticket_id
    assert server.asked == [9]  # the second time the till's own open ticket answers


def test_emergency_mode_does_not_ask_the_server(till: TillUnderTest, server: ServerTables) -> None:
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server, offline=True
    )
    assert server.asked == []
    assert ticket.offline
