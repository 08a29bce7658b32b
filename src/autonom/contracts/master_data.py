"""Master data on the wire: what the back office writes and what a till snapshots (R2.2)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from autonom.domain.catalog import Role


class TaxRatePublic(BaseModel):
    code: str = Field(min_length=1, max_length=2, pattern=r"^[A-Z0-9]+$")
    percent: Decimal = Field(ge=0, le=100, decimal_places=2)
    name: str = Field(min_length=1, max_length=40)


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    price: Decimal = Field(gt=0, le=Decimal("99999.99"), decimal_places=2)
    tax_code: str = Field(min_length=1, max_length=2)
    active: bool = True


class ItemPublic(ItemIn):
    plu: str = Field(min_length=1, max_length=13, pattern=r"^[0-9A-Za-z]+$")


class OperatorIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    role: Role
    pin: str = Field(pattern=r"^[0-9]{4,8}$")


class OperatorPublic(BaseModel):
    """Sent to tills with the PIN's hash so a till can log operators in while offline."""

    number: int = Field(ge=1, le=9999)
    name: str
    role: Role
    pin_hash: str


class MasterData(BaseModel):
    """A till's snapshot: ``version`` grows with every change on the server."""

    version: int
    tax_rates: list[TaxRatePublic]
    items: list[ItemPublic]
    operators: list[OperatorPublic]
