"""What a cashier asks the till to do, in the imperative (STYLE: commands vs events)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from autonom.domain import CardSlip, PaymentMethod


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
    # The booking's id when it was chosen before (the server holds an event's seats for it).
    booking_id: str | None = None


@dataclass(frozen=True)
class VoidBooking:
    ticket_id: str
    booking_id: str
    reason: str
    operator_number: int


@dataclass(frozen=True)
class Tendered:
    """A tender as the cashier typed it: ``amount`` as written (checked when the ticket is
    closed), or None for the amount due (an empty cash field, a card payment); a voucher's
    or an account's ``reference`` (its number)."""

    method: PaymentMethod
    amount: str | int | Decimal | None = None
    reference: str | None = None


@dataclass(frozen=True)
class PresentedCard:
    """The card the customer presents, as typed: a real terminal reads its type and number
    from the card; the emulator is told them (checked by ``check_card``)."""

    card_type: str
    card_number: str


@dataclass(frozen=True)
class CloseTicket:
    ticket_id: str
    tenders: tuple[Tendered, ...]
    operator_number: int
    card: CardSlip | None = None  # the card device's answer for the card tender (R2.5)


@dataclass(frozen=True)
class CloseDay:
    """Close the day with a Z report (R2.8)."""

    operator_number: int
