"""The two events of a move on the wire: read back as they were written, held to the
domain's limits, and a full push batch of the largest moves fits under the body limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from autonom.contracts import Operation, PushBatch
from autonom.contracts.sync import MAX_BATCH
from autonom.domain import BookingsMovedIn, BookingsMovedOut, limits
from autonom.domain.events import BookingFacts, check_event
from autonom.web import MAX_BODY_BYTES

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LONGEST = "9" * limits.MAX_ID_LENGTH


def largest_line() -> BookingFacts:
    return BookingFacts(
        booking_id=LONGEST,
        plu="9" * limits.MAX_PLU_LENGTH,
        name="\N{GRINNING FACE}" * limits.MAX_NAME_LENGTH,  # four bytes a character
        quantity=limits.MAX_QUANTITY,
        unit_price=limits.MAX_AMOUNT,
        tax_code="A" * limits.MAX_TAX_CODE_LENGTH,
        tax_percent=Decimal("99.99"),
        operator_number=limits.MAX_OPERATOR,
        till_number=limits.MAX_TILL,
        booked_at=AT,
        offline=True,
    )


def largest_moves() -> tuple[BookingsMovedOut, BookingsMovedIn]:
    common = {"operator_number": limits.MAX_OPERATOR, "till_number": limits.MAX_TILL}
    moved_out = BookingsMovedOut(
        ticket_id=LONGEST,
        to_ticket_id=LONGEST,
        booking_ids=(LONGEST,) * limits.MAX_MOVED_LINES,
        moved_at=AT,
        **common,
    )
    moved_in = BookingsMovedIn(
        ticket_id=LONGEST,
        from_ticket_id=LONGEST,
        bookings=(largest_line(),) * limits.MAX_MOVED_LINES,
        moved_at=AT,
        **common,
    )
    return moved_out, moved_in


def test_a_move_travels_as_two_operations_and_reads_back_the_same() -> None:
    events = largest_moves()
    assert [check_event(e) for e in events] == [[], []]
    operations = [
        Operation(seq=i, op_id=uuid.uuid4(), recorded_at=AT, event=e)
        for i, e in enumerate(events, start=1)
    ]
    wire = PushBatch(operations=operations).model_dump_json()
    assert [op.event for op in PushBatch.model_validate_json(wire).operations] == list(events)
    assert [op.event.kind for op in operations] == ["bookings_moved_out", "bookings_moved_in"]


def test_a_move_beyond_the_limits_is_named_line_by_line() -> None:
    moved_out, moved_in = largest_moves()
    too_many = BookingsMovedOut(
        **{**moved_out.__dict__, "booking_ids": ("b",) * (limits.MAX_MOVED_LINES + 1)}
    )
    assert check_event(too_many) == [
        f"booking_ids may have at most {limits.MAX_MOVED_LINES} entries"
    ]
    blank = BookingsMovedOut(**{**moved_out.__dict__, "booking_ids": ("b1", "", "x\n")})
    assert check_event(blank) == [
        "booking_ids.1 must be 1 to 64 characters",
        "booking_ids.2 must not contain control characters",
    ]
    bad_line = BookingFacts(**{**largest_line().__dict__, "quantity": 0})
    wrong = BookingsMovedIn(**{**moved_in.__dict__, "bookings": (bad_line,)})
    assert check_event(wrong) == ["bookings.0.quantity must be from 1 to 999"]


def test_a_full_push_batch_of_the_largest_moves_fits_under_the_body_limit() -> None:
    _, moved_in = largest_moves()
    operations = [
        Operation(seq=i, op_id=uuid.uuid4(), recorded_at=AT, event=moved_in)
        for i in range(1, MAX_BATCH + 1)
    ]
    size = len(PushBatch(operations=operations).model_dump_json())
    assert size * 1.5 < MAX_BODY_BYTES
