"""The building blocks of every inbound contract, sized from the domain's limits
(``autonom.domain.limits``): strict whole numbers (``true`` is not a quantity), texts
without control characters, and models that refuse fields they do not know.

FastAPI validates a body as Python objects (``json.loads`` first), so strictness is
declared per field here rather than by a model-wide ``strict`` that would also refuse a
UUID or a time written as text."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

from autonom.domain import limits
from autonom.domain.events import has_control_characters


class Inbound(BaseModel):
    """What a client sends: a field this side does not know is refused, never dropped
    (a 10 MB unknown field included)."""

    model_config = ConfigDict(extra="forbid")


def _no_control_characters(text: str) -> str:
    if has_control_characters(text):
        raise ValueError("must not contain control characters (NUL, line breaks, …)")
    return text


PlainText = Annotated[str, Strict(), AfterValidator(_no_control_characters)]
"""A text without control characters; each use states its length."""

Seq = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_SEQ)]
"""A position in a till's log (operations, mode events): gapless per till from 1."""

TillNumber = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_TILL)]
"""A till's number in a body (R2.3: at most three digits)."""

PathTillNumber = Annotated[int, Field(ge=1, le=limits.MAX_TILL)]
"""A till's number as the ``{number}`` of a path, where it arrives as text."""

Quantity = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_QUANTITY)]
TableNumber = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_TABLE)]
Count = Annotated[int, Strict(), Field(ge=0, le=limits.MAX_COUNT)]
Plu = Annotated[PlainText, Field(min_length=1, max_length=limits.MAX_PLU_LENGTH)]
