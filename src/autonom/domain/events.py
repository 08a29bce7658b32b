"""What happened to a ticket or another document (a day close, …), in the past tense.
These are the operations a till logs, pushes to the server and replays; ``kind`` names
each one on the wire.

``check_event`` holds an event to the domain's limits (``autonom.domain.limits``): the
wire contracts refuse an event it finds fault with, so nothing a till would never record
reaches a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from autonom.domain import limits
from autonom.domain.card import CardPaymentState
from autonom.domain.money import TaxLine, TaxTotal
from autonom.domain.numbering import ReceiptRange
from autonom.domain.payment import Payment, PaymentTotal


@dataclass(frozen=True, kw_only=True)
class BookingFacts:
    """What was booked: the fields of a booking, spelled once. ``BookingAdded`` records
    them, ``Booking`` (on a ticket) and ``BookingPublic`` (on the wire) derive from them."""

    booking_id: str
    plu: str
    name: str
    quantity: int
    unit_price: Decimal
    tax_code: str
    tax_percent: Decimal
    operator_number: int
    till_number: int
    booked_at: datetime
    offline: bool
    # A voucher's or an admission's own number (``numbering.Form``), issued when booked.
    issued_number: str | None = None


def booking_facts(source: BookingFacts) -> dict[str, Any]:
    """The booking's fields of ``source`` by name, to build another shape of the booking."""
    return {f.name: getattr(source, f.name) for f in fields(BookingFacts)}


@dataclass(frozen=True)
class TicketOpened:
    ticket_id: str
    till_number: int
    table: int | None
    operator_number: int
    opened_at: datetime
    offline: bool
    kind: Literal["ticket_opened"] = "ticket_opened"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True, kw_only=True)
class BookingAdded(BookingFacts):
    ticket_id: str
    kind: Literal["booking_added"] = "booking_added"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True)
class BookingVoided:
    ticket_id: str
    booking_id: str
    reason: str
    operator_number: int
    till_number: int
    voided_at: datetime
    kind: Literal["booking_voided"] = "booking_voided"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True)
class TicketClosed:
    ticket_id: str
    receipt_number: str
    till_number: int
    operator_number: int
    closed_at: datetime
    total: Decimal
    taxes: tuple[TaxLine, ...]
    payments: tuple[Payment, ...]
    offline: bool
    kind: Literal["ticket_closed"] = "ticket_closed"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True)
class BookingsMovedOut:
    """Live bookings left this ticket for ``to_ticket_id`` (a table transfer or a bill
    split). The target records the same move as ``BookingsMovedIn``: two events, one per
    ticket, so each ticket's replay needs only its own events."""

    ticket_id: str
    to_ticket_id: str
    booking_ids: tuple[str, ...]
    operator_number: int
    till_number: int
    moved_at: datetime
    kind: Literal["bookings_moved_out"] = "bookings_moved_out"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True)
class BookingsMovedIn:
    """Bookings came to this ticket from ``from_ticket_id``, each with its facts as booked
    (its id, till, operator, time and ``OFF`` mark stay the original booking's)."""

    ticket_id: str
    from_ticket_id: str
    bookings: tuple[BookingFacts, ...]
    operator_number: int
    till_number: int
    moved_at: datetime
    kind: Literal["bookings_moved_in"] = "bookings_moved_in"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


@dataclass(frozen=True)
class OwnerChanged:
    """The ticket's owner became ``owner`` (R3.2): recorded when a till reintegrates and
    merges its offline ticket ``merged_from`` into the server's ticket of the same table,
    or adds its offline bookings to a ticket the server holds open: the operator who booked
    offline becomes its owner. An operation of the till's log like any other (exactly once)."""

    ticket_id: str
    owner: int
    merged_from: str | None
    till_number: int
    changed_at: datetime
    kind: Literal["owner_changed"] = "owner_changed"

    @property
    def document_id(self) -> str:
        """The document this operation belongs to: its ticket."""
        return self.ticket_id


