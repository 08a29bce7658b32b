"""What reintegration does to the till's local open tickets (R3.2, issue 9 point 6): the
dialog's list, decided from what the server holds, and the merges "synchronise now"
records in the till's log — on a real SQLite file, the server a plain object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.contracts import BookingPublic, TicketPublic
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain.reintegration import Fate
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, OpenTicket
from autonom.till.service_layer.reintegration import Reintegration
from tests.unit.till.conftest import ANNA, TillUnderTest

AT = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)


def server_ticket(ticket_id: str, table: int, *, status: str = "open") -> TicketPublic:
    line = BookingPublic(
        booking_id=f"{ticket_id}-line",
        plu="101",
        name="Cappuccino",
        quantity=1,
        unit_price=Decimal("3.20"),
        tax_code="A",
        tax_percent=Decimal("19.00"),
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
        status=status,
        total=Decimal("3.20"),
        bookings=[line],
    )


@dataclass
class Server:
    """The server's tickets, as a till asks for them."""

    tickets: dict[str, TicketPublic] = field(default_factory=dict)
    reachable: bool = True

    def _check(self) -> None:
        if not self.reachable:
            raise ServerUnreachable("timed out")

    def open_ticket_at(self, table: int) -> TicketPublic | None:
        self._check()
        return next((t for t in self.open_tickets() if t.table == table), None)

    def ticket(self, ticket_id: str) -> TicketPublic | None:
        self._check()
        return self.tickets.get(ticket_id)

    def open_tickets(self) -> list[TicketPublic]:
        self._check()
        return [t for t in self.tickets.values() if t.status == "open"]


def offline_table(till: TillUnderTest, table: int, *plus: str) -> str:
    ticket = handlers.open_ticket(
        OpenTicket(table=table, operator_number=ANNA), till.uow(), offline=True
    )
    for plu in plus:
        handlers.add_booking(AddBooking(ticket.ticket_id, plu, 1, ANNA), till.uow(), offline=True)
    return ticket.ticket_id


def outbox_kinds(till: TillUnderTest) -> list[str]:
    return [r["kind"] for r in till.store.conn.execute("SELECT kind FROM outbox ORDER BY seq")]


@pytest.fixture
def server() -> Server:
    return Server({"t11-3": server_ticket("t11-3", 3)})


def reintegration(till: TillUnderTest, server: Server) -> Reintegration:
    return Reintegration(unit_of_work=till.uow, reading=till.reading, tables=server)


def test_the_dialog_names_each_local_table_and_whether_it_moves_or_merges(
    till: TillUnderTest, server: Server
) -> None:
    three = offline_table(till, 3, "100", "200")
    five = offline_table(till, 5, "101")

    plan = {p.ticket_id: p for p in reintegration(till, server).plan()}

    assert (plan[three].table, plan[three].fate, plan[three].total) == (
        3,
        Fate.MERGE,
        Decimal("4.30"),
    )
    assert plan[three].server is not None
    assert plan[three].server.ticket_id == "t11-3"
    assert "merges with the server's ticket of table 3" in plan[three].words
    assert plan[three].off_lines == 2
    assert (plan[five].fate, plan[five].words) == (Fate.MOVE, "moves to the server as it is")


def test_without_the_servers_answer_the_dialog_says_it_decides_later(
    till: TillUnderTest, server: Server
) -> None:
    offline_table(till, 3, "100")
    server.reachable = False
    (planned,) = reintegration(till, server).plan()
    assert planned.fate is Fate.UNKNOWN


def test_synchronising_merges_into_the_servers_table_in_the_tills_log(
    till: TillUnderTest, server: Server
) -> None:
    three = offline_table(till, 3, "100", "200")
    before = len(outbox_kinds(till))

    reintegration(till, server).synchronise()

    assert outbox_kinds(till)[before:] == [
        "bookings_moved_out",
        "bookings_moved_in",
        "owner_changed",
    ]
    with till.reading() as uow:
        table = uow.tickets.open_at_table(3)
        assert table is not None
        assert table.ticket_id == "t11-3"
        assert table.owner == ANNA  # the operator who booked offline
        assert [b.offline for b in table.bookings] == [False, True, True]
        assert uow.tickets.list_local_open()[0].ticket_id == "t11-3"  # its OFF lines
        assert not any(t.ticket_id == three for t in uow.tickets.list_open())


def test_a_table_adopted_before_the_outage_and_paid_elsewhere_meanwhile_is_seen_paid(
    till: TillUnderTest, server: Server
) -> None:
    adopted = handlers.open_ticket(
        OpenTicket(table=3, operator_number=ANNA), till.uow(), tables=server
    )
    handlers.add_booking(AddBooking(adopted.ticket_id, "100", 1, ANNA), till.uow(), offline=True)
    server.tickets["t11-3"] = server.tickets["t11-3"].model_copy(
        update={"status": "closed", "receipt_number": "11000001-01"}
    )
    service = reintegration(till, server)
    (planned,) = service.plan()
    assert planned.fate is Fate.FOLLOW_UP
    assert "follow-up ticket" in planned.words

    service.synchronise()

    with till.reading() as uow:
        assert uow.tickets.list_local_open() == []
        assert uow.tickets.receipt_number_of(adopted.ticket_id) == "11000001-01"
