"""The heartbeat report (R1.1-R1.6): a till tells the server its mode, its activity and the
changes it logged; the server answers with the till's station settings and the backends
behind it that are down.

The till sends ``POST /api/v1/tills/{n}/heartbeat`` every few seconds while the server is
reachable. ``events`` are the till's mode-log entries not yet confirmed, in ``seq`` order;
the server keeps each once (a resent event is skipped) and answers the highest ``seq`` it
holds, so the till marks them sent. The answer carries the station settings kept on the
server for that till, which the till caches: a changed setting reaches it within seconds.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Count, Inbound, Moment, Seq
from autonom.contracts.sync import Versioned
from autonom.domain import limits

ModeName = Literal[
    "live", "suspect", "outage_pending", "emergency", "server_available", "reintegrating"
]
"""The mode of a till's link (``autonom.till.domain.Mode`` values)."""

LinkName = Literal["server", "fiscal_operator", "activity"]
"""What an event is about: a watched link, or the till's own application loop (R1.3)."""

ActivityName = Literal["alive", "stalled"]

MAX_EVENTS = 500


class StationSettingsPublic(BaseModel):
    """Per-till settings kept on the server (R1.4, R1.5)."""

    emergency_allowed: bool = Field(
        default=True, description="may the cashier switch to emergency mode when the link is lost"
    )
    auto_return_s: int = Field(
        default=30,
        ge=5,
        le=600,
        description="seconds after which the till returns to live mode by itself when the "
        "server is back before the cashier decided (R1.5)",
    )


class ModeEventIn(Inbound):
    """One line of the till's plain-text log, as the till recorded it."""

    seq: Seq = Field(description="gapless per till from 1")
    at: Moment = Field(description="the till's wall time of the change")
    link: LinkName
    words: Annotated[
        str, Field(min_length=1, max_length=limits.MAX_LOG_WORDS_LENGTH), NO_CONTROL_CHARACTERS
    ] = Field(description="e.g. OFFLINE NO PING")
    state: Annotated[
        str, Field(min_length=1, max_length=limits.MAX_LOG_STATE_LENGTH), NO_CONTROL_CHARACTERS
    ] = Field(
        description="after the change: a mode (link server), a health (fiscal_operator) "
        "or an activity (activity)"
    )


class HeartbeatReport(Versioned):
    mode: ModeName
    activity: ActivityName
    unsent_operations: Count
    events: list[ModeEventIn] = Field(default_factory=list, max_length=MAX_EVENTS)

    @field_validator("events")
    @classmethod
    def _consecutive(cls, events: list[ModeEventIn]) -> list[ModeEventIn]:
        """A till reports its unsent log lines in order, each once and without a hole."""
        for before, after in pairwise(events):
            if after.seq != before.seq + 1:
                raise ValueError(
                    f"event {after.seq} follows event {before.seq}; a report carries "
                    "consecutive events in ascending seq, each once"
                )
        return events


class HeartbeatAck(BaseModel):
    events_through: int = Field(description="the highest event seq the server holds")
    station_settings: StationSettingsPublic
    backends_down: list[str] = Field(
        default_factory=list,
        description="the backends behind the server that are down now (payment_provider, "
        "webshop, ticketing): the till refuses the functions that need them (R2.4); an "
        "older server sends none",
    )


class ModeEventPublic(ModeEventIn):
    """An event as the server keeps it, with the time it arrived."""

    model_config = ConfigDict(extra="ignore")

    till_number: int
    received_at: datetime
