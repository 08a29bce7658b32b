"""Rebuilding tickets from the operations the server holds, by the merge rules of R3.2.

A ticket is rebuilt by replaying its events in the order in which they *happened* — the
till's recorded time, then the till and its sequence — never in the order they arrived:
two tills' logs pushed in any interleaving give the same tickets and the same findings
(docs/sync-protocol.md § 7). The rules that follow from the replay:

* A close covers the lines its till could see: its own, and of the other tills' lines the
  longest run in the order they happened whose sum makes the receipt's total (a till sees
  another till's lines in that order, as far as they had reached the server). A total no
  such run makes is flagged (``CLOSE_TOTAL_MISMATCH``) and the close covers what the ticket
  held at its moment.
* Live lines no close covers — booked offline on a ticket that another till paid meanwhile,
  or reaching the server after the close — leave the closed ticket for its **follow-up
  ticket** (``follow_up_id``): open at the same table, owned by the operator who booked
  them, flagged for review (``FOLLOW_UP_TICKET``). A follow-up whose lines are paid and
  then gets more has its own follow-up, and so on.
* A second close keeps both receipts and is flagged (``TICKET_CLOSED_TWICE``: paid on both
  sides); a void or move of a covered line after its close is flagged
  (``CHANGED_AFTER_CLOSE``); a void or move of a line the ticket never held
  (``UNKNOWN_BOOKING``) and a ticket never seen opened (``UNKNOWN_TICKET``) as before.

Pure: no database, no clock. The service layer hands in each family's operations
(``Recorded``) and writes what comes back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from autonom.domain import (
    Booking,
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    Event,
    OwnerChanged,
    Ticket,
    TicketClosed,
    TicketOpened,
)
from autonom.domain.errors import (
    CHANGED_AFTER_CLOSE,
    CLOSE_TOTAL_MISMATCH,
    FOLLOW_UP_TICKET,
    TICKET_CLOSED_TWICE,
    UNKNOWN_BOOKING,
    UNKNOWN_TICKET,
)
from autonom.domain.events import TicketEvent, booking_facts
from autonom.domain.money import ZERO

# Follow-up tickets are named from the ticket they follow, so every server process and
# every order of arrival names the same one.
FOLLOW_UP_NAMESPACE = uuid.UUID("6f1d2a4e-3c55-4c1e-9a35-0c7b8e1f9d21")
MAX_FOLLOW_UPS = 5  # a chain longer than this keeps its last lines on the last follow-up
# The flags a ticket's history decides: written anew whenever the ticket is rebuilt.
TICKET_FLAG_CODES = frozenset(
    {
        UNKNOWN_TICKET,
        TICKET_CLOSED_TWICE,
        CHANGED_AFTER_CLOSE,
        UNKNOWN_BOOKING,
        CLOSE_TOTAL_MISMATCH,
        FOLLOW_UP_TICKET,
    }
)


def follow_up_id(ticket_id: str) -> str:
    """The id of the follow-up ticket of ``ticket_id`` (R3.2), the same everywhere."""
    return str(uuid.uuid5(FOLLOW_UP_NAMESPACE, ticket_id))


def follow_up_chain(ticket_id: str) -> list[str]:
    """``ticket_id``'s follow-up, its follow-up's, … as far as a family may reach."""
    chain = []
    for _ in range(MAX_FOLLOW_UPS):
        ticket_id = follow_up_id(ticket_id)
        chain.append(ticket_id)
    return chain


@dataclass(frozen=True)
class Recorded:
    """An operation of a ticket as the server holds it: the event, the till that recorded
    it, its place in that till's log and the till's time then."""

    event: TicketEvent
    till_number: int
    seq: int
    recorded_at: datetime
    op_id: str

    @property
    def order(self) -> tuple[datetime, int, int, str]:
        """When it happened: the till's recorded time, then the till and its sequence."""
        return (self.recorded_at, self.till_number, self.seq, self.op_id)


@dataclass(frozen=True)
class TicketFinding:
    """What a person should look at about a ticket, and the operation it concerns."""

    ticket_id: str
    till_number: int
    seq: int
    code: str
    message: str

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.ticket_id, self.code, self.till_number, self.seq)


@dataclass(frozen=True)
class Projection:
    """A ticket as its family's history makes it, the ticket it follows (a follow-up's
    parent), and what a person should look at about it."""

    ticket: Ticket
    follows: str | None
    findings: tuple[TicketFinding, ...]


