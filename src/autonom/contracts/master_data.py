"""Master data on the wire: what the back office writes and what a till snapshots (R2.2)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, PlainAmount
from autonom.domain import limits
from autonom.domain.catalog import ItemKind, Role

TaxCode = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_TAX_CODE_LENGTH, pattern=r"^[A-Z0-9]+$")
]
Name = Annotated[str, Field(min_length=1, max_length=limits.MAX_NAME_LENGTH), NO_CONTROL_CHARACTERS]
TaxRateName = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_TAX_NAME_LENGTH), NO_CONTROL_CHARACTERS
]
TaxPercent = Annotated[PlainAmount, Field(ge=0, le=limits.MAX_PERCENT, decimal_places=2)]


class TaxRatePublic(BaseModel):
    code: TaxCode
    percent: TaxPercent
    name: TaxRateName


class ItemIn(BaseModel):
    name: Name
    price: PlainAmount = Field(gt=0, le=limits.MAX_AMOUNT, decimal_places=2)
    tax_code: TaxCode
    active: bool = True
    kind: ItemKind = ItemKind.GOODS


class ItemPublic(ItemIn):
    plu: str = Field(min_length=1, max_length=limits.MAX_PLU_LENGTH, pattern=r"^[0-9A-Za-z]+$")


class OperatorIn(BaseModel):
    name: Name
    role: Role
    pin: str = Field(pattern=r"^[0-9]{4,8}$")


class OperatorPublic(BaseModel):
    """Sent to tills with the PIN's hash so a till can log operators in while offline."""

    number: int = Field(ge=1, le=limits.MAX_OPERATOR)
    name: str
    role: Role
    pin_hash: str


class MasterData(BaseModel):
    """A till's snapshot: ``version`` grows with every change on the server."""

    version: int
    tax_rates: list[TaxRatePublic]
    items: list[ItemPublic]
    operators: list[OperatorPublic]