TicketEvent = (
    TicketOpened
    | BookingAdded
    | BookingVoided
    | TicketClosed
    | BookingsMovedOut
    | BookingsMovedIn
    | OwnerChanged
)
TICKET_EVENTS = (
    TicketOpened,
    BookingAdded,
    BookingVoided,
    TicketClosed,
    BookingsMovedOut,
    BookingsMovedIn,
    OwnerChanged,
)


@dataclass(frozen=True, kw_only=True)
class DayClosed:
    """The day close with its Z report (R2.8): a document of its own, numbered per till
    (``z_number``, gapless from 1), with the figures of the receipts since the last one
    (``period_start``, none before the first) and the grand total of every day close so far.
    ``offline``: closed in emergency mode, queued with its date and time."""

    document_id: str
    till_number: int
    operator_number: int
    z_number: int
    closed_at: datetime
    period_start: datetime | None
    receipt_count: int
    sales_total: Decimal
    tax_totals: tuple[TaxTotal, ...]
    payment_totals: tuple[PaymentTotal, ...]
    void_count: int
    void_total: Decimal
    receipt_ranges: tuple[ReceiptRange, ...]
    grand_total: Decimal
    offline: bool
    kind: Literal["day_closed"] = "day_closed"


@dataclass(frozen=True)
class GateScanned:
    """An admission's number read at a gate of this till (R2.6), live or offline. The
    document is the scan itself: ``document_id`` is its nonce (a UUID made when it was
    read), so a scan sent twice is registered once."""

    document_id: str
    till_number: int
    gate: str
    admission_number: str
    scanned_at: datetime
    operator_number: int
    offline: bool
    kind: Literal["gate_scanned"] = "gate_scanned"


@dataclass(frozen=True)
class CardPaymentSettled:
    """The bank decided a card payment the device had stored offline (R2.5): approved, or
    declined — money the store did not get for receipt ``receipt_number``. The document is
    the card payment (``document_id`` is its ``payment_id``)."""

    document_id: str
    till_number: int
    receipt_number: str
    amount: Decimal
    state: CardPaymentState  # approved | declined: the bank's final word
    settled_at: datetime
    kind: Literal["card_payment_settled"] = "card_payment_settled"


# Every operation a till logs. A ticket's events share its ``ticket_id``; the other
# documents (a day close, a gate scan, …) each carry their own ``document_id``. Every event
# answers ``document_id``: the outbox and the server's operations are keyed by it.
Event = TicketEvent | DayClosed | GateScanned | CardPaymentSettled

# Each kind of operation in the cashier's words (the unsent list, R2.7).
KIND_TITLES: dict[str, str] = {
    "ticket_opened": "ticket opened",
    "booking_added": "booking",
    "booking_voided": "void",
    "ticket_closed": "receipt",
    "bookings_moved_out": "lines moved away",
    "bookings_moved_in": "lines moved here",
    "owner_changed": "ticket merged, owner changed",
    "day_closed": "day close (Z report)",
    "gate_scanned": "gate scan",
    "card_payment_settled": "card payment result",
}

