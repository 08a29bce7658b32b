"""The heartbeat's rules without a database: which reported events are new and when a till
counts as not heard from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from autonom.contracts import ModeEventIn
from autonom.server.domain import QUIET_AFTER_S, new_events, quiet_for

AT = datetime(2026, 8, 12, 14, 21, 47, tzinfo=UTC)


def event(seq: int, words: str = "OFFLINE NO PING") -> ModeEventIn:
    return ModeEventIn(seq=seq, at=AT, link="server", words=words, state="outage_pending")


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
