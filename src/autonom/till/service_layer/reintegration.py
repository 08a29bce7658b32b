"""Reintegration on the till (R3.2, issue 9 point 6): what happens to each local open
ticket when the till synchronises, asked of the server for the "server available again"
dialog (``plan``), and the merges the till records when the cashier chooses "synchronise
now" (``synchronise``).

The till records the merge in its own log — the moves of its lines onto the server's
ticket of the same table and the owner change (``OwnerChanged``) — so it reaches the
server exactly once like every operation, and the till holds the merged table at once.
The server's rules (``autonom.server.domain.projection``) do the rest whatever the order
of arrival: a table paid meanwhile gets a follow-up ticket for the ``OFF`` lines.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from autonom.contracts import TicketPublic
from autonom.domain import Refusal
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain.reintegration import (
    Fate,
    PlannedTicket,
    ServerTicket,
    held_before,
    plan_reintegration,
)
from autonom.till.service_layer import handlers
from autonom.till.service_layer.handlers import SharedTables
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork

log = structlog.get_logger(__name__)

PLAN_FRESH_S = 3.0  # the dialog's list is asked of the server at most this often


@dataclass(frozen=True)
class _Asked:
    plan: tuple[PlannedTicket, ...]
    shown: dict[str, TicketPublic]  # the server's tickets the plan names, by id
    at: float


class Reintegration:
    """See the module docstring; safe to call from any thread."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], TillUnitOfWork],
        reading: Callable[[], TillReadUnitOfWork],
        tables: SharedTables,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._unit_of_work = unit_of_work
        self._reading = reading
        self._tables = tables
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last: _Asked | None = None

    def plan(self) -> tuple[PlannedTicket, ...]:
        """What synchronising would do to each local open ticket now (the dialog's list),
        asked of the server at most every few seconds."""
        last = self._last
        if last is not None and self._monotonic() - last.at < PLAN_FRESH_S:
            return last.plan
        if not self._lock.acquire(blocking=False):  # being asked: the last answer meanwhile
            return last.plan if last is not None else ()
        try:
            self._last = self._ask()
            return self._last.plan
        finally:
            self._lock.release()

    def synchronise(self) -> tuple[PlannedTicket, ...]:
        """Record what the plan says, asked of the server afresh: each ticket to merge is
        merged into the server's ticket of its table; one the server holds too takes the
        offline operator as owner, or is seen as paid there. Returns the plan carried out;
        what the server did not answer about is left for the live till (R3.2: a table
        opened live is merged then)."""
        with self._lock:
            asked = self._ask()
            for planned in asked.plan:
                shown = asked.shown.get(planned.server.ticket_id) if planned.server else None
                if shown is None:
                    continue
                try:
                    if planned.fate is Fate.MERGE:
                        handlers.merge_into_server_ticket(
                            planned.ticket_id, shown, self._unit_of_work()
                        )
                    elif planned.fate in (Fate.JOIN, Fate.FOLLOW_UP):
                        handlers.hand_over_to_server(planned.ticket_id, shown, self._unit_of_work())
                except Refusal as refusal:  # e.g. the ticket was paid here meanwhile
                    log.info("not merged", ticket_id=planned.ticket_id, code=refusal.code)
            self._last = None
            log.info(
                "reintegration merges recorded",
                merged=sum(p.fate is Fate.MERGE for p in asked.plan),
                moved=sum(p.fate is Fate.MOVE for p in asked.plan),
            )
            return asked.plan

    def _ask(self) -> _Asked:
        with self._reading() as uow:
            local = [(t, uow.tickets.is_shared(t.ticket_id)) for t in uow.tickets.list_local_open()]
        shown: dict[str, TicketPublic] = {}
        try:
            server_open = self._tables.open_tickets()
            shown |= {t.ticket_id: t for t in server_open}
            for ticket, adopted in local:
                if held_before(ticket, adopted) and ticket.ticket_id not in shown:
                    held = self._tables.ticket(ticket.ticket_id)
                    if held is not None:
                        shown[held.ticket_id] = held
        except (ServerUnreachable, Refusal) as problem:
            log.info("reintegration plan: the server did not answer", problem=str(problem))
            plan = plan_reintegration(local, None, {})
            return _Asked(plan, {}, self._monotonic())
        plan = plan_reintegration(
            local,
            [_server_ticket(t) for t in server_open],
            {ticket_id: _server_ticket(t) for ticket_id, t in shown.items()},
        )
        return _Asked(plan, shown, self._monotonic())


def _server_ticket(ticket: TicketPublic) -> ServerTicket:
    return ServerTicket(
        ticket_id=ticket.ticket_id,
        table=ticket.table,
        till_number=ticket.till_number,
        status=ticket.status,
        total=ticket.total,
    )
