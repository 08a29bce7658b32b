"""Back-office shapes that only the server speaks (what tills read is in
``autonom.contracts``). The wire shape is never the table."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from autonom.contracts import StationSettingsPublic
from autonom.contracts.master_data import TaxPercent, TaxRateName
from autonom.domain import Role
from autonom.domain.card import CardPaymentState


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "down"]
    server_time: datetime | None = None


class TillPublic(BaseModel):
    """A registered till with its log position and, from its last heartbeat report, its
    mode and activity (``None`` before the first report)."""

    model_config = ConfigDict(from_attributes=True)

    till_number: int
    name: str
    registered_at: datetime
    applied_through: int
    last_push_at: datetime | None
    mode: str | None = Field(description="the mode of its server link when it last reported")
    activity: str | None = Field(description="alive or stalled (R1.3), as last reported")
    reported_at: datetime | None = Field(description="when the server got its last report")
    unsent_operations: int | None = Field(description="operations not yet pushed, as reported")
    station_settings: StationSettingsPublic


class TaxRateIn(BaseModel):
    percent: TaxPercent
    name: TaxRateName


class OperatorSummary(BaseModel):
    """An operator as the back office lists it: never the PIN's hash."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    name: str
    role: Role


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    ticket_id: str
    till_number: int
    total: Decimal
    closed_at: datetime
    offline: bool
    duplicate: bool = Field(description="the number was used before (see flags)")


class FlagPublic(BaseModel):
    """Something the server accepted but a person should look at (invariant 6)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    till_number: int
    seq: int
    ticket_id: str | None
    code: str
    message: str
    created_at: datetime


class CardPaymentPublic(BaseModel):
    """A card payment on a receipt (R2.5): as the till's slip said it, and the bank's later
    verdict on one stored offline (a declined one is also a ``CARD_DEBT`` flag)."""

    model_config = ConfigDict(from_attributes=True)

    payment_id: str
    ticket_id: str | None
    till_number: int
    receipt_number: str
    amount: Decimal
    card_type: str | None = Field(description="none: its receipt has not reached the server")
    masked_pan: str | None
    state: CardPaymentState
    approval_code: str | None
    stored_offline: bool = Field(description="the card device stored it while its bank was away")
    closed_at: datetime | None
    settled_at: datetime | None = Field(description="when the bank decided a stored payment")
