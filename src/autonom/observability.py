"""The one logger setup: structlog, key=value lines on stderr, shared by every part."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(part: str, *, level: int = logging.INFO) -> None:
    """Configure structlog once per process; every line carries the part's name."""
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(part=part)
