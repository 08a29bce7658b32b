"""What the server flags for a person instead of refusing (invariant 6): the findings
about each event of a push, judged from what the server knows of its ticket. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from autonom.domain import BookingAdded, BookingVoided, Event, TicketClosed, TicketOpened
from autonom.domain.errors import (
    CHANGED_AFTER_CLOSE,
    RECEIPT_NUMBER_REUSED,
    TICKET_CLOSED_TWICE,
    UNKNOWN_BOOKING,
    UNKNOWN_TICKET,
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

    def note(self, event: Event) -> None:
        """Take in ``event`` once it is applied: later events of the batch are judged by it."""
        if isinstance(event, TicketClosed):
            self.closed = True
        elif isinstance(event, BookingAdded):
            self.booking_ids.add(event.booking_id)
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
    return found


def _describe(event: TicketEvent) -> str:
    if isinstance(event, BookingAdded):
        return f"booked {event.quantity} × {event.name}"
    if isinstance(event, BookingVoided):
        return f"voided booking {event.booking_id}"
    if isinstance(event, TicketClosed):
        return f"closed receipt {event.receipt_number} ({event.total})"
    return "opened a ticket"
