"""Master data (R2.2): tax rates, items and operators, written by the back office and
snapshotted by tills. Every change bumps the store's master-data version."""

from __future__ import annotations

from autonom.contracts import (
    ItemIn,
    ItemPublic,
    MasterData,
    OperatorIn,
    OperatorPublic,
    TaxRatePublic,
)
from autonom.domain import Item, Operator, Refusal, TaxRate, errors, hash_pin
from autonom.server.adapters import SqlUnitOfWork


def upsert_tax_rate(*, uow: SqlUnitOfWork, rate: TaxRatePublic) -> TaxRatePublic:
    """Create or change a tax rate (items refer to it by its code)."""
    with uow:
        uow.master_data.put_tax_rate(TaxRate(code=rate.code, percent=rate.percent, name=rate.name))
        uow.master_data.bump_version()
        uow.commit()
    return rate


def upsert_item(*, uow: SqlUnitOfWork, plu: str, item_in: ItemIn) -> ItemPublic:
    """Create or change the item ``plu``; its tax rate must exist (UNKNOWN_TAX_RATE)."""
    item = ItemPublic(plu=plu, **item_in.model_dump())
    with uow:
        if uow.master_data.tax_rate(item.tax_code) is None:
            raise Refusal(
                errors.UNKNOWN_TAX_RATE,
                f"There is no tax rate '{item.tax_code}'; create it first (PUT /tax-rates).",
            )
        uow.master_data.put_item(
            Item(
                plu=item.plu,
                name=item.name,
                price=item.price,
                tax_code=item.tax_code,
                active=item.active,
                kind=item.kind,
            )
        )
        uow.master_data.bump_version()
        uow.commit()
    return item


def upsert_operator(*, uow: SqlUnitOfWork, number: int, operator_in: OperatorIn) -> Operator:
    """Create or change operator ``number``; the PIN is stored only as its scrypt hash."""
    operator = Operator(
        number=number,
        name=operator_in.name,
        role=operator_in.role,
        pin_hash=hash_pin(operator_in.pin),
    )
    with uow:
        uow.master_data.put_operator(operator)
        uow.master_data.bump_version()
        uow.commit()
    return operator


def tax_rates(*, uow: SqlUnitOfWork) -> list[TaxRatePublic]:
    with uow:
        return [_tax_rate_public(r) for r in uow.master_data.tax_rates()]


def items(*, uow: SqlUnitOfWork) -> list[ItemPublic]:
    with uow:
        return [_item_public(i) for i in uow.master_data.items()]


def operators(*, uow: SqlUnitOfWork) -> list[Operator]:
    with uow:
        return uow.master_data.operators()


def master_data(*, uow: SqlUnitOfWork) -> MasterData:
    """A till's snapshot: everything it needs to sell and log operators in offline."""
    with uow:
        return MasterData(
            version=uow.master_data.version(),
            tax_rates=[_tax_rate_public(r) for r in uow.master_data.tax_rates()],
            items=[_item_public(i) for i in uow.master_data.items()],
            operators=[
                OperatorPublic(number=o.number, name=o.name, role=o.role, pin_hash=o.pin_hash)
                for o in uow.master_data.operators()
            ],
        )


def _tax_rate_public(rate: TaxRate) -> TaxRatePublic:
    return TaxRatePublic(code=rate.code, percent=rate.percent, name=rate.name)


def _item_public(item: Item) -> ItemPublic:
    return ItemPublic(
        plu=item.plu,
        name=item.name,
        price=item.price,
        tax_code=item.tax_code,
        active=item.active,
        kind=item.kind,
    )
