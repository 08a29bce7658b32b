"""The body of every 4xx answer: a machine-readable code and a message for a person."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: dict[str, Any] | None = None
