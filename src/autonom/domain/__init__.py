"""The shared domain: no I/O, no clock, no database; used by server and till alike."""

from autonom.domain.catalog import Item, ItemKind, Operator, Role, TaxRate, hash_pin
from autonom.domain.errors import Refusal
from autonom.domain.events import (
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    CardPaymentSettled,
    DayClosed,
    Event,
    GateScanned,
    OwnerChanged,
    TicketClosed,
    TicketOpened,
)
from autonom.domain.journal import JournalEntry
from autonom.domain.money import TaxLine, TaxTotal
from autonom.domain.numbering import Form, NumberRange, ReceiptNumber, ReceiptRange
from autonom.domain.payment import CardSlip, Payment, PaymentMethod, PaymentTotal, Tender
from autonom.domain.ticket import Booking, Receipt, Ticket, TicketStatus

__all__ = [
    "Booking",
    "BookingAdded",
    "BookingVoided",
    "BookingsMovedIn",
    "BookingsMovedOut",
    "CardPaymentSettled",
    "CardSlip",
    "DayClosed",
    "Event",
    "Form",
    "GateScanned",
    "Item",
    "ItemKind",
    "JournalEntry",
    "NumberRange",
    "Operator",
    "OwnerChanged",
    "Payment",
    "PaymentMethod",
    "PaymentTotal",
    "Receipt",
    "ReceiptNumber",
    "ReceiptRange",
    "Refusal",
    "Role",
    "TaxLine",
    "TaxRate",
    "TaxTotal",
    "Tender",
    "Ticket",
    "TicketClosed",
    "TicketOpened",
    "TicketStatus",
    "hash_pin",
]
