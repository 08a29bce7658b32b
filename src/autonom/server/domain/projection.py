"""Rebuilding a ticket from the operations the server holds, in its apply order."""

from __future__ import annotations

from collections.abc import Sequence

from autonom.domain import (
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    Event,
    Ticket,
    TicketClosed,
    TicketOpened,
)


def replay_ticket(events: Sequence[Event]) -> Ticket:
    """Replay a ticket's events (merging what several tills did to it, DESIGN: R3).

    A ticket whose opening the server never received still gets a projection, opened by a
    stand-in built from its first event (invariant 6: the sale is kept and flagged).
    """
    if not events:
        raise ValueError("a ticket needs at least one event")
    opened = next((e for e in events if isinstance(e, TicketOpened)), None)
    if opened is None:
        opened = stand_in_opening(events[0])
    # Ticket.apply ignores a second TicketOpened, so the real one may stay in the list.
    return Ticket.replay([opened, *events])


def stand_in_opening(event: Event) -> TicketOpened:
    """The opening a ticket would have had, judged from its first known event."""
    if isinstance(event, TicketOpened):
        return event
    if isinstance(event, BookingAdded):
        at, offline = event.booked_at, event.offline
    elif isinstance(event, BookingVoided):
        at, offline = event.voided_at, False
    elif isinstance(event, TicketClosed):
        at, offline = event.closed_at, event.offline
    elif isinstance(event, BookingsMovedOut | BookingsMovedIn):
        at, offline = event.moved_at, False
    else:  # pragma: no cover - exhaustive over Event
        raise TypeError(f"unknown event {event!r}")
    return TicketOpened(
        ticket_id=event.ticket_id,
        till_number=event.till_number,
        table=None,
        operator_number=event.operator_number,
        opened_at=at,
        offline=offline,
    )
