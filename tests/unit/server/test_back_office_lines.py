"""How a mode event reads on the back-office page: the till's log line in local time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from autonom.contracts import ModeEventPublic
from autonom.server.entrypoints.back_office_page import MOMENT, log_line
from autonom.web.templates import local_time

AT = datetime(2026, 8, 12, 14, 21, 47, tzinfo=UTC)
# Central European time with its summer time, spelled so that no tz database is needed.
CENTRAL_EUROPE = "CET-1CEST,M3.5.0,M10.5.0/3"


@pytest.fixture
def central_europe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is Central European time for the test."""
    monkeypatch.setenv("TZ", CENTRAL_EUROPE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("central_europe")
def test_event_reads_as_the_log_line_in_local_time() -> None:
    summer = ModeEventPublic(
        till_number=10,
        received_at=AT,
        seq=1,
        at=AT,
        link="server",
        words="OFFLINE NO PING",
        state="outage_pending",
    )
    assert log_line(summer) == "12.08.2026 / 16:21:47: OFFLINE NO PING"
    winter = summer.model_copy(update={"at": datetime(2026, 11, 20, 8, 5, 9, tzinfo=UTC)})
    assert log_line(winter) == "20.11.2026 / 09:05:09: OFFLINE NO PING"
    assert local_time(AT, MOMENT) == "12.08.2026 16:21:47"
