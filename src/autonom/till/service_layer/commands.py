"""What a cashier asks the till to do, in the imperative (STYLE: commands vs events)."""

from __future__ import annotations

from dataclasses import dataclass

from autonom.domain import Tender


@dataclass(frozen=True)
class LogIn:
    operator_number: int
    pin: str


@dataclass(frozen=True)
class OpenTicket:
    table: int | None
    operator_number: int


@dataclass(frozen=True)
class AddBooking:
    ticket_id: str
    plu: str
    quantity: int
    operator_number: int


@dataclass(frozen=True)
class VoidBooking:
    ticket_id: str
    booking_id: str
    reason: str
    operator_number: int


@dataclass(frozen=True)
class CloseTicket:
    ticket_id: str
    tenders: tuple[Tender, ...]
    operator_number: int
