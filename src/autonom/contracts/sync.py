"""The push protocol (docs/sync-protocol.md): a till's operation log, in order, exactly once.

What a till pushes is held to the domain's limits before anything is written (issue 7,
point 8): an event is read strictly (``true`` is not a quantity, ``1e3`` is not a price,
no field it does not know) and then checked by the domain (``check_event``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound, Moment, Seq
from autonom.domain import Refusal, errors, limits
from autonom.domain.events import Event, check_event

MAX_BATCH = 500

CONTRACT_VERSION = 4
"""The version of the push and heartbeat contracts this code speaks (docs/sync-protocol.md
§ "Contract versions"). A till sends it with each push; none means 1. Version 2 adds the
booking's ``issued_number``, the moves of lines between tickets and the documents that
are not tickets (issue 8); version 3 the ``owner_changed`` of a reintegration's merge
(R3.2) and a ticket's ``follows`` (issue 9); version 4 the till database's ``log_id`` on
the push, the registration and the position (issue 9)."""

WireEvent = Annotated[Event, Field(discriminator="kind")]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(WireEvent)


class _StrictEvent(BaseModel):
    """An event read as JSON in strict mode: each field of its own type, nothing more."""

    model_config = ConfigDict(strict=True, extra="forbid")

    event: WireEvent


def _read_strictly(raw: Any) -> Any:
    """A client's event (decoded JSON) as the domain's dataclass, or a ``ValueError``
    naming each problem. A till's own event objects pass as they are."""
    if not isinstance(raw, dict):
        return raw
    if _has_float(raw):
        raise ValueError(
            'amounts travel as decimal text such as "4.50", never as a JSON number with a '
            "fraction or an exponent"
        )
    try:
        return _StrictEvent.model_validate_json(json.dumps({"event": raw})).event
    except ValidationError as invalid:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'event'}: {e['msg']}"
            for e in invalid.errors()
        ]
        raise ValueError("; ".join(problems[:5])) from None


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


class Operation(Inbound):
    """One entry of a till's operation log. ``seq`` is gapless per till from 1; ``op_id``
    is unique world-wide; ``recorded_at`` is the till's wall time when it was committed."""

    seq: Seq
    op_id: UUID
    recorded_at: Moment
    event: WireEvent

    @field_validator("event", mode="before")
    @classmethod
    def _strict_event(cls, raw: Any) -> Any:
        return _read_strictly(raw)

    @field_validator("event")
    @classmethod
    def _within_limits(cls, event: Event) -> Event:
        problems = check_event(event)
        if problems:
            raise ValueError("; ".join(problems[:5]))
        return event


class Versioned(Inbound):
    """A body that names the contract version it was written for; a till newer than this
    side is told so, instead of having its new fields refused one by one or dropped."""

    contract: Annotated[int, Strict(), Field(ge=1)] = 1  # a body without one is version 1

    @model_validator(mode="before")
    @classmethod
    def _not_too_new(cls, raw: Any) -> Any:
        version = raw.get("contract") if isinstance(raw, dict) else None
        if type(version) is int and version > CONTRACT_VERSION:
            # A refusal, not a validation error: it is answered before any field is judged.
            raise Refusal(
                errors.CONTRACT_TOO_NEW,
                f"This till speaks contract version {version}; this side speaks up to "
                f"version {CONTRACT_VERSION}. Update the server before this till sends again.",
                409,
                detail={"contract": version, "supported": CONTRACT_VERSION},
            )
        return raw


class PushBatch(Versioned):
    operations: list[Operation] = Field(min_length=1, max_length=MAX_BATCH)
    # The till database's log (contract 4); none (a till of contract 1-3): the till's current.
    log_id: UUID | None = None

    @field_validator("operations")
    @classmethod
    def _each_op_id_once(cls, operations: list[Operation]) -> list[Operation]:
        seen: dict[UUID, int] = {}
        for operation in operations:
            if operation.op_id in seen:
                raise ValueError(
                    f"operations {seen[operation.op_id]} and {operation.seq} carry the same "
                    f"op_id {operation.op_id}; each operation is pushed once"
                )
            seen[operation.op_id] = operation.seq
        return operations


class PushResult(BaseModel):
    """``applied_through`` is the highest sequence the server holds of the till's log
    ``log_id`` after this push (the batch's log; contract 4, absent from older servers)."""

    applied_through: int
    applied: int
    skipped: int
    log_id: UUID | None = None


class TillPosition(BaseModel):
    """How far the server holds the till's log ``log_id`` (its current one when not asked
    for a log; 0 for a log it does not hold)."""

    till_number: int
    applied_through: int
    log_id: UUID | None = None


class TillRegistration(Inbound):
    name: Annotated[str, Field(max_length=limits.MAX_TILL_NAME_LENGTH), NO_CONTROL_CHARACTERS] = ""
    enrolment_code: (
        Annotated[str, Field(max_length=limits.MAX_ENROLMENT_CODE_LENGTH), NO_CONTROL_CHARACTERS]
        | None
    ) = None
    # The till database's log (contract 4): the same database registering again (its first
    # answer lost) gets a fresh credential instead of TILL_TAKEN.
    log_id: UUID | None = None


class TillRegistered(BaseModel):
    till_number: int
    credential: str
