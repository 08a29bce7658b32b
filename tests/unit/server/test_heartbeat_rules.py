"""The heartbeat's rules without a database: which reported events are new, when a till
counts as not heard from, and how an event reads as the till's log line."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from autonom.contracts import ModeEventIn, ModeEventPublic
from autonom.server.entrypoints.back_office_page import MOMENT, log_line
from autonom.server.service_layer import QUIET_AFTER_S, new_events, quiet_for
from autonom.web.templates import local_time

AT = datetime(2026, 8, 12, 14, 21, 47, tzinfo=UTC)
# Central European time with its summer time, spelled so that no tz database is needed.
CENTRAL_EUROPE = "CET-1CEST,M3.5.0,M10.5.0/3"


def event(seq: int, words: str = "OFFLINE NO PING") -> ModeEventIn:
    return ModeEventIn(seq=seq, at=AT, link="server", words=words, state="outage_pending")


@pytest.fixture
def central_europe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local time zone is Central European time for the test."""
    monkeypatch.setenv("TZ", CENTRAL_EUROPE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_events_above_what_the_server_holds_are_new() -> None:
    fresh = new_events(events_through=2, events=[event(1), event(2), event(3), event(4)])
    assert [e.seq for e in fresh] == [3, 4]


def test_nothing_is_new_in_a_resent_report() -> None:
    assert new_events(events_through=4, events=[event(3), event(4)]) == []
    assert new_events(events_through=4, events=[]) == []


def test_events_after_a_gap_are_new() -> None:
    fresh = new_events(events_through=2, events=[event(7), event(8)])
    assert [e.seq for e in fresh] == [7, 8]


def test_new_events_come_in_seq_order_each_seq_once() -> None:
    first, again = event(2, "OFFLINE NO APP"), event(2, "ONLINE")
    fresh = new_events(events_through=0, events=[event(3), first, event(1), again])
    assert [e.seq for e in fresh] == [1, 2, 3]
    assert fresh[1].words == "OFFLINE NO APP"


def test_a_till_is_not_heard_from_after_the_quiet_limit() -> None:
    assert quiet_for(None, AT) is None
    assert quiet_for(AT, AT + timedelta(seconds=QUIET_AFTER_S)) is None
    assert quiet_for(AT, AT + timedelta(seconds=QUIET_AFTER_S + 1)) == QUIET_AFTER_S + 1
    assert quiet_for(AT, AT + timedelta(minutes=2, seconds=0.7)) == 120


@pytest.mark.usefixtures("central_europe")
def test_event_reads_as_the_log_line_in_local_time() -> None:
    summer = ModeEventPublic(
        till_number=10, received_at=AT, **event(1).model_dump(exclude={"at"}), at=AT
    )
    assert log_line(summer) == "12.08.2026 / 16:21:47: OFFLINE NO PING"
    winter = summer.model_copy(update={"at": datetime(2026, 11, 20, 8, 5, 9, tzinfo=UTC)})
    assert log_line(winter) == "20.11.2026 / 09:05:09: OFFLINE NO PING"
    assert local_time(AT, MOMENT) == "12.08.2026 16:21:47"
