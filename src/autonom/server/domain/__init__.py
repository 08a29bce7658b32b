"""The server's own rules, pure: the push (which operations are new, which batches are
refused), rebuilding tickets by the merge rules (R3.2) with the findings they raise, the
other findings that become flags, the sync report (R3.3) and the heartbeat's events. No
database, no clock, no HTTP; the service layer calls them."""

from autonom.server.domain.findings import Finding, day_close_findings, receipt_findings
from autonom.server.domain.heartbeat import QUIET_AFTER_S, new_events, quiet_for
from autonom.server.domain.projection import (
    TICKET_FLAG_CODES,
    Projection,
    Recorded,
    TicketFinding,
    follow_up_chain,
    follow_up_id,
    project_family,
    replay_ticket,
    stand_in_opening,
)
from autonom.server.domain.push import (
    LogChoice,
    PushPlan,
    TillLog,
    check_events,
    op_ids_reused,
    place_unknown_log,
    plan_push,
    sequence_gap,
)
from autonom.server.domain.sync_report import ReportScope, build_sync_report

__all__ = [
    "QUIET_AFTER_S",
    "TICKET_FLAG_CODES",
    "Finding",
    "LogChoice",
    "Projection",
    "PushPlan",
    "Recorded",
    "ReportScope",
    "TicketFinding",
    "TillLog",
    "build_sync_report",
    "check_events",
    "day_close_findings",
    "follow_up_chain",
    "follow_up_id",
    "new_events",
    "op_ids_reused",
    "place_unknown_log",
    "plan_push",
    "project_family",
    "quiet_for",
    "receipt_findings",
    "replay_ticket",
    "sequence_gap",
    "stand_in_opening",
]
