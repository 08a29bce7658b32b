"""The store's card payments (R2.5): written from the slips of the receipts tills push and
from the bank's verdicts on stored payments (``CardPaymentSettled``); read by the back
office."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, select

from autonom.domain import CardPaymentSettled, TicketClosed
from autonom.domain.card import CardPaymentState
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository, dialect_insert


@dataclass(frozen=True)
class CardPaymentRecord:
    """A card payment as the server holds it."""

    payment_id: str
    ticket_id: str | None
    till_number: int
    receipt_number: str
    amount: Decimal
    card_type: str | None
    masked_pan: str | None
    state: str
    approval_code: str | None
    stored_offline: bool
    closed_at: datetime | None
    settled_at: datetime | None


class CardPaymentRepository(Repository):
    """The ``card_payments`` table."""

    def add_slips(self, closes: Sequence[TicketClosed]) -> int:
        """Keep the card payment of every receipt of ``closes`` that carries a slip, in one
        statement; a payment already held keeps its row (a receipt pushed again, or closed
        twice). Returns how many slips there were."""
        rows = [
            {
                "store_id": self.store_id,
                "payment_id": payment.card.payment_id,
                "ticket_id": close.ticket_id,
                "till_number": close.till_number,
                "receipt_number": close.receipt_number,
                "amount": payment.amount,
                "card_type": payment.card.card_type.value,
                "masked_pan": payment.card.masked_pan,
                "state": payment.card.state.value,
                "approval_code": payment.card.approval_code,
                "stored_offline": payment.card.state is CardPaymentState.STORED,
                "closed_at": close.closed_at,
                "settled_at": None,
            }
            for close in closes
            for payment in close.payments
            if payment.card is not None
        ]
        if rows:
            insert = dialect_insert(self.connection, t.card_payments)
            statement = insert.on_conflict_do_nothing(
                index_elements=[t.card_payments.c.store_id, t.card_payments.c.payment_id]
            )
            self.connection.execute(statement, rows)
        return len(rows)

    def settle(self, event: CardPaymentSettled) -> CardPaymentRecord:
        """Keep the bank's verdict on a stored payment; a payment whose close the server
        never saw is kept with what the verdict says. Returns the payment as now held."""
        insert = dialect_insert(self.connection, t.card_payments).values(
            store_id=self.store_id,
            payment_id=event.document_id,
            ticket_id=None,
            till_number=event.till_number,
            receipt_number=event.receipt_number,
            amount=event.amount,
            state=event.state.value,
            stored_offline=True,  # only a payment stored offline is settled later
            settled_at=event.settled_at,
        )
        self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=[t.card_payments.c.store_id, t.card_payments.c.payment_id],
                set_={"state": event.state.value, "settled_at": event.settled_at},
            )
        )
        [held] = self._read(t.card_payments.c.payment_id == event.document_id)
        return held

    def find(self, *, state: str | None = None) -> list[CardPaymentRecord]:
        """Card payments, optionally in one state, in the order their receipts were closed."""
        return self._read(None if state is None else t.card_payments.c.state == state)

    def _read(self, where: ColumnElement[bool] | None) -> list[CardPaymentRecord]:
        c = t.card_payments.c
        query = select(t.card_payments).where(c.store_id == self.store_id)
        if where is not None:
            query = query.where(where)
        rows = self.connection.execute(query.order_by(c.closed_at, c.receipt_number, c.payment_id))
        return [
            CardPaymentRecord(
                payment_id=r.payment_id,
                ticket_id=r.ticket_id,
                till_number=r.till_number,
                receipt_number=r.receipt_number,
                amount=r.amount,
                card_type=r.card_type,
                masked_pan=r.masked_pan,
                state=r.state,
                approval_code=r.approval_code,
                stored_offline=r.stored_offline,
                closed_at=r.closed_at,
                settled_at=r.settled_at,
            )
            for r in rows
        ]
