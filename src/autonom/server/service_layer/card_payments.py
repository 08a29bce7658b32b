"""Card payments on the server (R2.5): the slips of pushed receipts and the bank's verdicts
on stored payments, applied inside the push's transaction; the back office's list."""

from __future__ import annotations

from collections.abc import Sequence

from autonom.contracts import Operation
from autonom.domain import CardPaymentSettled, TicketClosed
from autonom.domain.card import CardPaymentState
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.adapters.repositories import CardPaymentRecord
from autonom.server.domain.card_payments import settlement_findings


def record_slips(uow: SqlUnitOfWork, closes: Sequence[TicketClosed]) -> None:
    """Keep the card payments of the receipts of a push (one statement for the batch)."""
    uow.card_payments.add_slips(closes)


def apply_settled(uow: SqlUnitOfWork, till_number: int, operation: Operation) -> None:
    """The bank's verdict on a stored payment: the payment's state, and a ``CARD_DEBT``
    flag for a declined one (a debt to collect, never a refusal)."""
    event = operation.event
    assert isinstance(event, CardPaymentSettled)
    if not event.state.final:
        return  # only a verdict changes anything; "still stored" is what the server holds
    held = uow.card_payments.settle(event)
    for finding in settlement_findings(event):
        uow.flags.add(
            till_number=till_number,
            seq=operation.seq,
            ticket_id=held.ticket_id,
            code=finding.code,
            message=finding.message,
        )


def list_card_payments(
    *, uow: SqlUnitOfWork, state: CardPaymentState | None = None
) -> list[CardPaymentRecord]:
    """The store's card payments, optionally in one state, in closing order."""
    with uow:
        return uow.card_payments.find(state=None if state is None else state.value)
