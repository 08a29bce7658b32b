"""How the server applies the operations of documents that are not tickets (a day close, a
gate scan, a stored card payment's result, …), inside the push's transaction. The
operation itself is already kept in ``operations``; each kind writes its own rows here.
A completed document is never refused (invariant 6): what needs a person becomes a flag.
"""

from __future__ import annotations

from datetime import UTC, datetime

from autonom.contracts import Operation
from autonom.domain import CardPaymentSettled, DayClosed, GateScanned
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.service_layer import card_payments, gate
from autonom.server.service_layer.day_closes import apply_day_close


def apply(uow: SqlUnitOfWork, till_number: int, operation: Operation) -> None:
    """Write what ``operation``'s document means on the server, by its kind."""
    event = operation.event
    if isinstance(event, DayClosed):
        apply_day_close(uow, till_number, operation)
        return
    if isinstance(event, CardPaymentSettled):
        card_payments.apply_settled(uow, till_number, operation)
        return
    if isinstance(event, GateScanned):
        # The same rule as the live call: a scan it registered already is a duplicate.
        gate.register_scan(uow, event, now=datetime.now(UTC))
        return
    raise TypeError(f"no applier for {event.kind}")  # every kind has a case
