"""The mode of one link (server or fiscal operator): live, emergency mode and the way back.

Pure: driven by the heartbeat's verdicts, the cashier's choices and ``tick(now)``; time is a
float of monotonic seconds handed in. Every input returns the ``ModeChanged`` events it
produced, in order. R1.4-R1.6 and seed 000::

    LIVE --SUSPECT--> SUSPECT --UP--> LIVE                      (a blip: nothing to decide)
    LIVE | SUSPECT --DOWN--> OUTAGE_PENDING                     (the cashier's dialog)
    OUTAGE_PENDING --choose_emergency (allowed)--> EMERGENCY
    OUTAGE_PENDING --UP, allowed--> (dialog: back to live in 30 s) --tick--> LIVE   (R1.5)
    OUTAGE_PENDING --UP, not allowed--> LIVE                    (nothing to decide, nothing offline)
    OUTAGE_PENDING --UP, then choose_retry--> LIVE
    EMERGENCY --UP, local open tickets--> SERVER_AVAILABLE      (dialog: sync now or stay)
    EMERGENCY --UP, no local open tickets--> REINTEGRATING
    SERVER_AVAILABLE --choose_sync_now--> REINTEGRATING
    SERVER_AVAILABLE --choose_stay_offline--> EMERGENCY         (no dialog again until ...)
    EMERGENCY (stayed) --local open tickets reach 0, link up--> REINTEGRATING
    SERVER_AVAILABLE --local open tickets reach 0--> REINTEGRATING
    SERVER_AVAILABLE | REINTEGRATING --DOWN--> EMERGENCY        (keeps selling offline)
    REINTEGRATING --reintegration_done--> LIVE

Hysteresis lives in the heartbeat: a SUSPECT verdict never moves the till out of live
selling, and a SUSPECT verdict outside LIVE changes nothing. ``SERVER_AVAILABLE`` means
"the watched peer is reachable again"; the fiscal-operator link uses the same machine.

Sales (invariant 1 and R1.4). In LIVE and SUSPECT a sale is a live sale. In EMERGENCY,
SERVER_AVAILABLE and REINTEGRATING it takes the emergency range (``sales_offline``): the
till is in emergency mode until its local data is merged. In OUTAGE_PENDING, while the
link is down, closing a ticket is refused at once with a clear message (``sale_refusal``):
nothing may go offline without the cashier's decision (R1.4: "not allowed" means nothing
offline, and "allowed" is an offer, not a default). The refusal costs one tap on the dialog
that is already on screen and never waits on the network. Once the link is back during
the 30 s countdown, sales are live again: the server answers, so nothing needs refusing.

The plain-text log (R1.1) holds two kinds of lines: link lines from
``heartbeat.verdict_words`` (``ONLINE``, ``OFFLINE NO PING`` exactly as in the seed) and
mode lines from ``mode_words`` (``EMERGENCY MODE STARTED``, ``LIVE MODE (AUTO RETURN AFTER
30 S)``), both through ``heartbeat.format_log_line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from autonom.domain.errors import EMERGENCY_NOT_ALLOWED as EMERGENCY_NOT_ALLOWED
from autonom.domain.errors import OUTAGE_UNDECIDED as OUTAGE_UNDECIDED
from autonom.domain.errors import Refusal
from autonom.till.domain.heartbeat import Health, Reason, Verdict


class Mode(StrEnum):
    LIVE = "live"
    SUSPECT = "suspect"
    OUTAGE_PENDING = "outage_pending"
    EMERGENCY = "emergency"
    SERVER_AVAILABLE = "server_available"
    REINTEGRATING = "reintegrating"


class ChangeReason(StrEnum):
    """Why the mode changed; the first three are the heartbeat's reasons (link lost)."""

    NO_PING = "NO_PING"
    NO_APP = "NO_APP"
    NO_DB = "NO_DB"
    BLIP_ABSORBED = "BLIP_ABSORBED"
    LINK_BACK = "LINK_BACK"
    RETRY_CHOSEN = "RETRY_CHOSEN"
    AUTO_RETURN = "AUTO_RETURN"
    EMERGENCY_CHOSEN = "EMERGENCY_CHOSEN"
    LOCAL_OPEN_TICKETS = "LOCAL_OPEN_TICKETS"
    NO_LOCAL_OPEN_TICKETS = "NO_LOCAL_OPEN_TICKETS"
    SYNC_CHOSEN = "SYNC_CHOSEN"
    STAY_CHOSEN = "STAY_CHOSEN"
    LOCAL_TICKETS_CLOSED = "LOCAL_TICKETS_CLOSED"
    REINTEGRATED = "REINTEGRATED"


