"""Shared tickets (tables) as the server shows them to tills and the back office."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from autonom.domain.ticket import Booking, Ticket


class BookingPublic(BaseModel):
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
    void_reason: str | None = None

    @classmethod
    def of(cls, b: Booking) -> BookingPublic:
        return cls(
            booking_id=b.booking_id,
            plu=b.plu,
            name=b.name,
            quantity=b.quantity,
            unit_price=b.unit_price,
            tax_code=b.tax_code,
            tax_percent=b.tax_percent,
            operator_number=b.operator_number,
            till_number=b.till_number,
            booked_at=b.booked_at,
            offline=b.offline,
            void_reason=b.void_reason,
        )


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
