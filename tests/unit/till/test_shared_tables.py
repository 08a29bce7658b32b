"""Shared tables in live mode: a table another till opened is adopted with its bookings;
only this till's own operations go to the outbox; the server is asked every time, so a
table stays one ticket (R3.2): a table paid on another till is seen as paid, two tickets of
one table are merged; without the server's answer a new table is refused, in emergency
mode it opens here."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.contracts import BookingPublic, TicketPublic
from autonom.domain import PaymentMethod, Refusal, TicketStatus, errors
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
        found = self.tickets.get(table)
        return found if found is not None and found.status == "open" else None

    def ticket(self, ticket_id: str) -> TicketPublic | None:
        if not self.reachable:
            raise ServerUnreachable("timed out")
        return next((t for t in self.tickets.values() if t.ticket_id == ticket_id), None)

    def open_tickets(self) -> list[TicketPublic]:
        return [t for t in self.tickets.values() if t.status == "open"]


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


def test_live_a_new_table_waits_for_the_servers_answer_in_emergency_mode_it_opens_here(
    till: TillUnderTest, server: ServerTables
) -> None:
    server.reachable = False
    with pytest.raises(Refusal) as refused:
        handlers.open_ticket(OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server)
    assert refused.value.code == errors.SERVER_UNREACHABLE
    assert own_operations(till) == []  # the table did not become two tickets
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server, offline=True
    )
    assert (ticket.till_number, ticket.offline) == (10, True)
    # This till's own table is kept when the server does not answer.
    again = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )
    assert again.ticket_id == ticket.ticket_id
    assert handlers.refresh_shared_ticket(ticket.ticket_id, till.uow(), tables=server) == 0


def test_the_server_is_asked_every_time_and_the_tills_own_new_table_stays_its_ticket(
    till: TillUnderTest, server: ServerTables
) -> None:
    first = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    again = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    assert first.ticket_id == again.ticket_id  # not on the server yet (its upload lags)
    assert server.asked == [9, 9]


def test_a_table_paid_on_another_till_is_seen_as_paid_and_not_billed_again(
    till: TillUnderTest, server: ServerTables
) -> None:
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )
    server.tickets[5] = server.tickets[5].model_copy(
        update={"status": "closed", "receipt_number": "11000001-01"}
    )

    handlers.refresh_shared_ticket(ticket.ticket_id, till.uow(), tables=server)

    with till.uow() as uow:
        assert uow.tickets.get(ticket.ticket_id).status is TicketStatus.CLOSED
        assert uow.tickets.receipt_number_of(ticket.ticket_id) == "11000001-01"
    with pytest.raises(Refusal) as refused:
        handlers.close_ticket(
            CloseTicket(ticket.ticket_id, (Tendered(PaymentMethod.CASH),), ANNA),
            till.uow(),
            mode=LIVE,
        )
    assert refused.value.code == errors.TICKET_CLOSED
    # Opening the table again gives a new ticket, not the paid one.
    fresh = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )
    assert fresh.ticket_id != ticket.ticket_id


def test_this_tills_ticket_and_the_servers_of_one_table_are_merged_into_the_servers(
    till: TillUnderTest, server: ServerTables
) -> None:
    # This till opened table 5 while the server's answer was missing (emergency mode).
    mine = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server, offline=True
    )
    handlers.add_booking(AddBooking(mine.ticket_id, "200", 1, ANNA), till.uow(), offline=True)

    table = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server
    )

    assert table.ticket_id == "ticket-of-till-11"
    assert [(b.booking_id[:2], b.offline) for b in table.bookings][:2] == [
        ("b-", False),
        ("b-", False),
    ]
    assert [b.offline for b in table.bookings] == [False, False, True]  # OFF kept
    assert table.owner == ANNA  # the operator who booked offline owns it now
    with till.uow() as uow:
        assert uow.tickets.get(mine.ticket_id).status is TicketStatus.MOVED
        assert uow.tickets.open_at_table(5).ticket_id == "ticket-of-till-11"
    assert own_operations(till)[-3:] == [
        "bookings_moved_out",
        "bookings_moved_in",
        "owner_changed",
    ]


def test_emergency_mode_does_not_ask_the_server(till: TillUnderTest, server: ServerTables) -> None:
    ticket = handlers.open_ticket(
        OpenTicket(table=5, operator_number=ANNA), till.uow(), tables=server, offline=True
    )
    assert server.asked == []
    assert ticket.offline


def test_of_two_live_tickets_of_one_table_the_older_stays_on_both_tills(
    till: TillUnderTest, server: ServerTables
) -> None:
    # Both tills opened table 9 live while both uploads lagged: the server shows the other
    # till's, opened later. This till keeps its own; the other till merges into it.
    mine = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    handlers.add_booking(AddBooking(mine.ticket_id, "200", 1, ANNA), till.uow())
    later = server.tickets[5].model_copy(
        update={
            "ticket_id": "later-of-till-11",
            "table": 9,
            "opened_at": datetime(2099, 1, 1, tzinfo=UTC),
        }
    )
    server.tickets[9] = later
    before = own_operations(till)

    again = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )

    assert again.ticket_id == mine.ticket_id
    assert own_operations(till) == before  # nothing merged here
    server.tickets[9] = later.model_copy(update={"opened_at": OPENED})  # now the older one
    merged = handlers.open_ticket(
        OpenTicket(table=9, operator_number=ANNA), till.uow(), tables=server
    )
    assert merged.ticket_id == "later-of-till-11"
    assert own_operations(till)[-3:] == ["bookings_moved_out", "bookings_moved_in", "owner_changed"]
