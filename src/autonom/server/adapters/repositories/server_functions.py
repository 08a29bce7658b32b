"""The tables of the functions that need the server (R2.4): vouchers and their redemptions,
customer accounts and their charges, the seats of events, the backends marked down.

A row that a decision depends on is read ``lock=True`` inside the writing transaction: on
PostgreSQL ``SELECT … FOR UPDATE`` holds it to commit, so two tills redeeming the same
voucher (or taking the last seat) at once take turns; on SQLite the write transaction's
``BEGIN IMMEDIATE`` already serialises them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, select, update

from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository, dialect_insert, upsert
from autonom.server.domain.server_functions import (
    CustomerFacts,
    EventFacts,
    RedemptionFacts,
    RedemptionState,
    SeatHold,
    VoucherFacts,
)


@dataclass(frozen=True)
class BackendRecord:
    """A backend behind the server as the back office last marked it."""

    name: str
    up: bool
    reason: str
    changed_at: datetime


_SEAT_HELD, _SEAT_SOLD, _SEAT_RELEASED = "held", "sold", "released"
CUSTOMER_SEARCH_LIMIT = 20
T = TypeVar("T")


class VoucherRepository(Repository):
    """Vouchers (registered from the receipts that sold them) and their redemptions."""

    def register(self, voucher: VoucherFacts) -> bool:
        """Keep a voucher a receipt sold; False when it is held already (a resent push)."""
        v = t.vouchers
        statement = dialect_insert(self.connection, v).values(
            store_id=self.store_id,
            number=voucher.number,
            value=voucher.value,
            remaining=voucher.remaining,
            till_number=voucher.till_number,
            receipt_number=voucher.receipt_number,
            sold_at=voucher.sold_at,
        )
        result = self.connection.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount)

    def get(self, number: str, *, lock: bool = False) -> VoucherFacts | None:
        v = t.vouchers
        query = select(v).where(v.c.store_id == self.store_id, v.c.number == number)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None:
            return None
        return VoucherFacts(
            number=row.number,
            value=row.value,
            remaining=row.remaining,
            till_number=row.till_number,
            receipt_number=row.receipt_number,
            sold_at=row.sold_at,
        )

    def change_remaining(self, number: str, by: Decimal) -> None:
        """Take ``-by`` off (or give ``by`` back to) the voucher's remaining value."""
        v = t.vouchers
        self.connection.execute(
            update(v)
            .where(v.c.store_id == self.store_id, v.c.number == number)
            .values(remaining=v.c.remaining + by)
        )

    def redemption(self, redemption_id: str) -> RedemptionFacts | None:
        r = t.voucher_redemptions
        row = self.connection.execute(
            select(r).where(r.c.store_id == self.store_id, r.c.redemption_id == redemption_id)
        ).first()
        return None if row is None else _redemption(row)

    def held_for(
        self, ticket_id: str, *, voucher_number: str | None = None
    ) -> list[RedemptionFacts]:
        """The redemptions held for a ticket (of one voucher, if given), oldest first."""
        r = t.voucher_redemptions
        query = select(r).where(
            r.c.store_id == self.store_id,
            r.c.ticket_id == ticket_id,
            r.c.state == RedemptionState.HELD.value,
        )
        if voucher_number is not None:
            query = query.where(r.c.voucher_number == voucher_number)
        rows = self.connection.execute(query.order_by(r.c.asked_at, r.c.redemption_id))
        return [_redemption(row) for row in rows]

    def held_for_tickets(self, ticket_ids: Iterable[str]) -> dict[str, list[RedemptionFacts]]:
        """The redemptions held for each of the tickets that has any, oldest first, in one
        query."""
        r = t.voucher_redemptions
        order = (r.c.asked_at, r.c.redemption_id)
        return _held_by_ticket(self, r, RedemptionState.HELD.value, order, ticket_ids, _redemption)

    def hold(self, redemption: RedemptionFacts, *, at: datetime) -> None:
        """Keep a new redemption as held (the caller lowered the voucher's value)."""
        self.connection.execute(
            t.voucher_redemptions.insert().values(
                store_id=self.store_id,
                redemption_id=redemption.redemption_id,
                voucher_number=redemption.voucher_number,
                ticket_id=redemption.ticket_id,
                till_number=redemption.till_number,
                amount=redemption.amount,
                state=RedemptionState.HELD.value,
                asked_at=at,
            )
        )

    def settle(
        self,
        redemption_id: str,
        state: RedemptionState,
        *,
        at: datetime,
        receipt_number: str | None = None,
    ) -> None:
        r = t.voucher_redemptions
        self.connection.execute(
            update(r)
            .where(r.c.store_id == self.store_id, r.c.redemption_id == redemption_id)
            .values(state=state.value, settled_at=at, receipt_number=receipt_number)
        )


