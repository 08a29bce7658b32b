"""What the server flags for a person instead of refusing (invariant 6): the findings
about each event of a push, judged from what the server knows of its ticket (or, for a day
close, of the till's Z numbers). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from autonom.domain import (
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    DayClosed,
    TicketClosed,
    TicketOpened,
)
from autonom.domain.errors import (
    CHANGED_AFTER_CLOSE,
    RECEIPT_NUMBER_REUSED,
    TICKET_CLOSED_TWICE,
    UNKNOWN_BOOKING,
    UNKNOWN_TICKET,
    Z_NUMBER_REPEATED,
    Z_NUMBER_SKIPPED,
)
from autonom.domain.events import TicketEvent


@dataclass(frozen=True)
class Finding:
    """One thing a person should look at: a flag's code and message."""

    code: str
    message: str


@dataclass
class TicketFacts:
    """What the server knows of a ticket while it applies a batch, to decide on flags."""

    known: bool = False
    closed: bool = False
    booking_ids: set[str] = field(default_factory=set)

    def note(self, event: TicketEvent) -> None:
        """Take in ``event`` once it is applied: later events of the batch are judged by it."""
        if isinstance(event, TicketClosed):
            self.closed = True
        elif isinstance(event, BookingAdded):
            self.booking_ids.add(event.booking_id)
        elif isinstance(event, BookingsMovedIn):
            self.booking_ids.update(b.booking_id for b in event.bookings)
        elif isinstance(event, BookingsMovedOut):
            self.booking_ids.difference_update(event.booking_ids)
        self.known = True


def findings(
    ticket: TicketFacts, event: TicketEvent, *, receipt_number_used: bool
) -> list[Finding]:
    """What a person should look at about ``event``; it is applied all the same."""
    if isinstance(event, TicketOpened):
        return []
    found: list[Finding] = []
    what = _describe(event)
    if not ticket.known:
        found.append(
            Finding(
                UNKNOWN_TICKET,
                f"Till {event.till_number} {what} on ticket {event.ticket_id}, which the server "
                "never saw opened; it is kept as a ticket without table. Check it.",
            )
        )
    if isinstance(event, TicketClosed):
        if ticket.closed:
            found.append(
                Finding(
                    TICKET_CLOSED_TWICE,
                    f"Ticket {event.ticket_id} was closed again by till {event.till_number} "
                    f"(receipt {event.receipt_number}); both receipts are kept.",
                )
            )
        if receipt_number_used:
            found.append(
                Finding(
                    RECEIPT_NUMBER_REUSED,
                    f"Receipt number {event.receipt_number} was used before; the new receipt "
                    f"(ticket {event.ticket_id}, {event.total}) is kept as a duplicate.",
                )
            )
    elif ticket.closed:
        found.append(
            Finding(
                CHANGED_AFTER_CLOSE,
                f"Till {event.till_number} {what} on ticket {event.ticket_id} after it was "
                "closed; the change is kept. Check the ticket.",
            )
        )
    if (
        isinstance(event, BookingVoided)
        and ticket.known
        and event.booking_id not in ticket.booking_ids
    ):
        found.append(
            Finding(
                UNKNOWN_BOOKING,
                f"Till {event.till_number} voided booking {event.booking_id}, which is not on "
                f"ticket {event.ticket_id}.",
            )
        )
    if isinstance(event, BookingsMovedOut) and ticket.known:
        missing = [b for b in event.booking_ids if b not in ticket.booking_ids]
        if missing:
            found.append(
                Finding(
                    UNKNOWN_BOOKING,
                    f"Till {event.till_number} moved booking(s) {', '.join(missing)} away from "
                    f"ticket {event.ticket_id}, which does not hold them.",
                )
            )
    return found


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


def _describe(event: TicketEvent) -> str:
    if isinstance(event, BookingAdded):
        return f"booked {event.quantity} × {event.name}"
    if isinstance(event, BookingVoided):
        return f"voided booking {event.booking_id}"
    if isinstance(event, TicketClosed):
        return f"closed receipt {event.receipt_number} ({event.total})"
    if isinstance(event, BookingsMovedOut):
        return f"moved {len(event.booking_ids)} line(s) out to ticket {event.to_ticket_id}"
    if isinstance(event, BookingsMovedIn):
        return f"moved {len(event.bookings)} line(s) in from ticket {event.from_ticket_id}"
    return "opened a ticket"
