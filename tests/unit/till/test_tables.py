"""A table transfer and a bill split through the service layer on the in-memory unit of
work: one commit for both tickets, the refusals before anything is written, and in
emergency mode only this till's own tickets (R2.4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autonom.domain import (
    BookingsMovedIn,
    BookingsMovedOut,
    PaymentMethod,
    Refusal,
    TicketClosed,
    TicketOpened,
    TicketStatus,
    errors,
)
from autonom.till.domain import Choice
from autonom.till.service_layer import handlers, tables
from autonom.till.service_layer.commands import AddBooking, OpenTicket, Tendered
from autonom.till.service_layer.snapshot import LinkState
from autonom.till.service_layer.tables import SplitOff, TransferLines
from tests.unit.till.conftest import ANNA, CAFE
from tests.unit.till.fakes import FakeMasterData, FakeUnitOfWork
from tests.unit.till.test_handlers import DOWN, keeper, selling_on

UNREGISTERED = LinkState(registered=False, problem=None)  # live, but no server to ask


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(master=FakeMasterData(CAFE))


def table_with(uow: FakeUnitOfWork, table: int | None, *plus: str) -> tuple[str, list[str]]:
    """Open ``table`` and book one of each PLU; the ticket's id and the lines' ids."""
    ticket = handlers.open_ticket(OpenTicket(table=table, operator_number=ANNA), uow)
    lines = [
        handlers.add_booking(AddBooking(ticket.ticket_id, plu, 1, ANNA), uow).booking_id
        for plu in plus
    ]
    return ticket.ticket_id, lines


def kinds_since(uow: FakeUnitOfWork, written: int) -> list[str]:
    return [op.event.kind for op in uow.operations[written:]]


def refused(call: object) -> Refusal:
    assert callable(call)
    with pytest.raises(Refusal) as refusal:
        call()
    return refusal.value


def test_the_whole_table_moves_to_a_free_table_in_one_commit(uow: FakeUnitOfWork) -> None:
    five, lines = table_with(uow, 5, "100", "200")
    commits, written = uow.commits, len(uow.operations)

    seven = tables.transfer_lines(TransferLines(five, None, 7, ANNA), uow)

    assert uow.commits == commits + 1
    assert kinds_since(uow, written) == ["bookings_moved_out", "ticket_opened", "bookings_moved_in"]
    assert seven.table == 7
    assert [b.booking_id for b in uow.stored[seven.ticket_id].bookings] == lines
    assert uow.stored[five].status is TicketStatus.MOVED
    assert uow.stored[five].bookings == []
    with uow:
        assert uow.tickets.open_at_table(5) is None
        assert uow.tickets.open_at_table(7) is not None
        assert [t.table for t in uow.tickets.list_open()] == [7]


def test_chosen_lines_join_the_open_ticket_of_another_table(uow: FakeUnitOfWork) -> None:
    five, (espresso, croissant) = table_with(uow, 5, "100", "200")
    seven, (theirs,) = table_with(uow, 7, "101")

    target = tables.transfer_lines(TransferLines(five, (croissant,), 7, ANNA), uow)

    assert target.ticket_id == seven
    assert [b.booking_id for b in uow.stored[seven].bookings] == [theirs, croissant]
    assert [b.booking_id for b in uow.stored[five].bookings] == [espresso]
    assert uow.stored[five].status is TicketStatus.OPEN
    assert uow.stored[five].total + uow.stored[seven].total == Decimal("7.50")


@pytest.mark.parametrize(
    ("table", "chosen", "code"),
    [
        (5, None, errors.SAME_TABLE),
        (None, None, errors.BAD_TABLE),
        (10_000, None, errors.BAD_TABLE),
        (7, (), errors.NOTHING_CHOSEN),
        (7, ("not-a-line",), errors.BOOKING_NOT_FOUND),
    ],
)
def test_a_transfer_to_its_own_or_no_table_or_of_no_line_writes_nothing(
    uow: FakeUnitOfWork, table: int | None, chosen: tuple[str, ...] | None, code: str
) -> None:
    five, _ = table_with(uow, 5, "100")
    commits, written = uow.commits, len(uow.operations)
    refusal = refused(lambda: tables.transfer_lines(TransferLines(five, chosen, table, ANNA), uow))
    assert refusal.code == code
    assert (uow.commits, len(uow.operations)) == (commits, written)


def test_a_split_puts_the_chosen_lines_on_a_counter_ticket_linked_to_its_table(
    uow: FakeUnitOfWork,
) -> None:
    five, (espresso, croissant) = table_with(uow, 5, "100", "200")
    written = len(uow.operations)

    split = tables.split_off(SplitOff(five, (croissant,), ANNA), uow)

    assert split.table is None  # the table keeps its one open ticket
    assert kinds_since(uow, written) == ["bookings_moved_out", "ticket_opened", "bookings_moved_in"]
    moved_in = uow.operations[-1].event
    assert isinstance(moved_in, BookingsMovedIn)
    assert moved_in.from_ticket_id == five  # the split ticket's link to its origin
    assert [b.booking_id for b in uow.stored[split.ticket_id].bookings] == [croissant]
    assert [b.booking_id for b in uow.stored[five].bookings] == [espresso]
    with uow:
        assert uow.tickets.open_at_table(5) is not None
        assert uow.tickets.open_at_table(5).ticket_id == five  # type: ignore[union-attr]


def test_a_split_whose_tenders_do_not_settle_the_lines_moves_nothing(uow: FakeUnitOfWork) -> None:
    five, (_, croissant) = table_with(uow, 5, "100", "200")
    commits = uow.commits
    underpaid = (Tendered(PaymentMethod.CASH, "1.00"),)
    refusal = refused(lambda: tables.split_off(SplitOff(five, (croissant,), ANNA, underpaid), uow))
    assert refusal.code == errors.UNDERPAID
    assert uow.commits == commits
    assert len(uow.stored[five].live_bookings) == 2


def test_split_bill_pays_the_chosen_lines_as_their_own_receipt(uow: FakeUnitOfWork) -> None:
    five, (espresso, croissant) = table_with(uow, 5, "100", "200")
    selling = selling_on(uow, keeper(), link=UNREGISTERED)
    written = len(uow.operations)

    closed = selling.split_bill(ANNA, five, [croissant], [Tendered(PaymentMethod.CASH, "5.00")])

    assert [b.booking_id for b in closed.receipt.lines] == [croissant]
    assert closed.receipt.total == Decimal("1.90")
    assert closed.receipt.change == Decimal("3.10")
    assert closed.receipt.table is None
    assert kinds_since(uow, written) == [
        "bookings_moved_out",
        "ticket_opened",
        "bookings_moved_in",
        "ticket_closed",
    ]
    assert [b.booking_id for b in selling.ticket(five).live_bookings] == [espresso]
    assert [t.ticket_id for t in selling.open_tickets()] == [five]


def test_split_bill_is_refused_before_any_line_moves_while_an_outage_is_undecided(
    uow: FakeUnitOfWork,
) -> None:
    five, (_, croissant) = table_with(uow, 5, "100", "200")
    mode = keeper()
    mode.link_verdict(DOWN, 100.0)  # the dialog waits for the cashier (R1.4)
    selling = selling_on(uow, mode, link=UNREGISTERED)
    written = len(uow.operations)
    cash = [Tendered(PaymentMethod.CASH)]
    refusal = refused(lambda: selling.split_bill(ANNA, five, [croissant], cash))
    assert refusal.code == errors.OUTAGE_UNDECIDED
    assert len(uow.operations) == written


def test_in_emergency_mode_only_this_tills_own_tickets_are_split_or_moved(
    uow: FakeUnitOfWork,
) -> None:
    own, (own_line,) = table_with(uow, 5, "100")
    shared, (shared_line,) = table_with(uow, 6, "200")
    uow.shared.add(shared)  # adopted from the server in live mode
    mode = keeper()
    mode.link_verdict(DOWN, 100.0)
    mode.choose(Choice.EMERGENCY)
    selling = selling_on(uow, mode)
    written = len(uow.operations)

    for call in (
        lambda: selling.transfer(ANNA, shared, None, 8),
        lambda: selling.transfer(ANNA, own, None, 6),  # onto the shared table
        lambda: selling.split_off(ANNA, shared, [shared_line]),
        lambda: selling.split_bill(ANNA, shared, [shared_line], [Tendered(PaymentMethod.CASH)]),
    ):
        refusal = refused(call)
        assert (refusal.code, refusal.status) == (errors.SHARED_TICKET_OFFLINE, 409)
    assert len(uow.operations) == written

    moved = selling.transfer(ANNA, own, None, 8)
    assert moved.table == 8
    assert moved.offline  # opened in emergency mode: a local open ticket (R1.6)
    assert [(b.booking_id, b.offline) for b in moved.bookings] == [(own_line, False)]
    closed = selling.split_bill(ANNA, moved.ticket_id, [own_line], [Tendered(PaymentMethod.CASH)])
    assert closed.receipt.offline
    assert closed.receipt.number.endswith("-02")  # the emergency range (R2.3)
    opened = [op.event for op in uow.operations if isinstance(op.event, TicketOpened)]
    assert opened[-1].offline


def test_the_events_of_a_split_carry_the_lines_facts_unchanged(uow: FakeUnitOfWork) -> None:
    five, (espresso,) = table_with(uow, 5, "100")
    before = uow.stored[five].booking(espresso)
    selling = selling_on(uow, keeper(), link=UNREGISTERED)
    selling.split_bill(ANNA, five, [espresso], [Tendered(PaymentMethod.CASH)])
    [moved_out] = [op.event for op in uow.operations if isinstance(op.event, BookingsMovedOut)]
    [moved_in] = [op.event for op in uow.operations if isinstance(op.event, BookingsMovedIn)]
    [closed] = [op.event for op in uow.operations if isinstance(op.event, TicketClosed)]
    assert moved_out.booking_ids == (espresso,)
    assert moved_in.bookings[0].booking_id == before.booking_id
    assert moved_in.bookings[0].booked_at == before.booked_at
    assert moved_in.bookings[0].till_number == before.till_number
    assert closed.ticket_id == moved_in.ticket_id == moved_out.to_ticket_id
    assert uow.stored[five].status is TicketStatus.MOVED
