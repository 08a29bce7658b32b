"""Shared tickets (tables) as the server shows them to tills and the back office."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel


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
