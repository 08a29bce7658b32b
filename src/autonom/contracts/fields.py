"""The building blocks of every inbound contract, sized from the domain's limits
(``autonom.domain.limits``): strict whole numbers (``true`` is not a quantity), texts
without control characters, and models that refuse fields they do not know.

FastAPI validates a body as Python objects (``json.loads`` first), so strictness is
declared per field here rather than by a model-wide ``strict`` that would also refuse a
UUID or a time written as text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
)

from autonom.domain import limits
from autonom.domain.events import has_control_characters, moment_problems
from autonom.domain.numbering import check_till_number


class Inbound(BaseModel):
    """What a client sends: a field this side does not know is refused, never dropped
    (a 10 MB unknown field included)."""

    model_config = ConfigDict(extra="forbid")


def _no_control_characters(text: str) -> str:
    if has_control_characters(text):
        raise ValueError("must not contain control characters (NUL, line breaks, …)")
    return text


NO_CONTROL_CHARACTERS = AfterValidator(_no_control_characters)
"""Put after a text's length: ``Annotated[str, Field(max_length=60), NO_CONTROL_CHARACTERS]``."""


def _within_the_calendar(moment: AwareDatetime) -> AwareDatetime:
    problems = moment_problems(moment, "the moment")
    if problems:
        raise ValueError(problems[0])
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_within_the_calendar)]
"""A point in time with its zone, within the domain's years (``limits.EARLIEST_MOMENT``)."""


def _a_day_within_the_calendar(day: date) -> date:
    if not limits.EARLIEST_MOMENT.date() <= day < limits.LATEST_MOMENT.date():
        raise ValueError(
            f"must lie between {limits.EARLIEST_MOMENT:%Y} and {limits.LATEST_MOMENT:%Y}"
        )
    return day


Day = Annotated[date, AfterValidator(_a_day_within_the_calendar)]
"""A calendar day to look up (``?date=``), within the domain's years."""


PLAIN_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _plain_amount(value: object) -> object:
    if isinstance(value, float) or (
        isinstance(value, str) and not PLAIN_AMOUNT.fullmatch(value.strip())
    ):
        raise ValueError('write an amount as decimal text such as "4.50", never 1e3 or 4.5e0')
    return value


PlainAmount = Annotated[Decimal, BeforeValidator(_plain_amount)]
"""An amount as text (``"4.50"``) or a whole number; a JSON float or an exponent is refused."""

Seq = Annotated[int, Strict(), Field(ge=1, le=limits.MAX_SEQ)]
"""A position in a till's log (operations, mode events): gapless per till from 1."""

PathTillNumber = Annotated[
    int,
    AfterValidator(check_till_number),
    Field(description=f"the till's number, 1 to {limits.MAX_TILL}"),
]
"""A till's number (R2.3: at most three digits) as the ``{number}`` of a path: the domain's
``check_till_number`` refuses 0 or 2**63 (422 BAD_TILL_NUMBER) before any query."""

Count = Annotated[int, Strict(), Field(ge=0, le=limits.MAX_COUNT)]
TicketId = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_ID_LENGTH), NO_CONTROL_CHARACTERS
]
Plu = Annotated[str, Field(min_length=1, max_length=limits.MAX_PLU_LENGTH), NO_CONTROL_CHARACTERS]
