"""Tickets (open orders; a table is a ticket with a table number), bookings, voids,
payments, and closing a ticket into a receipt.

The aggregate is event-sourced in the small: every command validates, records a
past-tense event in ``self.events`` and applies it. ``Ticket.replay`` rebuilds a ticket
from its events, which is how the server merges what several tills did (DESIGN: merge by
replaying operations, not by copying rows).

Lines move between tickets (a table transfer, a bill split: ``Ticket.move_to``) as two
events, ``BookingsMovedOut`` on the source and ``BookingsMovedIn`` on the target, so each
ticket's replay stays its own. A ticket whose last live line moved away ends as ``MOVED``:
never an open table again, never a receipt (docs/restaurant.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from autonom.domain import errors
from autonom.domain.catalog import Item, ItemKind, TaxRate
from autonom.domain.errors import Refusal
from autonom.domain.events import (
    BookingAdded,
    BookingFacts,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    Event,
    OwnerChanged,
    TicketClosed,
    TicketOpened,
    booking_facts,
)
from autonom.domain.limits import MAX_AMOUNT, MAX_MOVED_LINES
from autonom.domain.limits import MAX_QUANTITY as MAX_QUANTITY
from autonom.domain.limits import MAX_TABLE as MAX_TABLE
from autonom.domain.money import ZERO, TaxLine, tax_included
from autonom.domain.numbering import Form, ReceiptNumber
from autonom.domain.payment import CardSlip, Payment, Tender, settle

# The kinds of item whose every booking gets a number of its own, and the form it is from.
ISSUED_FORMS: dict[ItemKind, Form] = {
    ItemKind.VOUCHER: Form.VOUCHER,
    ItemKind.ADMISSION: Form.ADMISSION,
}
_TYPED_DIGITS = 20  # more digits than this is out of range anyway; int() is spared them
OFFLINE_VOID_REASON = (
    "void due to emergency mode"  # R3.2: offered when re-booked duplicates are voided
)


@dataclass(frozen=True, kw_only=True)
class Booking(BookingFacts):
    """A line on a ticket: what was booked (``BookingFacts``) and, once voided, why, by
    whom and when."""

    void_reason: str | None = None
    voided_by: int | None = None
    voided_at: datetime | None = None

    @classmethod
    def of(cls, added: BookingAdded) -> Booking:
        """The line a ``BookingAdded`` puts on its ticket."""
        return cls(**booking_facts(added))

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def voided(self) -> bool:
        return self.void_reason is not None


class TicketStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    MOVED = "moved"  # its last live line moved to another ticket: no table, no receipt


@dataclass(frozen=True)
class Receipt:
    """A closed ticket as printed: only live lines, with taxes, payments and change."""

    number: str
    ticket_id: str
    till_number: int
    table: int | None
    operator_number: int
    closed_at: datetime
    lines: tuple[Booking, ...]
    voided_lines: tuple[Booking, ...]
    total: Decimal
    taxes: tuple[TaxLine, ...]
    payments: tuple[Payment, ...]
    offline: bool

    @property
    def change(self) -> Decimal:
        return sum((p.change for p in self.payments), ZERO)


def check_quantity(quantity: int) -> int:
    """A quantity is a whole number from 1 to 999; anything else is a typo."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise Refusal(errors.BAD_QUANTITY, f"Quantity must be a whole number, not {quantity!r}.")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise Refusal(errors.BAD_QUANTITY, f"Quantity must be from 1 to {MAX_QUANTITY}.")
    return quantity


def parse_quantity(text: str) -> int:
    """A quantity as a cashier types it (empty is 1): plain digits only, never ``²`` or
    ``1e3``, from 1 to 999 (BAD_QUANTITY)."""
    text = text.strip() or "1"
    if not (text.isascii() and text.isdigit()):
        raise Refusal(errors.BAD_QUANTITY, f"'{text[:20]}' is not a quantity; type a whole number.")
    return check_quantity(int(text) if len(text) <= _TYPED_DIGITS else -1)


def parse_table(text: str) -> int | None:
    """A table number as a cashier types it (empty is none: a counter sale): plain digits
    only, from 1 to 9999 (BAD_TABLE)."""
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise Refusal(errors.BAD_TABLE, f"'{text[:20]}' is not a table number; type digits only.")
    return check_table(int(text) if len(text) <= _TYPED_DIGITS else -1)


def check_table(table: int | None) -> int | None:
    if table is None:
        return None
    if isinstance(table, bool) or not isinstance(table, int) or not 1 <= table <= MAX_TABLE:
        raise Refusal(errors.BAD_TABLE, f"A table number is 1 to {MAX_TABLE}.")
    return table


