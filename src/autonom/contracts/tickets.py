"""Shared tickets (tables) as the server shows them to tills and the back office.

A booking on the wire is derived from the domain's ``BookingFacts`` (its fields are spelled
once, in ``autonom.domain.events``) plus why it was voided; the JSON shape is the one
deployed tills read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, TypeAdapter
from pydantic.dataclasses import dataclass

from autonom.domain.events import BookingAdded, BookingFacts, booking_facts
from autonom.domain.ticket import Booking, Ticket


@dataclass(frozen=True, kw_only=True)
class BookingPublic(BookingFacts):
    void_reason: str | None = None

    @classmethod
    def of(cls, booking: Booking) -> BookingPublic:
        return cls(**booking_facts(booking), void_reason=booking.void_reason)

    def added_to(self, ticket_id: str) -> BookingAdded:
        """The event that booked this line on ``ticket_id`` (a till copying in a line
        another till booked)."""
        return BookingAdded(ticket_id=ticket_id, **booking_facts(self))


BOOKINGS: TypeAdapter[list[BookingPublic]] = TypeAdapter(list[BookingPublic])


class TicketPublic(BaseModel):
    ticket_id: str
    table: int | None
    till_number: int
    owner: int
    opened_at: datetime
    status: str
    total: Decimal
    receipt_number: str | None = None
    bookings: list[BookingPublic]
    # A follow-up ticket (R3.2: lines no close covered) names the ticket it follows;
    # contract 3, absent (None) from older servers.
    follows: str | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> TicketPublic:
        return cls(
            ticket_id=ticket.ticket_id,
            table=ticket.table,
            till_number=ticket.till_number,
            owner=ticket.owner,
            opened_at=ticket.opened_at,
            status=ticket.status.value,
            total=ticket.total,
            receipt_number=ticket.receipt.number if ticket.receipt else None,
            bookings=[BookingPublic.of(b) for b in ticket.bookings],
        )
