"""What the server flags for a person instead of refusing (invariant 6), besides what a
ticket's history decides (``projection``: judged on the whole history, so the same in any
order of arrival): a receipt number used before, and a day close's Z number. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from autonom.domain import DayClosed, TicketClosed
from autonom.domain.errors import RECEIPT_NUMBER_REUSED, Z_NUMBER_REPEATED, Z_NUMBER_SKIPPED


@dataclass(frozen=True)
class Finding:
    """One thing a person should look at: a flag's code and message."""

    code: str
    message: str


def receipt_findings(event: TicketClosed, *, receipt_number_used: bool) -> list[Finding]:
    """A receipt number the store holds already (a till's range used twice): the new
    receipt is kept as a duplicate. A till's numbers come in its own log's order, so which
    one is the duplicate does not depend on other tills."""
    if not receipt_number_used:
        return []
    return [
        Finding(
            RECEIPT_NUMBER_REUSED,
            f"Receipt number {event.receipt_number} was used before; the new receipt "
            f"(ticket {event.ticket_id}, {event.total}) is kept as a duplicate.",
        )
    ]


def day_close_findings(
    event: DayClosed, *, last_z_number: int | None, z_number_used: bool
) -> list[Finding]:
    """What a person should look at about a till's day close (R2.8): its Z number came
    before, or is not the one after the last the server holds. It is kept all the same."""
    what = f"Till {event.till_number}'s day close Z {event.z_number} ({event.sales_total})"
    if z_number_used:
        return [
            Finding(
                Z_NUMBER_REPEATED,
                f"{what} repeats a Z number the server holds already; both are kept, the "
                "new one as a duplicate. Check the till's day closes.",
            )
        ]
    expected = (last_z_number or 0) + 1
    if event.z_number != expected:
        return [
            Finding(
                Z_NUMBER_SKIPPED,
                f"{what} is not the next number: the server expected Z {expected}. "
                "A day close may be missing; check the till's day closes.",
            )
        ]
    return []
