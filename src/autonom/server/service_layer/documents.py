"""How the server applies the operations of documents that are not tickets (a day close, a
gate scan, a stored card payment's result, …), inside the push's transaction. The
operation itself is already kept in ``operations``; each kind writes its own rows here.
A completed document is never refused (invariant 6): what needs a person becomes a flag.
"""

from __future__ import annotations

from autonom.contracts import Operation
from autonom.domain import DayClosed
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.service_layer.day_closes import apply_day_close


def apply(uow: SqlUnitOfWork, till_number: int, operation: Operation) -> None:
    """Write what ``operation``'s document means on the server, by its kind."""
    if isinstance(operation.event, DayClosed):
        apply_day_close(uow, till_number, operation)
        return
    raise TypeError(f"no applier for {operation.event.kind}")  # every kind has a case
