"""The server's own rules, pure: the push (which operations are new, which batches are
refused), the findings that become flags, rebuilding a ticket from its events, and the
heartbeat's events. No database, no clock, no HTTP; the service layer calls them."""

from autonom.server.domain.findings import (
    Finding,
    TicketFacts,
    day_close_findings,
    findings,
)
from autonom.server.domain.heartbeat import QUIET_AFTER_S, new_events, quiet_for
from autonom.server.domain.projection import replay_ticket, stand_in_opening
from autonom.server.domain.push import (
    PushPlan,
    check_events,
    op_ids_reused,
    plan_push,
    sequence_gap,
)

__all__ = [
    "QUIET_AFTER_S",
    "Finding",
    "PushPlan",
    "TicketFacts",
    "check_events",
    "day_close_findings",
    "findings",
    "new_events",
    "op_ids_reused",
    "plan_push",
    "quiet_for",
    "replay_ticket",
    "sequence_gap",
    "stand_in_opening",
]
