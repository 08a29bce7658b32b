"""Moves of lines written to the till's SQLite file: what the till loads after a restart is
what the replay of its own operation log gives, a moved ticket is gone from the open
tables, and a till follows the lines another till moved on a shared table."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from autonom.contracts import BookingPublic, TicketPublic
from autonom.domain import Event, PaymentMethod, Ticket, TicketStatus
from autonom.till.adapters.outbox import Outbox
from autonom.till.service_layer import handlers, tables
from autonom.till.service_layer.commands import AddBooking, CloseTicket, OpenTicket, Tendered
from autonom.till.service_layer.tables import SplitOff, TransferLines
from tests.unit.till.conftest import ANNA, TillUnderTest
from tests.unit.till.fakes import LIVE

AT = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def table_with(till: TillUnderTest, table: int | None, *plus: str, offline: bool = False) -> str:
    ticket = handlers.open_ticket(
        OpenTicket(table=table, operator_number=ANNA), till.uow(), offline=offline
    )
    for plu in plus:
        handlers.add_booking(
            AddBooking(ticket.ticket_id, plu, 1, ANNA), till.uow(), offline=offline
        )
    return ticket.ticket_id


def replayed_from_the_log(till: TillUnderTest) -> dict[str, Ticket]:
    """Each ticket rebuilt from the operations this till logged, as the server will."""
    with till.uow() as uow:
        operations = Outbox(uow.connection).next_batch(10_000)
    events: dict[str, list[Event]] = defaultdict(list)
    for operation in operations:
        events[operation.event.document_id].append(operation.event)
    return {ticket_id: Ticket.replay(found) for ticket_id, found in events.items()}


def stored(till: TillUnderTest, ticket_id: str) -> Ticket:
    with till.reading() as uow:
        return uow.tickets.get(ticket_id)


def other_tills_table(table: int, ticket_id: str = "t-11") -> TicketPublic:
    """A table till 11 opened and booked on, as the server shows it."""
    line = BookingPublic(
        booking_id="b-11",
        plu="200",
        name="Croissant",
        quantity=2,
        unit_price=Decimal("1.90"),
        tax_code="B",
        tax_percent=Decimal("7.00"),
        operator_number=2,
        till_number=11,
        booked_at=AT,
        offline=False,
    )
    return TicketPublic(
        ticket_id=ticket_id,
        table=table,
        till_number=11,
        owner=2,
        opened_at=AT,
        status="open",
        total=Decimal("3.80"),
        bookings=[line],
    )


class ServerTables:
    """The server's open tickets by table, as a live till asks for them."""

    def __init__(self, *shown: TicketPublic) -> None:
        self.shown = {t.table: t for t in shown}

    def open_ticket_at(self, table: int) -> TicketPublic | None:
        return self.shown.get(table)

    def ticket(self, ticket_id: str) -> TicketPublic | None:
        return next((t for t in self.shown.values() if t.ticket_id == ticket_id), None)

    def open_tickets(self) -> list[TicketPublic]:
        return list(self.shown.values())


def test_after_a_restart_the_till_holds_exactly_what_its_log_replays(till: TillUnderTest) -> None:
    five = table_with(till, 5, "100", "200", "101")
    seven = table_with(till, 7, "100")
    with till.reading() as uow:
        croissant = uow.tickets.get(five).bookings[1].booking_id
    tables.transfer_lines(TransferLines(five, (croissant,), 7, ANNA), till.uow())
    split = tables.split_off(SplitOff(seven, (croissant,), ANNA), till.uow())
    handlers.close_ticket(
        CloseTicket(split.ticket_id, (Tendered(PaymentMethod.CASH),), ANNA),
        till.uow(),
        mode=LIVE,
    )
    table_with(till, 9, "200")  # booked after table 5's lines: the moved ones come after it
    nine = tables.transfer_lines(TransferLines(five, None, 9, ANNA), till.uow())
    till.reopen()

    replayed = replayed_from_the_log(till)
    for ticket_id in (five, seven, split.ticket_id, nine.ticket_id):
        here, there = stored(till, ticket_id), replayed[ticket_id]
        assert (here.status, here.table, here.bookings) == (
            there.status,
            there.table,
            there.bookings,
        )
    assert stored(till, five).status is TicketStatus.MOVED
    assert stored(till, split.ticket_id).status is TicketStatus.CLOSED
    with till.reading() as uow:
        assert [t.table for t in uow.tickets.list_open()] == [7, 9]
        assert uow.tickets.open_at_table(5) is None
        every = [b.booking_id for t in uow.tickets.list_open() for b in t.bookings]
        assert croissant not in every  # paid on the split's receipt
        assert len(every) == len(set(every)) == 4
    assert [b.plu for b in stored(till, nine.ticket_id).bookings] == ["200", "100", "101"]