@dataclass
class Ticket:
    ticket_id: str
    till_number: int
    owner: int
    opened_at: datetime
    table: int | None = None
    offline: bool = False
    bookings: list[Booking] = field(default_factory=list)
    status: TicketStatus = TicketStatus.OPEN
    receipt: Receipt | None = None
    events: list[Event] = field(default_factory=list)

    # -- commands -----------------------------------------------------------------
    @classmethod
    def open(
        cls,
        *,
        ticket_id: str,
        table: int | None,
        till_number: int,
        operator_number: int,
        at: datetime,
        offline: bool = False,
    ) -> Ticket:
        event = TicketOpened(
            ticket_id=ticket_id,
            till_number=till_number,
            table=check_table(table),
            operator_number=operator_number,
            opened_at=at,
            offline=offline,
        )
        ticket = cls._from_opened(event)
        ticket.events.append(event)
        return ticket

    def book(
        self,
        item: Item,
        tax_rate: TaxRate,
        quantity: int,
        *,
        booking_id: str,
        operator_number: int,
        till_number: int,
        at: datetime,
        offline: bool = False,
        issued_number: ReceiptNumber | None = None,
    ) -> Booking:
        """Book ``quantity`` of ``item``. A voucher or an admission is booked one at a time
        with the number issued to it from its form's range (``ISSUED_FORMS``)."""
        self._check_open()
        check_quantity(quantity)
        form = ISSUED_FORMS.get(item.kind)
        if (form is None) != (issued_number is None) or (
            issued_number is not None and (issued_number.form != form or quantity != 1)
        ):
            raise ValueError(f"{item.kind} {item.plu} booked with issued number {issued_number}")
        if not item.active:
            raise Refusal(errors.UNKNOWN_ITEM, f"{item.name} is no longer sold.")
        if item.tax_code != tax_rate.code:
            raise Refusal(errors.UNKNOWN_TAX_RATE, f"{item.name} has no tax rate {tax_rate.code}.")
        if item.price * quantity + self.total > MAX_AMOUNT:
            raise Refusal(errors.BAD_QUANTITY, f"The ticket would exceed {MAX_AMOUNT}.")
        self._record(
            BookingAdded(
                ticket_id=self.ticket_id,
                booking_id=booking_id,
                plu=item.plu,
                name=item.name,
                quantity=quantity,
                unit_price=item.price,
                tax_code=tax_rate.code,
                tax_percent=tax_rate.percent,
                operator_number=operator_number,
                till_number=till_number,
                booked_at=at,
                offline=offline,
                issued_number=None if issued_number is None else str(issued_number),
            )
        )
        return self.bookings[-1]

    def void(
        self,
        booking_id: str,
        reason: str,
        *,
        operator_number: int,
        till_number: int,
        at: datetime,
    ) -> Booking:
        self._check_open()
        reason = reason.strip()
        if not reason:
            raise Refusal(errors.VOID_REASON_MISSING, "Say why the line is voided.")
        booking = self.booking(booking_id)
        if booking.voided:
            raise Refusal(errors.ALREADY_VOIDED, f"{booking.name} is already voided.", status=409)
        self._record(
            BookingVoided(
                ticket_id=self.ticket_id,
                booking_id=booking_id,
                reason=reason[:200],
                operator_number=operator_number,
                till_number=till_number,
                voided_at=at,
            )
        )
        return booking

    def close(
        self,
        tenders: Sequence[Tender],
        number: ReceiptNumber,
        *,
        operator_number: int,
        till_number: int,
        at: datetime,
        offline: bool = False,
        card: CardSlip | None = None,
    ) -> Receipt:
        """Settle the ticket with the tenders and turn it into a receipt numbered ``number``;
        ``card`` is the card device's slip of the card tender."""
        payments = self.settlement(tenders, card)
        self._record(
            TicketClosed(
                ticket_id=self.ticket_id,
                receipt_number=str(number),
                till_number=till_number,
                operator_number=operator_number,
                closed_at=at,
                total=self.total,
                taxes=tuple(self.taxes()),
                payments=payments,
                offline=offline,
            )
        )
        assert self.receipt is not None
        return self.receipt

    def move_to(
        self,
        target: Ticket,
        booking_ids: Iterable[str] | None,
        *,
        operator_number: int,
        till_number: int,
        at: datetime,
    ) -> tuple[Booking, ...]:
        """Move live lines of this ticket to ``target``: the chosen ``booking_ids``, or
        every live line (None: the whole table moves). Records ``BookingsMovedOut`` here and
        ``BookingsMovedIn`` on ``target`` (in parts of ``MAX_MOVED_LINES``); returns the
        lines moved. A ticket left with no live line ends as ``MOVED``."""
        self._check_open()
        target._check_open()
        if target.ticket_id == self.ticket_id:
            raise Refusal(
                errors.SAME_TABLE, "These lines are on that ticket already; choose another table."
            )
        moving = self._chosen(booking_ids)
        if target.total + sum((b.amount for b in moving), ZERO) > MAX_AMOUNT:
            raise Refusal(errors.BAD_AMOUNT, f"The ticket would exceed {MAX_AMOUNT}.")
        for start in range(0, len(moving), MAX_MOVED_LINES):
            part = moving[start : start + MAX_MOVED_LINES]
            self._record(
                BookingsMovedOut(
                    ticket_id=self.ticket_id,
                    to_ticket_id=target.ticket_id,
                    booking_ids=tuple(b.booking_id for b in part),
                    operator_number=operator_number,
                    till_number=till_number,
                    moved_at=at,
                )
            )
            target._record(
                BookingsMovedIn(
                    ticket_id=target.ticket_id,
                    from_ticket_id=self.ticket_id,
                    bookings=tuple(BookingFacts(**booking_facts(b)) for b in part),
                    operator_number=operator_number,
                    till_number=till_number,
                    moved_at=at,
                )
            )
        return tuple(moving)

    def merge_into(self, target: Ticket, *, till_number: int, at: datetime) -> tuple[Booking, ...]:
        """Merge this ticket into ``target``, the server's ticket of the same table (R3.2):
        every live line moves there with its ``OFF`` mark (``move_to``) and the operator
        who booked offline here becomes the target's owner (``OwnerChanged``). A ticket
        without a live line only hands over its owner. Returns the lines moved."""
        owner = self.offline_owner or self.owner
        moved: tuple[Booking, ...] = ()
        if self.live_bookings:
            moved = self.move_to(
                target, None, operator_number=owner, till_number=till_number, at=at
            )
        target.change_owner(owner, merged_from=self.ticket_id, till_number=till_number, at=at)
        return moved

    def change_owner(
        self, owner: int, *, merged_from: str | None, till_number: int, at: datetime
    ) -> None:
        """Make ``owner`` the ticket's owner (R3.2: the operator who booked offline)."""
        self._check_open()
        self._record(
            OwnerChanged(
                ticket_id=self.ticket_id,
                owner=owner,
                merged_from=merged_from,
                till_number=till_number,
                changed_at=at,
            )
        )

    def _chosen(self, booking_ids: Iterable[str] | None) -> list[Booking]:
        """The live lines to move, in the ticket's order: every one (None), or those chosen
        (BOOKING_NOT_FOUND for a line not here, ALREADY_VOIDED for a voided one)."""
        if booking_ids is None:
            if not self.live_bookings:
                raise Refusal(errors.TICKET_EMPTY, "There is nothing on this ticket to move.")
            return self.live_bookings
        wanted = list(dict.fromkeys(booking_ids))
        if not wanted:
            raise Refusal(errors.NOTHING_CHOSEN, "Choose at least one line first.")
        for booking_id in wanted:
            booking = self.booking(booking_id)
            if booking.voided:
                raise Refusal(
                    errors.ALREADY_VOIDED,
                    f"{booking.name} is voided; only lines still to be paid can be moved.",
                    status=409,
                )
        chosen = set(wanted)
        return [b for b in self.bookings if b.booking_id in chosen]

    # -- queries ------------------------------------------------------------------
    def settlement(
        self, tenders: Sequence[Tender], card: CardSlip | None = None
    ) -> tuple[Payment, ...]:
        """The payments ``tenders`` make on this ticket, or the refusal a close would raise
        (records nothing: a card is charged only for a ticket that can be closed)."""
        self._check_open()
        if not self.bookings:
            raise Refusal(errors.TICKET_EMPTY, "Book at least one item before paying.")
        return settle(self.total, tenders, card)

    def booking(self, booking_id: str) -> Booking:
        for booking in self.bookings:
            if booking.booking_id == booking_id:
                return booking
        raise Refusal(errors.BOOKING_NOT_FOUND, "That line is not on this ticket.", status=404)

    @property
    def offline_lines(self) -> list[Booking]:
        """The live lines booked in emergency mode (marked ``OFF``, R3.2)."""
        return [b for b in self.live_bookings if b.offline]

    @property
    def offline_owner(self) -> int | None:
        """Who becomes the owner when this ticket is merged (R3.2): its owner when it was
        opened in emergency mode, else the operator of its first ``OFF`` line; None when
        nothing on it was done offline."""
        if self.offline:
            return self.owner
        lines = self.offline_lines
        return lines[0].operator_number if lines else None

    @property
    def live_bookings(self) -> list[Booking]:
        return [b for b in self.bookings if not b.voided]

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.live_bookings), ZERO)

    def taxes(self) -> list[TaxLine]:
        """One line per tax rate used, the tax taken from the rate's gross sum (see money)."""
        gross: dict[tuple[str, Decimal], Decimal] = {}
        for b in self.live_bookings:
            key = (b.tax_code, b.tax_percent)
            gross[key] = gross.get(key, ZERO) + b.amount
        return [
            TaxLine(code=code, percent=percent, gross=amount, tax=tax_included(amount, percent))
            for (code, percent), amount in sorted(gross.items())
        ]

    # -- event application ----------------------------------------------------------
    @classmethod
    def replay(cls, events: Iterable[Event]) -> Ticket:
        """Rebuild a ticket from its events without re-checking rules (they held on the till)."""
        iterator = iter(events)
        first = next(iterator)
        if not isinstance(first, TicketOpened):
            raise ValueError("a ticket's history starts with TicketOpened")
        ticket = cls._from_opened(first)
        for event in iterator:
            ticket.apply(event)
        return ticket

    @classmethod
    def _from_opened(cls, event: TicketOpened) -> Ticket:
        return cls(
            ticket_id=event.ticket_id,
            till_number=event.till_number,
            owner=event.operator_number,
            opened_at=event.opened_at,
            table=event.table,
            offline=event.offline,
        )

    def apply(self, event: Event) -> None:
        """Apply an event that already happened (here or on another till)."""
        if isinstance(event, BookingAdded):
            if any(b.booking_id == event.booking_id for b in self.bookings):
                return  # the same booking twice is the same booking (exactly once)
            self.bookings.append(Booking.of(event))
            self._reopen_if_moved()
        elif isinstance(event, BookingVoided):
            for i, b in enumerate(self.bookings):
                if b.booking_id == event.booking_id and not b.voided:
                    self.bookings[i] = replace(
                        b,
                        void_reason=event.reason,
                        voided_by=event.operator_number,
                        voided_at=event.voided_at,
                    )
        elif isinstance(event, TicketClosed):
            self.status = TicketStatus.CLOSED
            self.receipt = Receipt(
                number=event.receipt_number,
                ticket_id=self.ticket_id,
                till_number=event.till_number,
                table=self.table,
                operator_number=event.operator_number,
                closed_at=event.closed_at,
                lines=tuple(self.live_bookings),
                voided_lines=tuple(b for b in self.bookings if b.voided),
                total=event.total,
                taxes=tuple(event.taxes),
                payments=tuple(event.payments),
                offline=event.offline,
            )
        elif isinstance(event, BookingsMovedOut):
            gone = set(event.booking_ids)
            kept = [b for b in self.bookings if b.booking_id not in gone]
            if len(kept) < len(self.bookings):  # moving out twice moves nothing more
                self.bookings = kept
                if self.status is TicketStatus.OPEN and not self.live_bookings:
                    self.status = TicketStatus.MOVED
        elif isinstance(event, BookingsMovedIn):
            known = {b.booking_id for b in self.bookings}
            for facts in event.bookings:
                if facts.booking_id not in known:  # a line moved in twice is one line
                    known.add(facts.booking_id)
                    self.bookings.append(Booking(**booking_facts(facts)))
            self._reopen_if_moved()
        elif isinstance(event, OwnerChanged):
            self.owner = event.owner
        elif isinstance(event, TicketOpened):
            pass  # opening twice (two tills opened the same table) changes nothing
        else:  # pragma: no cover - exhaustive over Event
            raise TypeError(f"unknown event {event!r}")

    def _record(self, event: Event) -> None:
        self.apply(event)
        self.events.append(event)

    def _reopen_if_moved(self) -> None:
        """A line reaching a moved ticket (another till booked on the table meanwhile, seen
        by the server's merge) opens it again, so the line is never lost from view."""
        if self.status is TicketStatus.MOVED and self.live_bookings:
            self.status = TicketStatus.OPEN

    def _check_open(self) -> None:
        if self.status is TicketStatus.MOVED:
            raise Refusal(
                errors.TICKET_MOVED,
                "The lines of this ticket were moved to another table; open that one.",
                status=409,
            )
        if self.status is not TicketStatus.OPEN:
            raise Refusal(errors.TICKET_CLOSED, "This ticket is already paid.", status=409)
