"""The push protocol (docs/sync-protocol.md): a till's operation log, in order, exactly once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, Field, TypeAdapter

from autonom.domain.events import Event

MAX_BATCH = 500

WireEvent = Annotated[Event, Field(discriminator="kind")]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(WireEvent)


class Operation(BaseModel):
    """One entry of a till's operation log. ``seq`` is gapless per till from 1; ``op_id``
    is unique world-wide; ``recorded_at`` is the till's wall time when it was committed."""

    seq: int = Field(ge=1)
    op_id: UUID
    recorded_at: datetime
    event: WireEvent


class PushBatch(BaseModel):
    operations: list[Operation] = Field(min_length=1, max_length=MAX_BATCH)


class PushResult(BaseModel):
    """``applied_through`` is the highest sequence the server holds for the till after this push."""

    applied_through: int
    applied: int
    skipped: int


class TillPosition(BaseModel):
    till_number: int
    applied_through: int


class TillRegistration(BaseModel):
    name: str = Field(default="", max_length=80)
    enrolment_code: str | None = Field(default=None, max_length=200)


class TillRegistered(BaseModel):
    till_number: int
    credential: str
