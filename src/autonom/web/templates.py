"""The one Jinja setup of the server's and the till's pages: autoescaped HTML, tidy
whitespace, and the filters both use (money, a moment in local time)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

TIME_OF_DAY = "%H:%M:%S"


def money(value: Decimal | int) -> str:
    """An amount with two places: ``4.5`` → ``4.50``."""
    return f"{Decimal(value):.2f}"


def local_time(value: datetime, fmt: str = TIME_OF_DAY) -> str:
    """A moment in this machine's time zone, as a person there reads it."""
    return value.astimezone().strftime(fmt)


def templates_for(
    directory: Path,
    *,
    time_format: str = TIME_OF_DAY,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> Jinja2Templates:
    """Templates from ``directory`` with the shared filters; ``local_time`` writes a moment
    in this machine's time zone as ``time_format`` (or the format a template passes), and
    ``filters`` are the part's own."""

    def local_moment(value: datetime, fmt: str = time_format) -> str:
        return local_time(value, fmt)

    environment = Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update({"money": money, "local_time": local_moment, **(filters or {})})
    return Jinja2Templates(env=environment)