# The limit of every field of every event, by the field's name (a unit test checks that no
# field is left out). Texts: the longest allowed; whole numbers and amounts: the range.
TEXT_LIMITS: dict[str, int] = {
    "ticket_id": limits.MAX_ID_LENGTH,
    "booking_id": limits.MAX_ID_LENGTH,
    "to_ticket_id": limits.MAX_ID_LENGTH,
    "from_ticket_id": limits.MAX_ID_LENGTH,
    "merged_from": limits.MAX_ID_LENGTH,
    "booking_ids": limits.MAX_ID_LENGTH,  # each of them
    "plu": limits.MAX_PLU_LENGTH,
    "name": limits.MAX_NAME_LENGTH,
    "tax_code": limits.MAX_TAX_CODE_LENGTH,
    "code": limits.MAX_TAX_CODE_LENGTH,
    "reason": limits.MAX_REASON_LENGTH,
    "receipt_number": limits.MAX_RECEIPT_NUMBER_LENGTH,
    "issued_number": limits.MAX_RECEIPT_NUMBER_LENGTH,
    "document_id": limits.MAX_ID_LENGTH,
    "first_receipt": limits.MAX_RECEIPT_NUMBER_LENGTH,
    "last_receipt": limits.MAX_RECEIPT_NUMBER_LENGTH,
    "gate": limits.MAX_GATE_LENGTH,
    "admission_number": limits.MAX_RECEIPT_NUMBER_LENGTH,
    "reference": limits.MAX_REFERENCE_LENGTH,
    "payment_id": limits.MAX_ID_LENGTH,
    "masked_pan": limits.MAX_PAN_LENGTH,
    "approval_code": limits.MAX_APPROVAL_CODE_LENGTH,
}
WHOLE_LIMITS: dict[str, tuple[int, int]] = {
    "quantity": (1, limits.MAX_QUANTITY),
    "till_number": (1, limits.MAX_TILL),
    "operator_number": (1, limits.MAX_OPERATOR),
    "owner": (1, limits.MAX_OPERATOR),
    "table": (1, limits.MAX_TABLE),
    "z_number": (1, limits.MAX_Z_NUMBER),
    "receipt_count": (0, limits.MAX_COUNT),
    "void_count": (0, limits.MAX_COUNT),
    "count": (0, limits.MAX_COUNT),
    "form": (1, limits.MAX_FORM),
}
AMOUNT_LIMITS: dict[str, tuple[Decimal, Decimal]] = {
    "unit_price": (Decimal(0), limits.MAX_AMOUNT),
    "total": (Decimal(0), limits.MAX_AMOUNT),
    "gross": (Decimal(0), limits.MAX_AMOUNT),
    "tax": (Decimal(0), limits.MAX_AMOUNT),
    "amount": (Decimal(0), limits.MAX_AMOUNT),
    "tendered": (Decimal(0), limits.MAX_TENDERED),
    "tax_percent": (Decimal(0), limits.MAX_PERCENT),
    "percent": (Decimal(0), limits.MAX_PERCENT),
    "sales_total": (Decimal(0), limits.MAX_PERIOD_AMOUNT),
    "void_total": (Decimal(0), limits.MAX_PERIOD_AMOUNT),
    "gross_total": (Decimal(0), limits.MAX_PERIOD_AMOUNT),
    "tax_total": (Decimal(0), limits.MAX_PERIOD_AMOUNT),
    "amount_total": (Decimal(0), limits.MAX_PERIOD_AMOUNT),
    "grand_total": (Decimal(0), limits.MAX_GRAND_TOTAL),
}
COUNT_LIMITS: dict[str, int] = {
    "taxes": limits.MAX_TAX_LINES,
    "payments": limits.MAX_TENDERS,
    "booking_ids": limits.MAX_MOVED_LINES,
    "bookings": limits.MAX_MOVED_LINES,
    "tax_totals": limits.MAX_REPORT_LINES,
    "payment_totals": limits.MAX_REPORT_LINES,
    "receipt_ranges": limits.MAX_REPORT_LINES,
}
# The fields that may be None: a counter sale's table, a booking of goods' issued number,
# the first day close's period start, a cash or card payment's reference, a payment's card
# slip (none but a card's), a stored card payment's approval code, the ticket an owner
# change merged (none when the offline bookings were on the server's ticket already).
OPTIONAL = frozenset(
    {"table", "issued_number", "period_start", "reference", "card", "approval_code", "merged_from"}
)


def check_event(event: Event) -> list[str]:
    """What is outside the domain's limits in ``event``, one line per problem (none: fine)."""
    return _check_fields(event, "")