@dataclass(frozen=True)
class StationSettings:
    """Per-till settings kept on the server and cached on the till (R1.4, R1.5)."""

    emergency_allowed: bool
    auto_return_s: float = 30.0


@dataclass(frozen=True)
class ModeChanged:
    """The mode of a link changed at monotonic time ``at``."""

    from_state: Mode
    to_state: Mode
    reason: ChangeReason
    at: float


class Choice(StrEnum):
    EMERGENCY = "emergency"
    RETRY = "retry"  # also "back to live now" during the automatic-return countdown
    SYNC_NOW = "sync_now"
    STAY_OFFLINE = "stay_offline"


class DialogKind(StrEnum):
    EMERGENCY_OR_RETRY = "emergency_or_retry"
    EMERGENCY_NOT_ALLOWED = "emergency_not_allowed"
    AUTO_RETURN = "auto_return"
    SERVER_AVAILABLE = "server_available"


@dataclass(frozen=True)
class Dialog:
    """What the cashier page must ask; the page words it in the cashier's language."""

    kind: DialogKind
    choices: tuple[Choice, ...]
    reason: Reason | None = None
    auto_return_at: float | None = None
    local_open_tickets: int = 0


class NoticeKind(StrEnum):
    AUTO_RETURNED = "auto_returned"  # R1.5: back in live mode by itself
    LINK_BACK = "link_back"  # emergency mode not allowed: the link is back, sell again
    REINTEGRATED = "reintegrated"  # the local documents are merged: live mode again


@dataclass(frozen=True)
class Notice:
    """An information for the cashier that needs no answer; cleared by the next change."""

    kind: NoticeKind
    at: float


_EPSILON_S = 1e-9  # the countdown ends at 30 s even when float sums land a hair below
_OFFLINE_SALES = frozenset({Mode.EMERGENCY, Mode.SERVER_AVAILABLE, Mode.REINTEGRATING})