def test_a_table_moved_offline_is_no_longer_a_local_open_ticket(till: TillUnderTest) -> None:
    five = table_with(till, 5, "100", offline=True)
    with till.reading() as uow:
        assert uow.tickets.count_local_open() == 1
    nine = tables.transfer_lines(TransferLines(five, None, 9, ANNA), till.uow(), offline=True)
    with till.reading() as uow:
        assert uow.tickets.count_local_open() == 1  # table 9 now, opened offline
        assert [t.ticket_id for t in uow.tickets.list_open()] == [nine.ticket_id]


def test_live_a_move_onto_a_table_another_till_opened_adopts_it_first(till: TillUnderTest) -> None:
    five = table_with(till, 5, "100")

    target = tables.transfer_lines(
        TransferLines(five, None, 7, ANNA), till.uow(), tables=ServerTables(other_tills_table(7))
    )

    assert target.ticket_id == "t-11"
    assert [(b.plu, b.till_number) for b in stored(till, "t-11").bookings] == [
        ("200", 11),
        ("100", 10),
    ]
    with till.reading() as uow:
        assert uow.tickets.is_shared("t-11")
    # Till 11's line is not logged again here: only the move's two events are new.
    with till.uow() as uow:
        kinds = [op.event.kind for op in Outbox(uow.connection).next_batch(100)]
    assert kinds == ["ticket_opened", "booking_added", "bookings_moved_out", "bookings_moved_in"]


def test_a_till_follows_the_lines_another_till_moved_on_a_shared_table(
    till: TillUnderTest,
) -> None:
    """Till 10 holds table 4 adopted from till 11; till 11 then moved its line to table 8."""
    with till.uow() as uow:
        uow.tickets.adopt(other_tills_table(4, "t-4"))
        uow.commit()
    with till.uow() as uow:
        uow.tickets.adopt(other_tills_table(8, "t-8").model_copy(update={"bookings": []}))
        uow.commit()
    moved_away = other_tills_table(4, "t-4").model_copy(update={"bookings": []})
    moved_here = other_tills_table(8, "t-8")

    with till.uow() as uow:
        assert uow.tickets.merge_from_server(moved_here) == 1  # b-11 comes to table 8
        assert uow.tickets.merge_from_server(moved_away) == 0  # and is gone from table 4
        uow.commit()

    assert stored(till, "t-4").bookings == []
    assert [b.booking_id for b in stored(till, "t-8").bookings] == ["b-11"]
    assert stored(till, "t-8").total == Decimal("3.80")


def test_another_tills_line_the_server_no_longer_shows_on_the_table_leaves_it(
    till: TillUnderTest,
) -> None:
    with till.uow() as uow:
        uow.tickets.adopt(other_tills_table(4, "t-4"))
        uow.commit()
    handlers.add_booking(AddBooking("t-4", "100", 1, ANNA), till.uow())
    moved_away = other_tills_table(4, "t-4").model_copy(update={"bookings": []})

    with till.uow() as uow:
        assert uow.tickets.merge_from_server(moved_away) == 1
        uow.commit()

    # This till's own line stays (the server may simply not have it yet).
    assert [(b.plu, b.till_number) for b in stored(till, "t-4").bookings] == [("100", 10)]
