"""The functions that need the server (R2.4) on the wire: redeeming a voucher, looking up
and charging a customer account, the seats of an event, the operator settlement, and the
backends behind the server (docs/server-functions.md). A till calls them live, with a
short timeout; none of them is ever queued for later."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound, PlainAmount, TicketId
from autonom.contracts.master_data import Name
from autonom.domain import PaymentMethod, limits

ServerBackend = Literal["payment_provider", "webshop", "ticketing"]
"""The backends behind the server that the back office can mark down (the till's
``capabilities.Backend`` values the server answers for; the card device reports its own)."""

Amount = Annotated[PlainAmount, Field(gt=0, le=limits.MAX_AMOUNT, decimal_places=2)]
"""Money a function moves: more than zero, at most two places, as text (``"12.50"``)."""

RequestId = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_ID_LENGTH), NO_CONTROL_CHARACTERS
]
"""An id the till chooses so that asking twice does the thing once (idempotency key)."""

VoucherNumberText = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_RECEIPT_NUMBER_LENGTH), NO_CONTROL_CHARACTERS
]
CustomerNumber = Annotated[int, Field(ge=1, le=limits.MAX_CUSTOMER)]


# -- vouchers ------------------------------------------------------------------------------


class RedemptionIn(Inbound):
    """Take ``amount`` off a voucher to pay ticket ``ticket_id``. The same
    ``redemption_id`` asked again answers the same redemption."""

    amount: Amount
    ticket_id: TicketId
    redemption_id: RequestId


class RedemptionPublic(BaseModel):
    """A redemption held for the ticket until its receipt arrives (then used or released)."""

    redemption_id: str
    voucher_number: str
    ticket_id: str
    amount: Decimal
    remaining: Decimal = Field(description="what the voucher holds after this redemption")
    state: Literal["held", "used", "released"]


class VoucherPublic(BaseModel):
    number: str
    value: Decimal
    remaining: Decimal
    till_number: int = Field(description="the till that sold it")
    receipt_number: str
    sold_at: datetime


# -- customer accounts --------------------------------------------------------------------


class CustomerIn(Inbound):
    """A customer account as the back office keeps it; a new account starts at balance 0."""

    name: Name
    credit_limit: Annotated[PlainAmount, Field(ge=0, le=limits.MAX_AMOUNT, decimal_places=2)]


class CustomerPublic(BaseModel):
    number: int
    name: str
    credit_limit: Decimal
    balance: Decimal = Field(description="what the receipts put on the account so far")
    available: Decimal = Field(description="what may still go on it (never below zero)")


class AccountChargeIn(Inbound):
    """Ask whether ``amount`` of ticket ``ticket_id`` may go on the account now; the
    account is charged when the receipt arrives by push."""

    amount: Amount
    ticket_id: TicketId


class AccountChargeAuthorised(BaseModel):
    customer: CustomerPublic
    amount: Decimal


CustomerQuery = Annotated[
    str, Field(max_length=limits.MAX_CUSTOMER_QUERY_LENGTH), NO_CONTROL_CHARACTERS
]


# -- event seats --------------------------------------------------------------------------


class EventIn(Inbound):
    capacity: StrictInt = Field(ge=0, le=limits.MAX_CAPACITY)


class EventPublic(BaseModel):
    plu: str
    capacity: int
    sold: int = Field(description="seats held for open tickets and sold")
    left: int


class SeatsIn(Inbound):
    """Hold ``seats`` of the event for booking ``booking_id`` of ticket ``ticket_id``,
    before the till writes that booking; asked again, the same hold."""

    booking_id: RequestId
    ticket_id: TicketId
    seats: StrictInt = Field(default=1, ge=1, le=limits.MAX_QUANTITY)


class SeatsHeld(BaseModel):
    booking_id: str
    plu: str
    seats: int
    left: int = Field(description="seats of the event still free after this hold")


# -- the operator settlement ------------------------------------------------------------------


class SettlementReceiptPublic(BaseModel):
    number: str
    till_number: int
    closed_at: datetime
    total: Decimal


class PaymentTotal(BaseModel):
    method: PaymentMethod
    amount: Decimal


class OperatorSettlementPublic(BaseModel):
    """An operator's receipts of one day (UTC) on every till that has sent them."""

    operator_number: int
    day: date
    receipt_count: int
    total: Decimal
    payments: list[PaymentTotal]
    tills: list[int]
    receipts: list[SettlementReceiptPublic]


# -- backends ------------------------------------------------------------------------------


class BackendStatusIn(Inbound):
    up: StrictBool
    reason: Annotated[str, Field(max_length=200), NO_CONTROL_CHARACTERS] = ""


class BackendStatusPublic(BaseModel):
    name: ServerBackend
    up: bool
    reason: str
    changed_at: datetime | None = Field(description="when it was last marked; none: never")