def replay_ticket(events: Sequence[Event]) -> Ticket:
    """Replay a ticket's events as given, a stand-in opening first when it has none (a
    ticket's events alone, without the merge rules: the till's view of its own ticket)."""
    if not events:
        raise ValueError("a ticket needs at least one event")
    opened = next((e for e in events if isinstance(e, TicketOpened)), None)
    if opened is None:
        opened = stand_in_opening(events[0])
    # Ticket.apply ignores a second TicketOpened, so the real one may stay in the list.
    return Ticket.replay([opened, *events])


def project_family(root: str, histories: Mapping[str, Sequence[Recorded]]) -> list[Projection]:
    """The ticket ``root`` and its follow-ups, rebuilt from the operations of each
    (``histories`` by ticket id, in any order): the module docstring's rules."""
    projections: list[Projection] = []
    chain = [root, *follow_up_chain(root)]
    # A follow-up tills worked on stays in the family even when its parent's lines turned
    # out paid after all: what they did on it is never lost from view.
    worked_on = max((i for i, t in enumerate(chain) if histories.get(t)), default=0)
    parent: _Replay | None = None
    inherited: tuple[_Line, ...] = ()
    for depth, ticket_id in enumerate(chain):
        history = sorted(histories.get(ticket_id, ()), key=lambda r: r.order)
        if not history and not inherited:
            if depth > worked_on:
                break
            continue  # nothing of its own nor handed down: not a ticket (now)
        last = depth == MAX_FOLLOW_UPS
        replay = _Replay(ticket_id, history, inherited, parent, keep_uncovered=last)
        projections.append(replay.projection)
        parent, inherited = replay, tuple(replay.uncovered)
    return projections


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
    elif isinstance(event, OwnerChanged):
        return TicketOpened(
            ticket_id=event.ticket_id,
            till_number=event.till_number,
            table=None,
            operator_number=event.owner,
            opened_at=event.changed_at,
            offline=False,
        )
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


@dataclass(frozen=True)
class _Line:
    """A line on the ticket and the operation that brought it here (its booking, a move
    in, or the parent's operation for a follow-up's line)."""

    booking: Booking
    source: Recorded
    position: int  # its place in the replay; a follow-up's inherited lines come first

    @property
    def booking_id(self) -> str:
        return self.booking.booking_id


@dataclass
class _Close:
    record: Recorded
    event: TicketClosed
    position: int
    held: list[_Line]  # the live lines at its moment
    covered: set[str] = field(default_factory=set)


