"""The shared domain: no I/O, no clock, no database; used by server and till alike."""

from autonom.domain.catalog import Item, ItemKind, Operator, Role, TaxRate, hash_pin
from autonom.domain.errors import Refusal
from autonom.domain.events import (
    BookingAdded,
    BookingVoided,
    CardPaymentSettled,
    Event,
    TicketClosed,
    TicketOpened,
)
from autonom.domain.journal import JournalEntry
from autonom.domain.money import TaxLine
from autonom.domain.numbering import Form, NumberRange, ReceiptNumber
from autonom.domain.payment import CardSlip, Payment, PaymentMethod, Tender
from autonom.domain.ticket import Booking, Receipt, Ticket, TicketStatus

__all__ = [
    "Booking",
    "BookingAdded",
    "BookingVoided",
    "CardPaymentSettled",
    "CardSlip",
    "Event",
    "Form",
    "Item",
    "ItemKind",
    "JournalEntry",
    "NumberRange",
    "Operator",
    "Payment",
    "PaymentMethod",
    "Receipt",
    "ReceiptNumber",
    "Refusal",
    "Role",
    "TaxLine",
    "TaxRate",
    "Tender",
    "Ticket",
    "TicketClosed",
    "TicketOpened",
    "TicketStatus",
    "hash_pin",
]
