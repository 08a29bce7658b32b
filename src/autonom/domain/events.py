"""What happened to a ticket, in the past tense. These are the operations a till logs,
pushes to the server and replays; ``kind`` names each one on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from autonom.domain.money import TaxLine
from autonom.domain.payment import Payment


@dataclass(frozen=True)
class TicketOpened:
    ticket_id: str
    till_number: int
    table: int | None
    operator_number: int
    opened_at: datetime
    offline: bool
    kind: Literal["ticket_opened"] = "ticket_opened"


@dataclass(frozen=True)
class BookingAdded:
    ticket_id: str
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
    kind: Literal["booking_added"] = "booking_added"


@dataclass(frozen=True)
class BookingVoided:
    ticket_id: str
    booking_id: str
    reason: str
    operator_number: int
    till_number: int
    voided_at: datetime
    kind: Literal["booking_voided"] = "booking_voided"


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


Event = TicketOpened | BookingAdded | BookingVoided | TicketClosed