def _redemption(row: Any) -> RedemptionFacts:
    return RedemptionFacts(
        redemption_id=row.redemption_id,
        voucher_number=row.voucher_number,
        ticket_id=row.ticket_id,
        till_number=row.till_number,
        amount=row.amount,
        state=RedemptionState(row.state),
    )


class CustomerRepository(Repository):
    """Customer accounts (the back office keeps them) and what receipts put on them."""

    def put(self, customer: CustomerFacts, *, at: datetime) -> None:
        """Create or change an account's name and limit; a new account starts at its
        ``balance``, an existing one keeps the balance its charges made."""
        c = t.customers
        statement = dialect_insert(self.connection, c).values(
            store_id=self.store_id,
            number=customer.number,
            name=customer.name,
            credit_limit=customer.credit_limit,
            balance=customer.balance,
            updated_at=at,
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[c.c.store_id, c.c.number],
                set_={
                    "name": customer.name,
                    "credit_limit": customer.credit_limit,
                    "updated_at": at,
                },
            )
        )

    def get(self, number: int, *, lock: bool = False) -> CustomerFacts | None:
        c = t.customers
        query = select(c).where(c.c.store_id == self.store_id, c.c.number == number)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return None if row is None else _customer(row)

    def find(self, text: str) -> list[CustomerFacts]:
        """Accounts whose number is ``text`` or whose name contains it, by name."""
        c = t.customers
        text = text.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches: ColumnElement[bool] = c.c.name.ilike(f"%{escaped}%", escape="\\")
        if text.isascii() and text.isdigit() and len(text) <= 9:
            matches = matches | (c.c.number == int(text))
        rows = self.connection.execute(
            select(c)
            .where(c.c.store_id == self.store_id, matches)
            .order_by(c.c.name, c.c.number)
            .limit(CUSTOMER_SEARCH_LIMIT)
        )
        return [_customer(row) for row in rows]

    def charge(
        self, number: int, amount: Decimal, *, receipt_number: str, till_number: int, at: datetime
    ) -> None:
        """Raise the account's balance by a receipt's payment on account and keep the charge."""
        c = t.customers
        self.connection.execute(
            update(c)
            .where(c.c.store_id == self.store_id, c.c.number == number)
            .values(balance=c.c.balance + amount, updated_at=at)
        )
        self.connection.execute(
            t.account_charges.insert().values(
                store_id=self.store_id,
                customer_number=number,
                receipt_number=receipt_number,
                till_number=till_number,
                amount=amount,
                charged_at=at,
            )
        )


def _customer(row: Any) -> CustomerFacts:
    return CustomerFacts(
        number=row.number, name=row.name, credit_limit=row.credit_limit, balance=row.balance
    )


