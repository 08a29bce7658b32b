"""What reintegration will do to each of the till's local open tickets (R3.2, point 6 of
issue 9), decided from what the server holds: the "server available again" dialog lists
it, and "synchronise now" does it. Pure: the service layer asks the server and hands in
what it said.

* a ticket only here (opened in emergency mode, its table free on the server) moves to the
  server as it is, 1:1 (``MOVE``);
* a ticket opened here on a table the server holds another open ticket of is merged into
  that one, and the operator who booked offline becomes its owner (``MERGE``);
* a ticket of the server's (adopted before the outage) that is still open there takes its
  ``OFF`` lines back, the operator who booked them becoming its owner (``JOIN``);
* one paid on another till meanwhile: its ``OFF`` lines become a follow-up ticket for
  review on the server (``FOLLOW_UP``);
* the server did not answer: decided when the till synchronises (``UNKNOWN``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from autonom.domain import Ticket


class Fate(StrEnum):
    MOVE = "move"
    MERGE = "merge"
    JOIN = "join"
    FOLLOW_UP = "follow_up"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ServerTicket:
    """A ticket as the server showed it: enough to say what happens to a local one."""

    ticket_id: str
    table: int | None
    till_number: int
    status: str  # open, closed, moved
    total: Decimal


@dataclass(frozen=True)
class PlannedTicket:
    """One local open ticket and what reintegration does to it."""

    ticket_id: str
    table: int | None
    total: Decimal
    lines: int
    off_lines: int
    owner: int  # its owner after reintegration (R3.2: who booked offline)
    fate: Fate
    server: ServerTicket | None = None  # the server's ticket it merges with or joins

    @property
    def where(self) -> str:
        return f"Table {self.table}" if self.table is not None else "Counter ticket"

    @property
    def words(self) -> str:
        """What happens to it, in the cashier's words."""
        off = f"{self.off_lines} OFF line{'' if self.off_lines == 1 else 's'}"
        if self.fate is Fate.MERGE and self.server is not None:
            return (
                f"merges with the server's ticket of table {self.server.table} (till "
                f"{self.server.till_number}, {self.server.total:.2f}); operator {self.owner} "
                f"becomes its owner, the {off} keep their mark"
            )
        if self.fate is Fate.JOIN:
            return f"its {off} go to the server's ticket; operator {self.owner} becomes its owner"
        if self.fate is Fate.FOLLOW_UP:
            return (
                f"was paid on another till meanwhile: its {off} wait on a follow-up ticket, "
                "flagged for review"
            )
        if self.fate is Fate.UNKNOWN:
            return "the server did not answer: decided when you synchronise"
        return "moves to the server as it is"


def plan_reintegration(
    local: Sequence[tuple[Ticket, bool]],
    server_open: Sequence[ServerTicket] | None,
    server_held: Mapping[str, ServerTicket | None],
) -> tuple[PlannedTicket, ...]:
    """What happens to each of ``local`` (the local open tickets, each with whether it was
    adopted from the server) given the server's open tickets (``server_open``, None when
    the server did not answer) and how it holds those it had before the outage
    (``server_held``: the adopted ones and this till's own opened live; see
    ``held_before``)."""
    mine = {ticket.ticket_id for ticket, _ in local}
    at_table: dict[int, ServerTicket] = {}
    for shown in server_open or ():
        if shown.table is not None and shown.ticket_id not in mine:
            at_table.setdefault(shown.table, shown)  # the oldest: the one tills are given
    planned = []
    for ticket, adopted in local:
        offline_owner = ticket.offline_owner
        fate, server = _fate(ticket, adopted, server_open is None, at_table, server_held)
        owner = ticket.owner
        if fate in (Fate.MERGE, Fate.JOIN) and offline_owner is not None:
            owner = offline_owner
        planned.append(
            PlannedTicket(
                ticket_id=ticket.ticket_id,
                table=ticket.table,
                total=ticket.total,
                lines=len(ticket.live_bookings),
                off_lines=len(ticket.offline_lines),
                owner=owner,
                fate=fate,
                server=server,
            )
        )
    return tuple(planned)


def held_before(ticket: Ticket, adopted: bool) -> bool:
    """Whether the server had the ticket before the outage (adopted from it, or opened
    here live): then the server is asked how it holds it now."""
    return adopted or not ticket.offline


def _fate(
    ticket: Ticket,
    adopted: bool,
    unanswered: bool,
    at_table: Mapping[int, ServerTicket],
    server_held: Mapping[str, ServerTicket | None],
) -> tuple[Fate, ServerTicket | None]:
    if unanswered:
        return Fate.UNKNOWN, None
    held = server_held.get(ticket.ticket_id) if held_before(ticket, adopted) else None
    if held is not None and held.status == "open":
        return Fate.JOIN, held
    if held is not None and held.status == "closed":
        return Fate.FOLLOW_UP, held
    other = at_table.get(ticket.table) if ticket.table is not None else None
    if other is not None:
        return Fate.MERGE, other
    return Fate.MOVE, None
