"""The plain-text mode log's line (R1.1), shared by the till that writes it and the server
that shows it."""

from __future__ import annotations

from datetime import datetime


def format_log_line(wall_time: datetime, words: str) -> str:
    """One log line as in seed 000: ``12.08.2019 / 16:21:47: OFFLINE NO PING``."""
    return f"{wall_time:%d.%m.%Y / %H:%M:%S}: {words}"
