"""The tills' day closes on the server (R2.8): applied inside the push's transaction like
any other operation, kept in ``day_closes``, never refused (invariant 6) — a Z number
repeated or skipped becomes a flag (``server.domain.day_close_findings``)."""

from __future__ import annotations

from datetime import UTC, datetime

from autonom.contracts import Operation
from autonom.domain import DayClosed
from autonom.server.adapters import DayCloseRecord, SqlUnitOfWork
from autonom.server.domain import day_close_findings


def apply_day_close(uow: SqlUnitOfWork, till_number: int, operation: Operation) -> None:
    """Keep the day close of ``operation`` (inside the push's transaction, no commit)."""
    event = operation.event
    assert isinstance(event, DayClosed)
    used = uow.day_closes.z_number_used(till_number, event.z_number)
    found = day_close_findings(
        event, last_z_number=uow.day_closes.last_z_number(till_number), z_number_used=used
    )
    for finding in found:
        uow.flags.add(
            till_number=till_number,
            seq=operation.seq,
            ticket_id=None,
            code=finding.code,
            message=finding.message,
        )
    uow.day_closes.add(event, duplicate=used, at=datetime.now(UTC))


def find_day_closes(*, uow: SqlUnitOfWork, till_number: int | None) -> list[DayCloseRecord]:
    """The day closes the tills pushed, optionally of one till, by till and Z number."""
    with uow:
        return uow.day_closes.find(till_number=till_number)