class _Replay:
    """One ticket of a family replayed in the order things happened (see the module)."""

    def __init__(
        self,
        ticket_id: str,
        history: Sequence[Recorded],
        inherited: Sequence[_Line],
        parent: _Replay | None,
        *,
        keep_uncovered: bool,
    ) -> None:
        self.ticket_id = ticket_id
        self.findings: list[TicketFinding] = []
        self.lines: dict[str, _Line] = {}  # every line that ever joined, by booking id
        self.closes: list[_Close] = []
        self.changes: list[tuple[Recorded, int, tuple[str, ...]]] = []  # voids, moves out
        self.pending: dict[str, list[tuple[Recorded, int, BookingVoided | BookingsMovedOut]]] = {}
        self.unknown = False  # never seen opened: UNKNOWN_TICKET
        self.ticket = Ticket.replay([self._opening(history, inherited, parent)])
        for line in inherited:
            self.ticket.bookings.append(line.booking)
            self.lines[line.booking_id] = replace(line, position=-1)
        for position, record in enumerate(history):
            self._apply(record, position)
        self._unknown_bookings()
        self.uncovered = self._cover(keep_uncovered)
        self.follows = parent.ticket_id if parent is not None else None
        self.projection = Projection(self.ticket, self.follows, tuple(self.findings))

    # -- the opening ------------------------------------------------------------------
    def _opening(
        self, history: Sequence[Recorded], inherited: Sequence[_Line], parent: _Replay | None
    ) -> TicketOpened:
        opened = next((r.event for r in history if isinstance(r.event, TicketOpened)), None)
        if parent is not None:
            # A follow-up opens where its parent was paid, owned by who booked its lines
            # (the operator who booked offline first, R3.2).
            if inherited:
                first = next((line for line in inherited if line.booking.offline), inherited[0])
                till, owner = first.source.till_number, first.booking.operator_number
            else:  # its lines were paid after all; what tills did on it since stays
                till, owner = history[0].till_number, parent.ticket.owner
            return TicketOpened(
                ticket_id=self.ticket_id,
                till_number=till,
                table=parent.ticket.table,
                operator_number=owner,
                opened_at=parent.closes[0].event.closed_at
                if parent.closes
                else history[0].recorded_at,
                offline=any(line.booking.offline for line in inherited),
            )
        if opened is not None:
            return opened
        first_record = history[0]
        self.unknown = True
        self._find(
            first_record,
            UNKNOWN_TICKET,
            f"Till {first_record.till_number} {_describe(first_record.event)} on ticket "
            f"{self.ticket_id}, which the server never saw opened; it is kept as a ticket "
            "without table. Check it.",
        )
        return replace(stand_in_opening(first_record.event), ticket_id=self.ticket_id)

    # -- the replay -------------------------------------------------------------------
    def _apply(self, record: Recorded, position: int) -> None:
        event = record.event
        if isinstance(event, BookingAdded):
            self._join(Booking.of(event), record, position)
            self.ticket.apply(event)
            self._settle_pending(event.booking_id)
        elif isinstance(event, BookingsMovedIn):
            for facts in event.bookings:
                self._join(Booking(**booking_facts(facts)), record, position)
            self.ticket.apply(event)
            for facts in event.bookings:
                self._settle_pending(facts.booking_id)
        elif isinstance(event, BookingVoided):
            self._change(record, position, event, (event.booking_id,))
        elif isinstance(event, BookingsMovedOut):
            self._change(record, position, event, event.booking_ids)
        elif isinstance(event, TicketClosed):
            held = [self.lines[b.booking_id] for b in self.ticket.live_bookings]
            held = [replace(line, booking=self._now(line.booking_id)) for line in held]
            self.closes.append(_Close(record, event, position, held))
            self.ticket.apply(event)
        elif isinstance(event, OwnerChanged):
            self.ticket.apply(event)
        # A TicketOpened after the first changes nothing (two tills opened the same ticket).

    def _join(self, booking: Booking, record: Recorded, position: int) -> None:
        if booking.booking_id not in self.lines:
            self.lines[booking.booking_id] = _Line(booking, record, position)

    def _change(
        self,
        record: Recorded,
        position: int,
        event: BookingVoided | BookingsMovedOut,
        booking_ids: tuple[str, ...],
    ) -> None:
        """A void or a move out: applied to the lines here; one of a line not here yet
        (its booking happened later by another till's clock) waits for it."""
        here = {b.booking_id for b in self.ticket.bookings}
        present = tuple(b for b in booking_ids if b in here)
        for booking_id in booking_ids:
            if booking_id not in here:
                self.pending.setdefault(booking_id, []).append((record, position, event))
        if present:
            self._apply_change(event, present)
            self.changes.append((record, position, present))

    def _apply_change(
        self, event: BookingVoided | BookingsMovedOut, booking_ids: tuple[str, ...]
    ) -> None:
        if isinstance(event, BookingVoided):
            self.ticket.apply(event)
        else:
            self.ticket.apply(replace(event, booking_ids=booking_ids))

    def _settle_pending(self, booking_id: str) -> None:
        for record, position, event in self.pending.pop(booking_id, []):
            self._apply_change(event, (booking_id,))
            self.changes.append((record, position, (booking_id,)))

    def _now(self, booking_id: str) -> Booking:
        return next(b for b in self.ticket.bookings if b.booking_id == booking_id)

    def _unknown_bookings(self) -> None:
        if self.unknown:
            return  # what it held is unknown: UNKNOWN_TICKET says so
        by_record: dict[tuple[Any, ...], tuple[Recorded, list[str]]] = {}
        for booking_id, waiting in self.pending.items():
            for record, _, _ in waiting:
                by_record.setdefault(record.order, (record, []))[1].append(booking_id)
        for record, missing in (by_record[k] for k in sorted(by_record)):
            event = record.event
            if isinstance(event, BookingVoided):
                message = (
                    f"Till {record.till_number} voided booking {event.booking_id}, which is "
                    f"not on ticket {self.ticket_id}."
                )
            else:
                message = (
                    f"Till {record.till_number} moved booking(s) {', '.join(missing)} away "
                    f"from ticket {self.ticket_id}, which does not hold them."
                )
            self._find(record, UNKNOWN_BOOKING, message)

    # -- the closes -------------------------------------------------------------------
    def _cover(self, keep_uncovered: bool) -> list[_Line]:
        """Decide what each close covers; return the live lines none covers (they go to
        the follow-up) and take them off this ticket."""
        if not self.closes:
            return []
        covered: set[str] = set()
        for number, close in enumerate(self.closes):
            close.covered = self._covered_by(close)
            covered |= close.covered
            if number:
                earlier = self.closes[0]
                self._find(
                    close.record,
                    TICKET_CLOSED_TWICE,
                    f"Ticket {self.ticket_id}{_table(self.ticket)} was paid on both sides: "
                    f"receipt {earlier.event.receipt_number} on till "
                    f"{earlier.record.till_number} "
                    f"and receipt {close.event.receipt_number} on till "
                    f"{close.record.till_number} ({close.event.total}); both receipts are "
                    "kept. Check whether to refund one.",
                )
        for record, position, booking_ids in self.changes:
            paid = [
                b
                for b in booking_ids
                if any(c.position < position and b in c.covered for c in self.closes)
            ]
            if paid:
                self._find(
                    record,
                    CHANGED_AFTER_CLOSE,
                    f"Till {record.till_number} {_describe(record.event)} on ticket "
                    f"{self.ticket_id} after it was closed; the change is kept. Check the "
                    "ticket.",
                )
        last = self.closes[-1]
        receipt = self.ticket.receipt
        if receipt is not None:
            as_held = {line.booking_id: line.booking for line in last.held}
            lines = [
                as_held.get(line.booking_id, line.booking)
                for line in self._in_order()
                if line.booking_id in last.covered
            ]
            self.ticket.receipt = replace(receipt, lines=tuple(lines))
        uncovered = [
            self.lines[b.booking_id]
            for b in self.ticket.live_bookings
            if b.booking_id not in covered
        ]
        if not uncovered or keep_uncovered:
            return []
        gone = {line.booking_id for line in uncovered}
        state = {b.booking_id: b for b in self.ticket.bookings}
        self.ticket.bookings = [b for b in self.ticket.bookings if b.booking_id not in gone]
        first = uncovered[0]
        follow_up = follow_up_id(self.ticket_id)
        self.findings.append(
            TicketFinding(
                ticket_id=follow_up,
                till_number=first.source.till_number,
                seq=first.source.seq,
                code=FOLLOW_UP_TICKET,
                message=(
                    f"Ticket {self.ticket_id}{_table(self.ticket)} was paid (receipt "
                    f"{self.closes[0].event.receipt_number}) without {len(uncovered)} "
                    f"line(s) booked on till {first.source.till_number} "
                    f"({_sum(line.booking for line in uncovered)}): they wait on the "
                    f"follow-up ticket {follow_up} to be paid or voided. Review it."
                ),
            )
        )
        return [replace(line, booking=state[line.booking_id]) for line in uncovered]

    def _covered_by(self, close: _Close) -> set[str]:
        """The closing till's own lines and the longest run of the others' lines, in the
        order they happened, whose sum makes the close's total; else what it held."""
        closer = close.record.till_number
        own = [line for line in close.held if line.source.till_number == closer]
        others = [line for line in close.held if line.source.till_number != closer]
        seen = {line.booking_id for line in close.held}
        later = [
            line
            for line in self._in_order()
            if line.position > close.position
            and line.source.till_number != closer
            and line.booking_id not in seen
        ]
        run = [*others, *later]
        due = close.event.total - _sum(line.booking for line in own)
        sums = [ZERO]
        for line in run:
            sums.append(sums[-1] + line.booking.amount)
        for length in range(len(run), -1, -1):
            if sums[length] == due:
                return {line.booking_id for line in [*own, *run[:length]]}
        if self.unknown:
            return seen  # its lines never reached the server: UNKNOWN_TICKET says so
        self._find(
            close.record,
            CLOSE_TOTAL_MISMATCH,
            f"Receipt {close.event.receipt_number} of till {closer} closed ticket "
            f"{self.ticket_id}{_table(self.ticket)} for {close.event.total}, but the lines "
            f"it held came to {_sum(line.booking for line in close.held)}. Check the receipt.",
        )
        return seen

    def _in_order(self) -> list[_Line]:
        return sorted(self.lines.values(), key=lambda line: line.position)

    def _find(self, record: Recorded, code: str, message: str) -> None:
        self.findings.append(
            TicketFinding(self.ticket_id, record.till_number, record.seq, code, message)
        )


def _sum(bookings: Any) -> Decimal:
    return sum((b.amount for b in bookings), ZERO)


def _table(ticket: Ticket) -> str:
    return f" (table {ticket.table})" if ticket.table is not None else ""


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
    if isinstance(event, OwnerChanged):
        return f"made operator {event.owner} the owner"
    return "opened a ticket"


__all__ = [
    "MAX_FOLLOW_UPS",
    "TICKET_FLAG_CODES",
    "Projection",
    "Recorded",
    "TicketFinding",
    "follow_up_chain",
    "follow_up_id",
    "project_family",
    "replay_ticket",
    "stand_in_opening",
]