class LinkMode:
    """The mode state machine of one link; see the module docstring for its edges.

    A till restarted in emergency mode passes ``emergency=True``: the cashier already chose,
    so the first UP verdict leads to SERVER_AVAILABLE or REINTEGRATING (R1.6: "at the next
    restart without local tickets live mode returns"); a "stay" choice does not survive it.
    """

    def __init__(
        self,
        settings: StationSettings,
        *,
        emergency: bool = False,
        local_open_tickets: int = 0,
    ) -> None:
        if local_open_tickets < 0:
            raise ValueError("local_open_tickets must not be negative")
        self.settings = settings
        self._state = Mode.EMERGENCY if emergency else Mode.LIVE
        # None: not known since a restart; SUSPECT verdicts never change it (hysteresis).
        self._link_up: bool | None = None if emergency else True
        self._down_reason: Reason | None = None
        self._auto_return_at: float | None = None
        self._stay_chosen = False
        self._local_open_tickets = local_open_tickets
        self._notice: Notice | None = None

    # -- what the page needs ---------------------------------------------------------------

    @property
    def state(self) -> Mode:
        return self._state

    @property
    def local_open_tickets(self) -> int:
        return self._local_open_tickets

    @property
    def notice(self) -> Notice | None:
        return self._notice

    @property
    def dialog(self) -> Dialog | None:
        """The question on the page now, or None."""
        if self._state is Mode.SERVER_AVAILABLE:
            return Dialog(
                DialogKind.SERVER_AVAILABLE,
                (Choice.SYNC_NOW, Choice.STAY_OFFLINE),
                local_open_tickets=self._local_open_tickets,
            )
        if self._state is not Mode.OUTAGE_PENDING:
            return None
        if self._auto_return_at is not None:
            return Dialog(
                DialogKind.AUTO_RETURN,
                (Choice.RETRY,),
                self._down_reason,
                auto_return_at=self._auto_return_at,
            )
        if self.settings.emergency_allowed:
            return Dialog(
                DialogKind.EMERGENCY_OR_RETRY, (Choice.EMERGENCY, Choice.RETRY), self._down_reason
            )
        return Dialog(DialogKind.EMERGENCY_NOT_ALLOWED, (Choice.RETRY,), self._down_reason)

    @property
    def sales_offline(self) -> bool:
        """True when a receipt must take the emergency range and the offline mark."""
        return self._state in _OFFLINE_SALES

    @property
    def sales_allowed(self) -> bool:
        """False only while an outage waits for the cashier's decision (see ``sale_refusal``)."""
        return self.sale_refusal() is None

    def sale_refusal(self) -> Refusal | None:
        """The refusal a ticket close gets now, or None when a sale may be closed."""
        if self._state is not Mode.OUTAGE_PENDING or self._auto_return_at is not None:
            return None
        if self.settings.emergency_allowed:
            return Refusal(
                OUTAGE_UNDECIDED,
                "The connection is lost. Choose emergency mode or retry, then close the ticket.",
                409,
            )
        return Refusal(
            EMERGENCY_NOT_ALLOWED,
            "The connection is lost and emergency mode is not allowed on this till. "
            "Retry when the connection is back.",
            409,
        )

    def dismiss_notice(self) -> None:
        """The cashier has read the notice."""
        self._notice = None

    # -- inputs ----------------------------------------------------------------------------

    def on_verdict(self, verdict: Verdict, now: float) -> list[ModeChanged]:
        """The heartbeat's verdict on the link (repeating one is harmless)."""
        events = self._advance(now)
        if verdict.health is Health.SUSPECT:
            if self._state is Mode.LIVE:
                self._go(Mode.SUSPECT, _lost(verdict), now, events)
        elif verdict.health is Health.DOWN:
            self._link_down(verdict, now, events)
        else:
            self._link_back(now, events)
        return events

    def choose_emergency(self, now: float) -> list[ModeChanged]:
        """The cashier chose emergency mode in the outage dialog."""
        events = self._advance(now)
        if self._offers(Choice.EMERGENCY):
            self._go(Mode.EMERGENCY, ChangeReason.EMERGENCY_CHOSEN, now, events)
        return events

    def choose_retry(self, now: float) -> list[ModeChanged]:
        """The cashier chose retry: back to live if the link is up, else the dialog stays."""
        events = self._advance(now)
        if self._offers(Choice.RETRY) and self._link_up:
            self._go(Mode.LIVE, ChangeReason.RETRY_CHOSEN, now, events)
        return events

    def choose_sync_now(self, now: float) -> list[ModeChanged]:
        """The cashier chose to synchronise the local documents now (R1.6)."""
        events = self._advance(now)
        if self._offers(Choice.SYNC_NOW):
            self._go(Mode.REINTEGRATING, ChangeReason.SYNC_CHOSEN, now, events)
        return events

    def choose_stay_offline(self, now: float) -> list[ModeChanged]:
        """The cashier chose to stay in emergency mode until the local tickets are closed."""
        events = self._advance(now)
        if self._offers(Choice.STAY_OFFLINE):
            self._stay_chosen = True
            self._go(Mode.EMERGENCY, ChangeReason.STAY_CHOSEN, now, events)
        return events

    def local_open_tickets_changed(self, count: int, now: float) -> list[ModeChanged]:
        """The number of tickets opened locally in emergency mode and still open."""
        if count < 0:
            raise ValueError("count must not be negative")
        events = self._advance(now)
        self._local_open_tickets = count
        if count == 0 and self._link_up and self._state in (Mode.SERVER_AVAILABLE, Mode.EMERGENCY):
            self._go(Mode.REINTEGRATING, ChangeReason.LOCAL_TICKETS_CLOSED, now, events)
        return events

    def reintegration_done(self, now: float) -> list[ModeChanged]:
        """Every local document is merged on the peer: live mode again."""
        events = self._advance(now)
        if self._state is Mode.REINTEGRATING:
            self._go(Mode.LIVE, ChangeReason.REINTEGRATED, now, events)
            self._notice = Notice(NoticeKind.REINTEGRATED, now)
        return events

    def tick(self, now: float) -> list[ModeChanged]:
        """Let time pass: the automatic return to live mode (R1.5)."""
        return self._advance(now)

    # -- the edges -------------------------------------------------------------------------

    def _advance(self, now: float) -> list[ModeChanged]:
        events: list[ModeChanged] = []
        if self._auto_return_at is not None and now + _EPSILON_S >= self._auto_return_at:
            self._go(Mode.LIVE, ChangeReason.AUTO_RETURN, now, events)
            self._notice = Notice(NoticeKind.AUTO_RETURNED, now)
        return events

    def _link_down(self, verdict: Verdict, now: float, events: list[ModeChanged]) -> None:
        self._link_up = False
        self._down_reason = verdict.reason or Reason.NO_PING
        self._auto_return_at = None  # the link fell again during the countdown
        if self._state in (Mode.LIVE, Mode.SUSPECT):
            self._go(Mode.OUTAGE_PENDING, _lost(verdict), now, events)
        elif self._state in (Mode.SERVER_AVAILABLE, Mode.REINTEGRATING):
            # The cashier chose emergency mode once; selling goes on offline without asking.
            self._go(Mode.EMERGENCY, _lost(verdict), now, events)

    def _link_back(self, now: float, events: list[ModeChanged]) -> None:
        self._link_up = True
        match self._state:
            case Mode.SUSPECT:
                self._go(Mode.LIVE, ChangeReason.BLIP_ABSORBED, now, events)
            case Mode.OUTAGE_PENDING if not self.settings.emergency_allowed:
                # Nothing to decide and nothing offline: waiting 30 s would only block sales.
                self._go(Mode.LIVE, ChangeReason.LINK_BACK, now, events)
                self._notice = Notice(NoticeKind.LINK_BACK, now)
            case Mode.OUTAGE_PENDING if self._auto_return_at is None:
                self._auto_return_at = now + self.settings.auto_return_s
            case Mode.EMERGENCY if self._local_open_tickets == 0:
                self._go(Mode.REINTEGRATING, ChangeReason.NO_LOCAL_OPEN_TICKETS, now, events)
            case Mode.EMERGENCY if not self._stay_chosen:
                self._go(Mode.SERVER_AVAILABLE, ChangeReason.LOCAL_OPEN_TICKETS, now, events)
            case _:
                pass

    def _offers(self, choice: Choice) -> bool:
        # A choice the dialog no longer offers is a stale tap (the countdown ended, the link
        # fell again): it changes nothing.
        dialog = self.dialog
        return dialog is not None and choice in dialog.choices

    def _go(self, to: Mode, reason: ChangeReason, now: float, events: list[ModeChanged]) -> None:
        events.append(ModeChanged(self._state, to, reason, now))
        self._state = to
        self._notice = None
        if to is not Mode.OUTAGE_PENDING:
            self._auto_return_at = None
        if to in (Mode.REINTEGRATING, Mode.LIVE):
            self._stay_chosen = False


