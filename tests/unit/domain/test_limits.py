"""Every field of every event has a limit, and an event outside the limits is named
field by field (issue 7, point 8); a booking's fields are spelled once (point 4)."""

from __future__ import annotations

import dataclasses
import sys
import typing
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest

from autonom.domain import (
    Booking,
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    CardPaymentSettled,
    CardSlip,
    DayClosed,
    Form,
    GateScanned,
    Item,
    NumberRange,
    Payment,
    PaymentMethod,
    PaymentTotal,
    ReceiptRange,
    Refusal,
    TaxLine,
    TaxRate,
    TaxTotal,
    Tender,
    Ticket,
    TicketClosed,
    TicketOpened,
)
from autonom.domain.events import (
    AMOUNT_LIMITS,
    COUNT_LIMITS,
    TEXT_LIMITS,
    WHOLE_LIMITS,
    BookingFacts,
    check_event,
    has_control_characters,
)
from autonom.domain.money import parse_amount
from autonom.domain.ticket import parse_quantity, parse_table

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STANDARD = TaxRate(code="A", percent=Decimal("19.00"), name="Standard")
CAKE = Item(plu="200", name="Cheesecake", price=Decimal("4.20"), tax_code="A")


def a_sale() -> Ticket:
    ticket = Ticket.open(ticket_id="t1", table=4, till_number=10, operator_number=1, at=AT)
    ticket.book(CAKE, STANDARD, 2, booking_id="b1", operator_number=1, till_number=10, at=AT)
    ticket.void("b1", "wrong item", operator_number=1, till_number=10, at=AT)
    ticket.book(CAKE, STANDARD, 1, booking_id="b2", operator_number=1, till_number=10, at=AT)
    number = NumberRange(till=10, form=Form.RECEIPT).issue()
    tenders = [Tender(PaymentMethod.CASH, Decimal("10"))]
    ticket.close(tenders, number, operator_number=1, till_number=10, at=AT)
    return ticket


RECORDS = (
    TicketOpened,
    BookingAdded,
    BookingVoided,
    TicketClosed,
    TaxLine,
    Payment,
    CardSlip,
    CardPaymentSettled,
    BookingsMovedOut,
    BookingsMovedIn,
    BookingFacts,
    DayClosed,
    TaxTotal,
    PaymentTotal,
    ReceiptRange,
    GateScanned,
)


def _bounded_by_its_type(hint: object) -> bool:
    """A flag, a moment, a choice of a few (an enum), or a record checked field by field."""
    kinds = [k for k in typing.get_args(hint) or (hint,) if k is not type(None)]
    return all(
        k in (bool, datetime) or k in RECORDS or (isinstance(k, type) and issubclass(k, Enum))
        for k in kinds
    )


def test_every_field_of_every_event_has_a_limit() -> None:
    limited = TEXT_LIMITS.keys() | WHOLE_LIMITS.keys() | AMOUNT_LIMITS.keys() | COUNT_LIMITS.keys()
    unbounded = set()
    for record in RECORDS:
        hints = typing.get_type_hints(record)
        for field in dataclasses.fields(record):
            if _bounded_by_its_type(hints[field.name]) or field.name == "kind":
                continue
            if field.name not in limited:
                unbounded.add(f"{record.__name__}.{field.name}")
    assert unbounded == set()


def test_a_real_sale_is_within_the_limits() -> None:
    assert [check_event(event) for event in a_sale().events] == [[], [], [], [], []]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"quantity": 10**20}, "quantity must be from 1 to 999"),
        ({"quantity": -1}, "quantity must be from 1 to 999"),
        (
            {"unit_price": Decimal("1E+30")},
            "unit_price must be written plainly, like 1000.00, not with an exponent",
        ),
        ({"unit_price": Decimal("-2.40")}, "unit_price must be from 0 to 99999.99"),
        ({"unit_price": Decimal("2.405")}, "unit_price may have at most 2 decimal places"),
        ({"tax_percent": Decimal("500")}, "tax_percent must be from 0 to 100"),
        ({"ticket_id": "x" * 10_000}, "ticket_id must be 1 to 64 characters"),
        ({"name": "Cheese\x00cake"}, "name must not contain control characters"),
        ({"name": "caf\ud800"}, "name must not contain control characters"),
        ({"till_number": 2**63}, "till_number must be from 1 to 999"),
        ({"booked_at": datetime(2026, 1, 1)}, "booked_at must carry its time zone"),
        (
            {"booked_at": datetime(9999, 12, 31, tzinfo=timezone(timedelta(hours=-14)))},
            "booked_at must lie between 1900 and 9000",
        ),
    ],
)
def test_a_booking_outside_the_limits_is_named(change: dict[str, object], problem: str) -> None:
    booked = next(e for e in a_sale().events if isinstance(e, BookingAdded))
    assert check_event(dataclasses.replace(booked, **change)) == [problem]  # type: ignore[arg-type]


def test_a_receipt_total_of_minus_a_million_and_its_parts_are_named() -> None:
    closed = a_sale().events[-1]
    assert isinstance(closed, TicketClosed)
    bad_tax = dataclasses.replace(closed.taxes[0], percent=Decimal("500"))
    wrong = dataclasses.replace(closed, total=Decimal("-1000000.00"), taxes=(bad_tax,))
    assert check_event(wrong) == [
        "total must be from 0 to 99999.99",
        "taxes.0.percent must be from 0 to 100",
    ]


def test_a_booking_is_built_from_the_event_that_added_it() -> None:
    booked = next(e for e in a_sale().events if isinstance(e, BookingAdded))
    line = Booking.of(booked)
    assert [getattr(line, f.name) for f in dataclasses.fields(BookingFacts)] == [
        getattr(booked, f.name) for f in dataclasses.fields(BookingFacts)
    ]
    assert line.void_reason is None


@pytest.mark.parametrize("typed", ["1e2", "1E3", "NaN", "Infinity", "0x10", "1_000"])
def test_an_amount_with_an_exponent_or_not_a_plain_number_is_refused(typed: str) -> None:
    with pytest.raises(Exception, match="BAD_AMOUNT"):
        parse_amount(typed)


@pytest.mark.parametrize("typed", ["²", "1e3", "9" * 5000, "true", "-1", "0", "1000"])
def test_a_quantity_typed_on_the_page_is_plain_digits_from_1_to_999(typed: str) -> None:
    with pytest.raises(Refusal, match="BAD_QUANTITY"):
        parse_quantity(typed)


def test_typed_numbers_that_are_fine() -> None:
    assert (parse_quantity(""), parse_quantity(" 007 "), parse_table(""), parse_table("12")) == (
        1,
        7,
        None,
        12,
    )
    with pytest.raises(Refusal, match="BAD_TABLE"):
        parse_table("9" * 5000)


def test_control_characters_are_unicodes_categories_cc_and_cs_for_every_code_point() -> None:
    """The push's text check (one character class) refuses exactly Unicode's control
    characters and lone surrogates, and nothing else, over every code point."""
    for code_point in range(sys.maxunicode + 1):
        character = chr(code_point)
        expected = unicodedata.category(character) in ("Cc", "Cs")
        assert has_control_characters(f"a{character}b") is expected, hex(code_point)