class EventRepository(Repository):
    """Events with a capacity, and the seats held or sold for bookings of their tickets."""

    def put(self, plu: str, capacity: int) -> EventFacts:
        """Create an event or change its capacity (the seats held and sold stay)."""
        e = t.events
        if self.get(plu, lock=True) is None:
            self.connection.execute(
                e.insert().values(store_id=self.store_id, plu=plu, capacity=capacity, sold=0)
            )
        else:
            self.connection.execute(
                update(e)
                .where(e.c.store_id == self.store_id, e.c.plu == plu)
                .values(capacity=capacity)
            )
        found = self.get(plu)
        assert found is not None
        return found

    def get(self, plu: str, *, lock: bool = False) -> EventFacts | None:
        e = t.events
        query = select(e).where(e.c.store_id == self.store_id, e.c.plu == plu)
        if lock:
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        return (
            None if row is None else EventFacts(plu=row.plu, capacity=row.capacity, sold=row.sold)
        )

    def hold(self, hold: SeatHold, *, till_number: int, at: datetime) -> None:
        """Hold ``hold.seats`` of the event for a booking (the caller checked they are left)."""
        e = t.events
        self.connection.execute(
            update(e)
            .where(e.c.store_id == self.store_id, e.c.plu == hold.plu)
            .values(sold=e.c.sold + hold.seats)
        )
        self.connection.execute(
            t.event_seats.insert().values(
                store_id=self.store_id,
                booking_id=hold.booking_id,
                plu=hold.plu,
                ticket_id=hold.ticket_id,
                till_number=till_number,
                seats=hold.seats,
                state=_SEAT_HELD,
                held_at=at,
            )
        )

    def hold_of(self, booking_id: str) -> SeatHold | None:
        s = t.event_seats
        row = self.connection.execute(
            select(s).where(s.c.store_id == self.store_id, s.c.booking_id == booking_id)
        ).first()
        return None if row is None else _seat_hold(row)

    def held_for(self, ticket_ids: Iterable[str]) -> dict[str, list[SeatHold]]:
        """The seats held for each of the tickets that has any, oldest first, in one query."""
        s = t.event_seats
        order = (s.c.held_at, s.c.booking_id)
        return _held_by_ticket(self, s, _SEAT_HELD, order, ticket_ids, _seat_hold)

    def follow_move(self, booking_ids: Sequence[str], ticket_id: str) -> None:
        """The seats still held for ``booking_ids`` now belong to ``ticket_id``, where the
        lines were moved (a table transfer, a bill split): its receipt settles them."""
        s = t.event_seats
        self.connection.execute(
            update(s)
            .where(
                s.c.store_id == self.store_id,
                s.c.booking_id.in_(list(booking_ids)),
                s.c.state == _SEAT_HELD,
            )
            .values(ticket_id=ticket_id)
        )

    def settle(self, sold: Sequence[SeatHold], released: Sequence[SeatHold]) -> None:
        """Seats a receipt sold stay taken; seats it gave back are free again."""
        s, e = t.event_seats, t.events
        for hold in sold:
            self.connection.execute(
                update(s)
                .where(s.c.store_id == self.store_id, s.c.booking_id == hold.booking_id)
                .values(state=_SEAT_SOLD)
            )
        for hold in released:
            self.connection.execute(
                update(s)
                .where(s.c.store_id == self.store_id, s.c.booking_id == hold.booking_id)
                .values(state=_SEAT_RELEASED)
            )
            self.connection.execute(
                update(e)
                .where(e.c.store_id == self.store_id, e.c.plu == hold.plu)
                .values(sold=e.c.sold - hold.seats)
            )


def _seat_hold(row: Any) -> SeatHold:
    return SeatHold(
        booking_id=row.booking_id, plu=row.plu, ticket_id=row.ticket_id, seats=row.seats
    )


def _held_by_ticket(
    repository: Repository,
    table: Table,
    held: str,
    order: tuple[ColumnElement[Any], ...],
    ticket_ids: Iterable[str],
    read: Callable[[Any], T],
) -> dict[str, list[T]]:
    """The rows of ``table`` in the state ``held`` for each of the tickets that has any, in
    ``order``, read by ``read``: one query for all the tickets."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    rows = repository.connection.execute(
        select(table)
        .where(
            table.c.store_id == repository.store_id,
            repository._one_of(table.c.ticket_id, ids),
            table.c.state == held,
        )
        .order_by(*order)
    )
    found: dict[str, list[T]] = {}
    for row in rows:
        found.setdefault(row.ticket_id, []).append(read(row))
    return found


class BackendRepository(Repository):
    """Which backends behind the server the back office marked down, and why."""

    def put(self, name: str, *, up: bool, reason: str, at: datetime) -> None:
        upsert(
            self.connection,
            t.backends,
            {"store_id": self.store_id, "name": name, "up": up, "reason": reason, "changed_at": at},
        )

    def down(self) -> list[str]:
        """The names of the backends that are down now, sorted."""
        b = t.backends
        rows = self.connection.execute(
            select(b.c.name)
            .where(b.c.store_id == self.store_id, b.c.up.is_(False))
            .order_by(b.c.name)
        )
        return [row.name for row in rows]

    def all(self) -> list[BackendRecord]:
        """Every backend ever marked, with its state, reason and time (back office)."""
        b = t.backends
        rows = self.connection.execute(
            select(b.c.name, b.c.up, b.c.reason, b.c.changed_at)
            .where(b.c.store_id == self.store_id)
            .order_by(b.c.name)
        )
        return [BackendRecord(r.name, r.up, r.reason, r.changed_at) for r in rows]