def _lost(verdict: Verdict) -> ChangeReason:
    return ChangeReason((verdict.reason or Reason.NO_PING).value)


_WORDS = {
    ChangeReason.BLIP_ABSORBED: "LIVE MODE (BLIP ABSORBED)",
    ChangeReason.LINK_BACK: "LIVE MODE (LINK BACK)",
    ChangeReason.RETRY_CHOSEN: "LIVE MODE (RETRY)",
    ChangeReason.EMERGENCY_CHOSEN: "EMERGENCY MODE STARTED",
    ChangeReason.LOCAL_OPEN_TICKETS: "AVAILABLE AGAIN WITH LOCAL OPEN TICKETS: SYNC NOW OR STAY",
    ChangeReason.NO_LOCAL_OPEN_TICKETS: "REINTEGRATION STARTED (NO LOCAL OPEN TICKETS)",
    ChangeReason.SYNC_CHOSEN: "REINTEGRATION STARTED (SYNC NOW)",
    ChangeReason.STAY_CHOSEN: "EMERGENCY MODE KEPT UNTIL LOCAL TICKETS ARE CLOSED",
    ChangeReason.LOCAL_TICKETS_CLOSED: "REINTEGRATION STARTED (LOCAL TICKETS CLOSED)",
    ChangeReason.REINTEGRATED: "LIVE MODE (REINTEGRATED)",
}


def mode_words(change: ModeChanged, *, auto_return_s: float = 30.0) -> str:
    """The log words of a mode change (R1.1), e.g. ``EMERGENCY MODE STARTED``."""
    if change.reason is ChangeReason.AUTO_RETURN:
        return f"LIVE MODE (AUTO RETURN AFTER {auto_return_s:g} S)"
    if change.reason in _WORDS:
        return _WORDS[change.reason]
    lost = Reason(change.reason.value).words
    match change.to_state:
        case Mode.SUSPECT:
            return f"LIVE MODE, LINK SUSPECT ({lost})"
        case Mode.OUTAGE_PENDING:
            return f"OUTAGE ({lost}), WAITING FOR THE CASHIER"
        case _:
            return f"EMERGENCY MODE GOES ON ({lost})"
