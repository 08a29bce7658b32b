"""The tills' day closes with their Z reports (R2.8), as pushed: one row each, a Z number
that came twice kept as a duplicate (invariant 6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import DayClosed
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository


@dataclass(frozen=True)
class DayCloseRecord:
    """A day close as the back office lists it: the columns, and the event for the rest
    (the totals per tax rate and per payment method, the receipt ranges)."""

    till_number: int
    z_number: int
    document_id: str
    operator_number: int
    closed_at: datetime
    period_start: datetime | None
    receipt_count: int
    sales_total: Decimal
    grand_total: Decimal
    offline: bool
    duplicate: bool
    received_at: datetime
    event: DayClosed


class DayCloseRepository(Repository):
    """The ``day_closes`` table of one store."""

    def last_z_number(self, till_number: int) -> int | None:
        """The highest Z number held for the till (None before its first day close)."""
        d = t.day_closes
        last = self.connection.execute(
            select(func.max(d.c.z_number)).where(
                d.c.store_id == self.store_id, d.c.till_number == till_number
            )
        ).scalar()
        return None if last is None else int(last)

    def z_number_used(self, till_number: int, z_number: int) -> bool:
        """Whether the till's day close ``z_number`` is held already."""
        d = t.day_closes
        found = self.connection.execute(
            select(d.c.id)
            .where(
                d.c.store_id == self.store_id,
                d.c.till_number == till_number,
                d.c.z_number == z_number,
            )
            .limit(1)
        ).first()
        return found is not None

    def add(self, event: DayClosed, *, duplicate: bool, at: datetime) -> None:
        """Keep a day close received at ``at``."""
        self.connection.execute(
            t.day_closes.insert().values(
                store_id=self.store_id,
                till_number=event.till_number,
                z_number=event.z_number,
                document_id=event.document_id,
                operator_number=event.operator_number,
                closed_at=event.closed_at,
                period_start=event.period_start,
                receipt_count=event.receipt_count,
                sales_total=event.sales_total,
                grand_total=event.grand_total,
                offline=event.offline,
                duplicate=duplicate,
                received_at=at,
                payload=EVENT_ADAPTER.dump_json(event).decode(),
            )
        )

    def find(self, *, till_number: int | None) -> list[DayCloseRecord]:
        """Day closes, optionally of one till, by till and Z number (a duplicate after the
        one it repeats)."""
        d = t.day_closes
        query = select(d).where(d.c.store_id == self.store_id)
        if till_number is not None:
            query = query.where(d.c.till_number == till_number)
        rows = self.connection.execute(query.order_by(d.c.till_number, d.c.z_number, d.c.id))
        return [
            DayCloseRecord(
                till_number=r.till_number,
                z_number=r.z_number,
                document_id=r.document_id,
                operator_number=r.operator_number,
                closed_at=r.closed_at,
                period_start=r.period_start,
                receipt_count=r.receipt_count,
                sales_total=r.sales_total,
                grand_total=r.grand_total,
                offline=r.offline,
                duplicate=r.duplicate,
                received_at=r.received_at,
                event=_day_closed(r.payload),
            )
            for r in rows
        ]


def _day_closed(payload: str) -> DayClosed:
    event = EVENT_ADAPTER.validate_json(payload)
    assert isinstance(event, DayClosed)
    return event
