"""Tickets rebuilt from the operations the server holds by the merge rules (R3.2): in the
order things happened on the tills, whatever order they arrived in; what a close covers,
the follow-up of lines no close covers, and the flags a ticket's history raises."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from autonom.domain import (
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    OwnerChanged,
    TicketClosed,
    TicketOpened,
    TicketStatus,
)
from autonom.domain.events import BookingFacts, TicketEvent, booking_facts
from autonom.server.domain import Projection, Recorded, follow_up_id, project_family

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_seqs: dict[int, itertools.count[int]] = {}


def recorded(event: TicketEvent, minute: float) -> Recorded:
    """``event`` as its till recorded it ``minute`` minutes after noon (its own next seq)."""
    seq = next(_seqs.setdefault(event.till_number, itertools.count(1)))
    return Recorded(
        event, event.till_number, seq, AT + timedelta(minutes=minute), str(uuid.uuid4())
    )


def opened(ticket_id: str = "t1", *, till: int = 10, table: int | None = 4) -> TicketOpened:
    return TicketOpened(
        ticket_id=ticket_id,
        till_number=till,
        table=table,
        operator_number=1,
        opened_at=AT,
        offline=False,
    )


def booked(
    booking_id: str,
    *,
    ticket_id: str = "t1",
    till: int = 10,
    price: str = "2.40",
    offline: bool = False,
    operator: int = 1,
) -> BookingAdded:
    return BookingAdded(
        ticket_id=ticket_id,
        booking_id=booking_id,
        plu="100",
        name="Espresso",
        quantity=1,
        unit_price=Decimal(price),
        tax_code="A",
        tax_percent=Decimal("19.00"),
        operator_number=operator,
        till_number=till,
        booked_at=AT,
        offline=offline,
    )


def closed(total: str, *, ticket_id: str = "t1", till: int = 10, number: str = "") -> TicketClosed:
    return TicketClosed(
        ticket_id=ticket_id,
        receipt_number=number or f"{till}000001-01",
        till_number=till,
        operator_number=1,
        closed_at=AT,
        total=Decimal(total),
        taxes=(),
        payments=(),
        offline=False,
    )


def voided(booking_id: str, *, ticket_id: str = "t1", till: int = 10) -> BookingVoided:
    return BookingVoided(
        ticket_id=ticket_id,
        booking_id=booking_id,
        reason="void due to emergency mode",
        operator_number=1,
        till_number=till,
        voided_at=AT,
    )


def moved_out(*booking_ids: str, ticket_id: str = "t1", to: str = "t2") -> BookingsMovedOut:
    return BookingsMovedOut(
        ticket_id=ticket_id,
        to_ticket_id=to,
        booking_ids=booking_ids,
        operator_number=1,
        till_number=10,
        moved_at=AT,
    )


def moved_in(*lines: BookingAdded, ticket_id: str = "t2", source: str = "t1") -> BookingsMovedIn:
    return BookingsMovedIn(
        ticket_id=ticket_id,
        from_ticket_id=source,
        bookings=tuple(BookingFacts(**booking_facts(line)) for line in lines),
        operator_number=1,
        till_number=10,
        moved_at=AT,
    )


def family(*records: Recorded, root: str = "t1") -> list[Projection]:
    histories: dict[str, list[Recorded]] = {}
    for record in records:
        histories.setdefault(record.event.ticket_id, []).append(record)
    return project_family(root, histories)


def codes(projections: list[Projection]) -> list[tuple[str, str]]:
    return sorted((f.ticket_id, f.code) for p in projections for f in p.findings)


def test_a_normal_sale_raises_nothing() -> None:
    (sale,) = family(
        recorded(opened(), 0),
        recorded(booked("b1"), 1),
        recorded(booked("b2"), 2),
        recorded(voided("b2"), 3),
        recorded(closed("2.40"), 4),
    )
    assert sale.ticket.status is TicketStatus.CLOSED
    assert sale.findings == ()
    assert sale.ticket.receipt is not None
    assert [b.booking_id for b in sale.ticket.receipt.lines] == ["b1"]


def test_lines_are_replayed_in_the_order_they_happened_not_in_the_order_they_came() -> None:
    # Till 11's booking happened first but reached the server after till 10's.
    records = [
        recorded(opened(), 0),
        recorded(booked("b2", till=10), 2),
        recorded(booked("b1", till=11), 1),
    ]
    for order in itertools.permutations(records):
        (ticket,) = family(*order)
        assert [b.booking_id for b in ticket.ticket.bookings] == ["b1", "b2"]
        assert (ticket.ticket.till_number, ticket.ticket.table) == (10, 4)


def test_a_void_whose_booking_happened_later_by_another_clock_still_voids_it() -> None:
    (ticket,) = family(
        recorded(opened(), 0),
        recorded(voided("b1", till=10), 1),
        recorded(booked("b1", till=11), 2),
    )
    assert ticket.ticket.bookings[0].voided
    assert ticket.findings == ()


def test_a_ticket_never_opened_gets_a_stand_in_and_a_flag() -> None:
    (ticket,) = family(recorded(booked("b1", till=11), 0))
    assert (ticket.ticket.till_number, ticket.ticket.table) == (11, None)
    assert codes([ticket]) == [("t1", "UNKNOWN_TICKET")]


def test_offline_lines_on_a_ticket_paid_elsewhere_go_to_a_flagged_follow_up() -> None:
    # Till 10 adopted table 4 and booked b2 offline; till 11 paid the table without it.
    projections = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(booked("b2", till=10, offline=True, price="3.40", operator=7), 2),
        recorded(closed("2.40", till=11), 3),
    )
    paid, follow_up = projections
    assert [b.booking_id for b in paid.ticket.bookings] == ["b1"]
    assert paid.ticket.receipt is not None
    assert paid.ticket.receipt.total == Decimal("2.40")
    assert follow_up.ticket.ticket_id == follow_up_id("t1")
    assert follow_up.follows == "t1"
    assert (follow_up.ticket.status, follow_up.ticket.table) == (TicketStatus.OPEN, 4)
    assert follow_up.ticket.owner == 7  # the operator who booked offline
    assert [(b.booking_id, b.offline) for b in follow_up.ticket.bookings] == [("b2", True)]
    assert codes(projections) == [(follow_up_id("t1"), "FOLLOW_UP_TICKET")]


def test_a_close_that_saw_another_tills_line_covers_it() -> None:
    (paid,) = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(booked("b2", till=10, price="3.40"), 2),
        recorded(closed("5.80", till=11), 3),
    )
    assert paid.findings == ()
    assert [b.booking_id for b in paid.ticket.bookings] == ["b1", "b2"]


def test_a_line_whose_clock_ran_ahead_is_covered_when_the_total_says_so() -> None:
    # Till 10's clock is ahead: its line looks later than the close that paid it.
    (paid,) = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(booked("b2", till=10, price="3.40"), 9),
        recorded(closed("5.80", till=11), 3),
    )
    assert paid.findings == ()
    assert paid.ticket.receipt is not None
    assert [b.booking_id for b in paid.ticket.receipt.lines] == ["b1", "b2"]


def test_a_ticket_paid_on_both_sides_keeps_both_receipts_and_is_flagged() -> None:
    projections = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(closed("2.40", till=10, number="10000001-02"), 2),
        recorded(closed("2.40", till=11), 3),
    )
    (paid,) = projections
    assert codes(projections) == [("t1", "TICKET_CLOSED_TWICE")]
    assert "10000001-02" in paid.findings[0].message
    assert "11000001-01" in paid.findings[0].message


def test_a_close_whose_total_its_lines_do_not_make_is_flagged() -> None:
    projections = family(
        recorded(opened(), 0), recorded(booked("b1"), 1), recorded(closed("9.99"), 2)
    )
    assert codes(projections) == [("t1", "CLOSE_TOTAL_MISMATCH")]
    assert len(projections) == 1  # its lines stay on it: nothing to follow up


def test_a_void_of_a_paid_line_after_the_close_is_flagged_a_void_of_an_unknown_one_too() -> None:
    projections = family(
        recorded(opened(), 0),
        recorded(booked("b1"), 1),
        recorded(closed("2.40"), 2),
        recorded(voided("b1"), 3),
        recorded(voided("b9"), 4),
    )
    assert codes(projections) == [("t1", "CHANGED_AFTER_CLOSE"), ("t1", "UNKNOWN_BOOKING")]


def test_a_merge_moves_the_offline_lines_and_makes_the_offline_operator_the_owner() -> None:
    line = booked("b2", ticket_id="b", offline=True, operator=7)
    records = [
        recorded(opened("a", till=11, table=3), 0),
        recorded(booked("b1", ticket_id="a", till=11), 1),
        recorded(opened("b", table=3), 2),
        recorded(line, 3),
        recorded(moved_out("b2", ticket_id="b", to="a"), 4),
        recorded(moved_in(line, ticket_id="a", source="b"), 4),
        recorded(
            OwnerChanged(ticket_id="a", owner=7, merged_from="b", till_number=10, changed_at=AT),
            4,
        ),
    ]
    (merged,) = family(*records, root="a")
    (gone,) = family(*records, root="b")
    assert merged.ticket.owner == 7
    assert [(b.booking_id, b.offline) for b in merged.ticket.bookings] == [
        ("b1", False),
        ("b2", True),
    ]
    assert gone.ticket.status is TicketStatus.MOVED
    assert merged.findings == gone.findings == ()


def test_moving_out_lines_the_ticket_does_not_hold_is_flagged_by_name() -> None:
    projections = family(
        recorded(opened(), 0),
        recorded(booked("b1"), 1),
        recorded(moved_out("b1"), 2),
        recorded(moved_out("b1", "b7"), 3),
    )
    (finding,) = projections[0].findings
    assert finding.code == "UNKNOWN_BOOKING"
    assert "b1, b7" in finding.message


def test_a_follow_up_whose_lines_were_paid_after_all_is_gone() -> None:
    # Till 10 paid its own offline line too (its receipt arrived later): nothing follows.
    projections = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(booked("b2", till=10, offline=True), 2),
        recorded(closed("2.40", till=11), 3),
        recorded(replace(closed("4.80", till=10), offline=True), 4),
    )
    assert len(projections) == 1
    assert codes(projections) == [("t1", "TICKET_CLOSED_TWICE")]


def test_a_follow_up_a_till_worked_on_stays_when_its_lines_were_paid_after_all() -> None:
    follow_up = follow_up_id("t1")
    projections = family(
        recorded(opened(till=11), 0),
        recorded(booked("b1", till=11), 1),
        recorded(booked("b2", till=10, offline=True), 2),
        recorded(closed("2.40", till=11), 3),
        # Till 12 adopted the follow-up and booked on it …
        recorded(booked("b3", ticket_id=follow_up, till=12), 5),
        # … and till 10's own receipt of b2 arrives: b2 was paid after all.
        recorded(replace(closed("4.80", till=10), offline=True), 4),
    )
    assert [p.ticket.ticket_id for p in projections] == ["t1", follow_up]
    assert [b.booking_id for b in projections[1].ticket.bookings] == ["b3"]
    assert projections[1].follows == "t1"
