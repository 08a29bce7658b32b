"""The card-payment device's protocol (docs/card-device.md): what a till sends to the
device and what it answers. The emulator (``autonom card-device``) and the till's adapter
(``autonom.devices.card_device``) both speak it through these models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field, Strict

from autonom.contracts.fields import Inbound, PlainAmount
from autonom.domain import limits
from autonom.domain.card import CardPaymentState, CardType, card_number_problem

BankLink = Literal["up", "down"]


def _a_card_number(card_number: str) -> str:
    problem = card_number_problem(card_number)
    if problem:
        raise ValueError(problem)
    return card_number


CardNumber = Annotated[
    str,
    Field(min_length=limits.MIN_PAN_LENGTH, max_length=limits.MAX_PAN_LENGTH),
    AfterValidator(_a_card_number),
]
"""A card number (PAN): digits only, a valid Luhn check digit. The device never keeps it
whole; it keeps and answers the masked number."""

TillNumber = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_TILL)]
PaymentAmount = Annotated[PlainAmount, Field(gt=0, le=limits.MAX_AMOUNT, decimal_places=2)]


class CardPaymentIn(Inbound):
    """``POST /payments``: pay ``amount`` by card. Idempotent by ``payment_id``."""

    payment_id: UUID = Field(description="made by the till; the same id again is the same payment")
    till_number: TillNumber = Field(description="the till asking; must be the one driving it")
    amount: PaymentAmount = Field(description='decimal text with two places, e.g. "12.50"')
    card_type: CardType
    card_number: CardNumber = Field(description="the card's PAN (a test number for the emulator)")


class CardPaymentPublic(BaseModel):
    """A payment as the device holds it: its state now, and whether the bank decided."""

    payment_id: UUID
    till_number: int
    amount: Decimal
    card_type: CardType
    masked_pan: str = Field(description="the last four digits, the rest masked")
    state: CardPaymentState
    final: bool = Field(description="true once the bank decided: approved or declined")
    approval_code: str | None = Field(description="the bank's code of an approved payment")
    received_at: datetime
    forwarded_at: datetime | None = Field(
        description="when a stored payment reached the bank; null for an online payment"
    )
    change: int = Field(description="the device's change number of this payment's last change")


class CardPaymentChanges(BaseModel):
    """``GET /payments?till_number=N&after=C``: payments changed after change number C."""

    payments: list[CardPaymentPublic]
    through: int = Field(description="ask with after=through next time")


class OfflinePolicyPublic(BaseModel):
    max_count: int
    max_amount: Decimal
    max_total: Decimal
    refused_types: list[CardType]


class CardDeviceStatus(BaseModel):
    """``GET /status``: the device's bank link, what it holds offline, and its policy."""

    driven_by: int
    bank_link: BankLink
    stored_count: int = Field(description="payments stored offline, not yet forwarded")
    stored_total: Decimal
    policy: OfflinePolicyPublic


class BankLinkIn(Inbound):
    """``PUT /control/bank-link``, the emulator's own control: cut or restore its bank link."""

    up: Annotated[bool, Strict()]
