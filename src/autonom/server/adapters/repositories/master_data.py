"""The master data's tables: tax rates, items, operators and the store's version of them."""

from __future__ import annotations

from sqlalchemy import select, update

from autonom.domain import Item, ItemKind, Operator, Role, TaxRate
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository, upsert


class MasterDataRepository(Repository):
    """Tax rates, items and operators, and the version a till compares to refresh."""

    def version(self) -> int:
        """The store's master-data version."""
        s = t.stores
        version = self.connection.execute(
            select(s.c.master_data_version).where(s.c.store_id == self.store_id)
        ).scalar()
        return int(version or 0)

    def bump_version(self) -> int:
        """Count one more change; a till refreshes its snapshot when the version moved."""
        s = t.stores
        self.connection.execute(
            update(s)
            .where(s.c.store_id == self.store_id)
            .values(master_data_version=s.c.master_data_version + 1)
        )
        return self.version()

    def tax_rate(self, code: str) -> TaxRate | None:
        """The tax rate with ``code``, if any."""
        r = t.tax_rates
        row = self.connection.execute(
            select(r).where(r.c.store_id == self.store_id, r.c.code == code)
        ).first()
        return None if row is None else TaxRate(code=row.code, percent=row.percent, name=row.name)

    def tax_rates(self) -> list[TaxRate]:
        """Every tax rate, by code."""
        r = t.tax_rates
        rows = self.connection.execute(
            select(r).where(r.c.store_id == self.store_id).order_by(r.c.code)
        )
        return [TaxRate(code=row.code, percent=row.percent, name=row.name) for row in rows]

    def put_tax_rate(self, rate: TaxRate) -> bool:
        """Insert or update; True when the rate is new."""
        values = {"code": rate.code, "percent": rate.percent, "name": rate.name}
        return upsert(self.connection, t.tax_rates, {"store_id": self.store_id, **values})

    def items(self) -> list[Item]:
        """Every item, by PLU."""
        i = t.items
        rows = self.connection.execute(
            select(i).where(i.c.store_id == self.store_id).order_by(i.c.plu)
        )
        return [
            Item(
                plu=r.plu,
                name=r.name,
                price=r.price,
                tax_code=r.tax_code,
                active=r.active,
                kind=ItemKind(r.kind),
            )
            for r in rows
        ]

    def put_item(self, item: Item) -> bool:
        """Insert or update; True when the item is new."""
        values = {
            "plu": item.plu,
            "name": item.name,
            "price": item.price,
            "tax_code": item.tax_code,
            "active": item.active,
            "kind": item.kind.value,
        }
        return upsert(self.connection, t.items, {"store_id": self.store_id, **values})

    def operators(self) -> list[Operator]:
        """Every operator, by number."""
        o = t.operators
        rows = self.connection.execute(
            select(o).where(o.c.store_id == self.store_id).order_by(o.c.number)
        )
        return [
            Operator(number=r.number, name=r.name, role=Role(r.role), pin_hash=r.pin_hash)
            for r in rows
        ]

    def put_operator(self, operator: Operator) -> bool:
        """Insert or update; True when the operator is new."""
        values = {
            "number": operator.number,
            "name": operator.name,
            "role": operator.role.value,
            "pin_hash": operator.pin_hash,
        }
        return upsert(self.connection, t.operators, {"store_id": self.store_id, **values})