def _check_fields(record: Any, where: str) -> list[str]:
    problems: list[str] = []
    for f in fields(record):
        if f.name == "kind":
            continue
        problems += _check_value(f.name, getattr(record, f.name), f"{where}{f.name}")
    return problems


def _check_value(name: str, value: Any, where: str) -> list[str]:
    if value is None:
        return [] if name in OPTIONAL else [f"{where} is missing"]
    if isinstance(value, bool):
        return [] if name not in WHOLE_LIMITS else [f"{where} must be a whole number"]
    if isinstance(value, Enum):
        return []
    if isinstance(value, str):
        return text_problems(value, TEXT_LIMITS.get(name, 0), where)
    if isinstance(value, int):
        low, high = WHOLE_LIMITS.get(name, (1, 0))
        return [] if low <= value <= high else [f"{where} must be from {low} to {high}"]
    if isinstance(value, Decimal):
        low_amount, high_amount = AMOUNT_LIMITS.get(name, (Decimal(1), Decimal(0)))
        return amount_problems(value, low_amount, high_amount, where)
    if isinstance(value, datetime):
        return moment_problems(value, where)
    if isinstance(value, tuple):
        if len(value) > COUNT_LIMITS.get(name, 0):
            return [f"{where} may have at most {COUNT_LIMITS.get(name, 0)} entries"]
        return [p for i, item in enumerate(value) for p in _check_item(name, item, f"{where}.{i}")]
    if is_dataclass(value):  # a record inside a record: a payment's card slip
        return _check_fields(value, f"{where}.")
    return [f"{where} is not a known kind of value"]


def _check_item(name: str, item: Any, where: str) -> list[str]:
    """One entry of a tuple: a record (a tax line, a payment, a booking's facts) field by
    field, or a text (a booking id) held to the tuple's own text limit."""
    if is_dataclass(item):
        return _check_fields(item, f"{where}.")
    if isinstance(item, str) and name in TEXT_LIMITS:
        return text_problems(item, TEXT_LIMITS[name], where)
    return [f"{where} is not a known kind of value"]


def text_problems(text: str, longest: int, where: str, *, shortest: int = 1) -> list[str]:
    """A text is ``shortest`` to ``longest`` characters, none of them a control character
    (NUL, a line break) or half of a surrogate pair, which no database keeps faithfully."""
    if not shortest <= len(text) <= longest:
        return [f"{where} must be {shortest} to {longest} characters"]
    if has_control_characters(text):
        return [f"{where} must not contain control characters"]
    return []


# Unicode's control characters (category Cc) and surrogates (Cs), as one character class.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    """True for a NUL, a line break or any other control character, or a lone surrogate."""
    return _CONTROL_OR_SURROGATE.search(text) is not None


def moment_problems(moment: datetime, where: str) -> list[str]:
    """A moment carries its time zone and lies between ``EARLIEST_MOMENT`` and
    ``LATEST_MOMENT``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return [f"{where} must carry its time zone"]
    if not limits.EARLIEST_MOMENT <= moment <= limits.LATEST_MOMENT:
        return [
            f"{where} must lie between {limits.EARLIEST_MOMENT:%Y} and {limits.LATEST_MOMENT:%Y}"
        ]
    return []


def amount_problems(value: Decimal, low: Decimal, high: Decimal, where: str) -> list[str]:
    """An amount is a finite decimal from ``low`` to ``high`` with at most two places,
    written plainly (``1000.00``, never ``1e3``)."""
    if not value.is_finite():
        return [f"{where} must be a number"]
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if exponent > 0:
        return [f"{where} must be written plainly, like 1000.00, not with an exponent"]
    if exponent < -limits.AMOUNT_PLACES:
        return [f"{where} may have at most {limits.AMOUNT_PLACES} decimal places"]
    if not low <= value <= high:
        return [f"{where} must be from {low} to {high}"]
    return []
