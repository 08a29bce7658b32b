"""Lines moving between tickets: a table transfer (chosen lines or the whole ticket to another
table) and a bill split (chosen lines onto a ticket of their own). Each move is two events,
one per ticket, and each ticket's replay of its own events gives the ticket again."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonom.domain import (
    BookingsMovedIn,
    BookingsMovedOut,
    Form,
    Item,
    NumberRange,
    PaymentMethod,
    Refusal,
    TaxRate,
    Tender,
    Ticket,
    TicketStatus,
    errors,
)
from autonom.domain.events import BookingAdded, booking_facts, check_event
from autonom.domain.limits import MAX_MOVED_LINES
from autonom.domain.money import ZERO

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 21, 12, 30, tzinfo=UTC)
STANDARD = TaxRate("A", Decimal("19"), "standard")
REDUCED = TaxRate("B", Decimal("7"), "reduced")
ESPRESSO = Item("100", "Espresso", Decimal("2.40"), "A")
CROISSANT = Item("200", "Croissant", Decimal("1.90"), "B")
RATES = {"A": STANDARD, "B": REDUCED}


def table(ticket_id: str, number: int | None = 5) -> Ticket:
    return Ticket.open(ticket_id=ticket_id, table=number, till_number=10, operator_number=1, at=AT)


def book(ticket: Ticket, item: Item = ESPRESSO, *, offline: bool = False, till: int = 10) -> str:
    booking = ticket.book(
        item,
        RATES[item.tax_code],
        1,
        booking_id=f"{ticket.ticket_id}-b{len(ticket.bookings) + 1}",
        operator_number=till % 10 + 1,
        till_number=till,
        at=AT,
        offline=offline,
    )
    return booking.booking_id


def move(source: Ticket, target: Ticket, booking_ids: list[str] | None) -> tuple[str, ...]:
    moved = source.move_to(target, booking_ids, operator_number=2, till_number=10, at=LATER)
    return tuple(b.booking_id for b in moved)


def refusal_code(source: Ticket, target: Ticket, booking_ids: list[str] | None) -> str:
    with pytest.raises(Refusal) as refused:
        move(source, target, booking_ids)
    return refused.value.code


def replayed(ticket: Ticket) -> Ticket:
    return Ticket.replay(ticket.events)


def state(ticket: Ticket) -> tuple[object, ...]:
    return (ticket.status, ticket.bookings, ticket.total, ticket.taxes(), ticket.receipt)


def test_the_whole_table_moves_and_the_old_ticket_ends_as_moved() -> None:
    five, seven = table("t5"), table("t7", 7)
    first = book(five, offline=True)  # booked in emergency mode: OFF
    second = book(five, CROISSANT, till=11)  # another till's line on the shared table
    five.void(second, "wrong item", operator_number=1, till_number=10, at=AT)
    third = book(five, CROISSANT)
    booked = {b.booking_id: b for b in five.bookings}

    assert move(five, seven, None) == (first, third)  # every live line, the void stays

    assert five.status is TicketStatus.MOVED
    assert [b.booking_id for b in five.bookings] == [second]
    assert five.total == ZERO
    assert seven.status is TicketStatus.OPEN
    assert seven.total == Decimal("4.30")
    for line in seven.bookings:  # each keeps its id, till, operator, time and OFF mark
        assert booking_facts(line) == booking_facts(booked[line.booking_id])
    assert [b.offline for b in seven.bookings] == [True, False]
    [moved_out] = five.events[-1:]
    assert moved_out == BookingsMovedOut(
        ticket_id="t5",
        to_ticket_id="t7",
        booking_ids=(first, third),
        operator_number=2,
        till_number=10,
        moved_at=LATER,
    )
    assert isinstance(seven.events[-1], BookingsMovedIn)
    assert seven.events[-1].from_ticket_id == "t5"


def test_chosen_lines_move_and_the_rest_stays_open_on_its_table() -> None:
    five, split = table("t5"), table("s1", None)
    kept = book(five)
    paid = book(five, CROISSANT)
    assert move(five, split, [paid, paid]) == (paid,)  # chosen twice is chosen once
    assert five.status is TicketStatus.OPEN
    assert [b.booking_id for b in five.live_bookings] == [kept]
    assert [b.booking_id for b in split.live_bookings] == [paid]
    assert five.total + split.total == Decimal("4.30")
    receipt = split.close(
        [Tender(PaymentMethod.CASH, Decimal("5"))],
        NumberRange(10, Form.RECEIPT).issue(),
        operator_number=2,
        till_number=10,
        at=LATER,
    )
    assert [line.booking_id for line in receipt.lines] == [paid]
    assert receipt.total == Decimal("1.90")


def test_lines_moved_to_a_table_with_an_open_ticket_join_its_lines() -> None:
    five, seven = table("t5"), table("t7", 7)
    theirs = book(seven)
    mine = book(five, CROISSANT)
    move(five, seven, None)
    assert [b.booking_id for b in seven.bookings] == [theirs, mine]
    assert seven.total == Decimal("4.30")


@pytest.mark.parametrize(
    ("chosen", "code"),
    [
        ([], errors.NOTHING_CHOSEN),
        (["not-here"], errors.BOOKING_NOT_FOUND),
        (["t5-b2"], errors.ALREADY_VOIDED),
    ],
)
def test_a_move_of_nothing_an_unknown_or_a_voided_line_is_refused(
    chosen: list[str], code: str
) -> None:
    five, seven = table("t5"), table("t7", 7)
    book(five)
    book(five)
    five.void("t5-b2", "wrong item", operator_number=1, till_number=10, at=AT)
    events = list(five.events)
    assert refusal_code(five, seven, chosen) == code
    assert five.events == events  # nothing recorded
    assert seven.bookings == []


def test_a_move_to_its_own_ticket_from_a_closed_or_moved_one_or_of_nothing_is_refused() -> None:
    five, seven = table("t5"), table("t7", 7)
    assert refusal_code(five, seven, None) == errors.TICKET_EMPTY
    book(five)
    assert refusal_code(five, five, None) == errors.SAME_TABLE
    move(five, seven, None)
    assert refusal_code(five, seven, None) == errors.TICKET_MOVED
    with pytest.raises(Refusal, match=errors.TICKET_MOVED):
        book(five)
    with pytest.raises(Refusal, match=errors.TICKET_MOVED):
        five.close([], NumberRange(10, 1).issue(), operator_number=1, till_number=10, at=AT)
    seven.close(
        [Tender(PaymentMethod.CARD, Decimal("2.40"))],
        NumberRange(10, 1).issue(),
        operator_number=1,
        till_number=10,
        at=AT,
    )
    nine = table("t9", 9)
    book(nine)
    assert refusal_code(nine, seven, None) == errors.TICKET_CLOSED


def test_a_move_that_would_take_a_ticket_over_the_largest_amount_is_refused() -> None:
    dear = Item("900", "Champagne", Decimal("60000.00"), "A")
    five, seven = table("t5"), table("t7", 7)
    book(five, dear)
    book(seven, dear)
    assert refusal_code(five, seven, None) == errors.BAD_AMOUNT


def test_a_large_table_moves_in_parts_each_within_the_limits() -> None:
    five, seven = table("t5"), table("t7", 7)
    for _ in range(MAX_MOVED_LINES * 2 + 1):
        book(five)
    five.events.clear()
    move(five, seven, None)
    outs = [e for e in five.events if isinstance(e, BookingsMovedOut)]
    ins = [e for e in seven.events if isinstance(e, BookingsMovedIn)]
    assert [len(e.booking_ids) for e in outs] == [MAX_MOVED_LINES, MAX_MOVED_LINES, 1]
    assert [len(e.bookings) for e in ins] == [MAX_MOVED_LINES, MAX_MOVED_LINES, 1]
    assert all(check_event(e) == [] for e in [*outs, *ins])
    assert len(seven.bookings) == MAX_MOVED_LINES * 2 + 1


def test_a_move_applied_twice_is_applied_once() -> None:
    five, seven = table("t5"), table("t7", 7)
    book(five)
    book(five)
    move(five, seven, ["t5-b1"])
    moved_out, moved_in = five.events[-1], seven.events[-1]
    five.apply(moved_out)
    seven.apply(moved_in)
    assert [b.booking_id for b in five.bookings] == ["t5-b2"]
    assert [b.booking_id for b in seven.bookings] == ["t5-b1"]
    assert five.status is seven.status is TicketStatus.OPEN


def test_a_line_another_till_booked_on_a_moved_ticket_opens_it_again() -> None:
    """On the server: till 10 moved the table away while till 11 booked on it; the line is
    kept on an open ticket, not hidden on a moved one."""
    five, seven = table("t5"), table("t7", 7)
    book(five)
    move(five, seven, None)
    other = table("other")
    book(other, till=11)
    late = other.events[-1]
    assert isinstance(late, BookingAdded)
    five.apply(BookingAdded(**{**booking_facts(late), "ticket_id": "t5"}))
    assert five.status is TicketStatus.OPEN
    assert five.total == Decimal("2.40")


def test_lines_moved_back_return_to_their_first_ticket() -> None:
    five, seven = table("t5"), table("t7", 7)
    line = book(five)
    move(five, seven, None)
    five_again = table("t5b")  # the moved ticket takes no lines; a new one at table 5 does
    move(seven, five_again, [line])
    assert seven.status is TicketStatus.MOVED
    assert [b.booking_id for b in five_again.bookings] == [line]
    for ticket in (five, seven, five_again):
        assert state(replayed(ticket)) == state(ticket)


# -- properties ------------------------------------------------------------------------------

# A move: from the open ticket of table i to that of table j, the lines the mask picks
# (None: the whole ticket).
MOVES = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 2),
        st.none() | st.lists(st.booleans(), min_size=1, max_size=10),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(0, 5), min_size=3, max_size=3), moves=MOVES)
def test_moves_keep_every_line_on_exactly_one_ticket_and_replay_gives_the_same_tickets(
    counts: list[int], moves: list[tuple[int, int, list[bool] | None]]
) -> None:
    tables = [table("t1", 1), table("t2", 2), table("t3", 3)]
    every = list(tables)
    for ticket, count in zip(tables, counts, strict=True):
        for n in range(count):
            book(ticket, ESPRESSO if n % 2 else CROISSANT)
    if counts[0] > 1:
        tables[0].void("t1-b1", "wrong item", operator_number=1, till_number=10, at=AT)
    live = sum((t.total for t in every), ZERO)
    booked = sorted(b.booking_id for t in every for b in t.bookings)

    for i, j, mask in moves:
        source, target = tables[i], tables[j]
        chosen = None
        if mask is not None:
            picked = zip(source.bookings, mask, strict=False)
            chosen = [b.booking_id for b, pick in picked if pick and not b.voided]
        recorded = len(source.events), len(target.events)
        try:
            move(source, target, chosen)
        except Refusal:
            assert (len(source.events), len(target.events)) == recorded  # nothing recorded
        for k, ticket in enumerate(tables):
            if ticket.status is TicketStatus.MOVED:  # the table is free: a new ticket there
                tables[k] = table(f"{ticket.ticket_id}'", ticket.table)
                every.append(tables[k])

    assert sum((t.total for t in every), ZERO) == live
    on_tickets = sorted(b.booking_id for t in every for b in t.bookings)
    assert on_tickets == booked  # each line on exactly one ticket: none lost, none twice
    for ticket in every:
        assert state(replayed(ticket)) == state(ticket)
        assert all(check_event(e) == [] for e in ticket.events)
