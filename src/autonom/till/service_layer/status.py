"""The status line's facts (R2.7): the mode and its dialog, the icon, registration, upload
problems, unsent counts and the master data — decided here once for the page, the JSON API
and the error page. Read through a read-only unit of work: a status poll never waits for
a sale, nor a sale for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from autonom.till.domain import (
    Activity,
    Choice,
    DialogKind,
    Health,
    Mode,
    NoticeKind,
    Reason,
)
from autonom.till.domain.capabilities import MATRIX, Situation, decide
from autonom.till.domain.reintegration import PlannedTicket
from autonom.till.service_layer.modes import ModeView
from autonom.till.service_layer.progress import ProgressTracker, SyncProgress
from autonom.till.service_layer.snapshot import LinkState
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork
from autonom.till.service_layer.uploader import PushRefused, UploadState

StatusIcon = Literal["synced", "unsent", "outage", "returning", "emergency", "operator_unreachable"]
"""The status icon (R2.7): live and in sync, live with unsent documents, the server lost
and the cashier's decision awaited, the server back and live mode returning by itself
(R1.5: never "server lost" beside "the server answers again"), emergency mode (until the
local documents are merged), the fiscal operator unreachable (live otherwise)."""


@dataclass(frozen=True)
class DialogFacts:
    """The question the cashier must answer (R1.4-R1.6), in plain words: why (``cause``,
    the technical ``reason`` one click away) and what emergency mode stops (``stops``: the
    functions the capability matrix refuses there, by title)."""

    kind: DialogKind
    choices: tuple[Choice, ...]
    reason: Reason | None
    auto_return_in_s: float | None
    local_open_tickets: int
    cause: str
    stops: tuple[str, ...]
    # "Server available again": each local open ticket and what synchronising does to it
    # (R3.2: moves 1:1, merges with the server's ticket of its table, …).
    plan: tuple[PlannedTicket, ...] = ()


@dataclass(frozen=True)
class StatusLine:
    """What the status line shows, at one moment."""

    till_number: int
    registered: bool
    mode: Mode
    icon: StatusIcon
    server_link: Health | None
    operator_link: Health | None
    activity: Activity
    emergency_allowed: bool
    auto_return_s: float
    dialog: DialogFacts | None
    notice: NoticeKind | None
    emergency_mode: bool
    server_problem: str | None
    upload_problem: str | None
    # The push the server refused (issue 9): its code, what happened, what to do; the till
    # keeps selling, its operations wait in the outbox.
    push_refused: PushRefused | None
    unsent_operations: int
    unsent_receipts: int
    master_data_version: int | None
    master_data_at: datetime | None
    master_data_stale: bool  # older than the till's warning age (R2.2): refresh before an outage
    items: int
    operators: int
    sync: SyncProgress | None  # a reintegration under way: done of total, rate, time left


def status_line(
    uow: TillReadUnitOfWork,
    *,
    view: ModeView,
    link: LinkState,
    upload: UploadState,
    now: datetime,
    stale_after: timedelta,
    progress: ProgressTracker,
    plan: tuple[PlannedTicket, ...] = (),
) -> StatusLine:
    """The status line from one read of the till's data and the mode's ``view``; the
    snapshot is stale when fetched more than ``stale_after`` before ``now``."""
    with uow:
        info = uow.master_data.info()
        unsent = uow.outbox.unsent_count()
        unsent_receipts = uow.outbox.unsent_receipt_count()
    return StatusLine(
        till_number=uow.till_number,
        registered=link.registered,
        mode=view.mode,
        icon=status_icon(view, unsent),
        server_link=view.server_link,
        operator_link=view.operator_link,
        activity=view.activity,
        emergency_allowed=view.settings.emergency_allowed,
        auto_return_s=view.settings.auto_return_s,
        dialog=_dialog(view, plan),
        notice=view.notice.kind if view.notice else None,
        emergency_mode=view.sales_offline,
        server_problem=link.problem,
        upload_problem=upload.last_error,
        push_refused=upload.refusal,
        unsent_operations=unsent,
        unsent_receipts=unsent_receipts,
        master_data_version=info.version,
        master_data_at=info.fetched_at,
        master_data_stale=info.fetched_at is not None and now - info.fetched_at > stale_after,
        items=info.items,
        operators=info.operators,
        sync=progress.observe(view.mode, unsent),
    )


def status_icon(view: ModeView, unsent: int) -> StatusIcon:
    """Emergency first, then an undecided outage, the fiscal operator, unsent documents."""
    if view.sales_offline:
        return "emergency"
    if view.mode is Mode.OUTAGE_PENDING:
        returning = view.dialog is not None and view.dialog.kind is DialogKind.AUTO_RETURN
        return "returning" if returning else "outage"
    if view.operator_link is Health.DOWN:
        return "operator_unreachable"
    return "unsent" if unsent else "synced"


def _dialog(view: ModeView, plan: tuple[PlannedTicket, ...]) -> DialogFacts | None:
    if view.dialog is None:
        return None
    return DialogFacts(
        kind=view.dialog.kind,
        choices=tuple(view.dialog.choices),
        reason=view.dialog.reason,
        auto_return_in_s=view.auto_return_in_s,
        local_open_tickets=view.dialog.local_open_tickets,
        cause=(view.dialog.reason or Reason.NO_PING).plain,
        stops=EMERGENCY_STOPS,
        plan=plan if view.dialog.kind is DialogKind.SERVER_AVAILABLE else (),
    )


# What emergency mode stops, as the dialog lists it: the matrix's refusals there.
EMERGENCY_STOPS = tuple(
    row.title for f, row in MATRIX.items() if decide(f, {Situation.EMERGENCY}).refused
)
