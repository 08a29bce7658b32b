"""The mode kept on a real till database: every change in the daily plain-text log and the
database (R1.1), emergency mode resumed after a restart (R1.6), station settings cached
(R1.4, R1.5), the close refused while an outage is undecided, and what counts as a local
open ticket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest

from autonom.domain import Refusal
from autonom.till.adapters.station import LOG_DIR, StationStore
from autonom.till.domain import (
    OUTAGE_UNDECIDED,
    UP,
    Activity,
    Choice,
    Health,
    Link,
    LogEntry,
    Mode,
    Reason,
    StationSettings,
    Verdict,
)
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, OpenTicket
from autonom.till.service_layer.modes import ModeKeeper
from tests.unit.till.conftest import ANNA, TILL, TillUnderTest

DOWN = Verdict(Health.DOWN, Reason.NO_PING)


@dataclass
class Monotonic:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def station(till: TillUnderTest) -> Iterator[StationStore]:
    opened = StationStore(till.store.path, till.data_dir / LOG_DIR, TILL)
    yield opened
    opened.close()


def local_open_tickets(till: TillUnderTest) -> int:
    with till.reading() as uow:
        return uow.tickets.count_local_open()


def keeper_of(till: TillUnderTest, station: StationStore, clock: Monotonic) -> ModeKeeper:
    return ModeKeeper(
        station,
        till.clock,
        count_local_open_tickets=lambda: local_open_tickets(till),
        monotonic=clock,
    )


def test_each_change_is_one_line_in_the_days_file_and_a_row_in_the_database(
    till: TillUnderTest, station: StationStore
) -> None:
    cest = timezone(timedelta(hours=2))
    at = datetime(2019, 8, 12, 16, 21, 47, tzinfo=cest)
    station.record(LogEntry(at, Link.SERVER, "OFFLINE NO PING", "down"))
    station.record(LogEntry(at + timedelta(seconds=3), Link.SERVER, "ONLINE", "up"))

    log_file = till.data_dir / LOG_DIR / f"heartbeat-{TILL}-2019-08-12.log"
    assert log_file.read_text(encoding="utf-8").splitlines() == [
        "12.08.2019 / 16:21:47: OFFLINE NO PING",
        "12.08.2019 / 16:21:50: ONLINE",
    ]
    unsent = station.unsent(10)
    assert [(e.seq, e.words, e.state) for e in unsent] == [
        (1, "OFFLINE NO PING", "down"),
        (2, "ONLINE", "up"),
    ]
    assert unsent[0].at == at
    station.acknowledge(1)
    assert [e.seq for e in station.unsent(10)] == [2]
    assert [(r.seq, r.sent) for r in station.recent()] == [(2, False), (1, True)]


def test_a_server_holding_a_former_databases_log_gets_the_new_entries_renumbered(
    station: StationStore,
) -> None:
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    for words in ("ONLINE", "OFFLINE NO PING", "ONLINE"):
        station.record(LogEntry(at, Link.SERVER, words, "up"))
    station.acknowledge(2)
    station.acknowledge(50)  # the server holds 50 events of this till: a replaced disk

    assert [(e.seq, e.words) for e in station.unsent(10)] == [(53, "ONLINE")]
    station.record(LogEntry(at, Link.SERVER, "OFFLINE NO APP", "down"))
    assert [e.seq for e in station.unsent(10)] == [53, 54]
    station.acknowledge(54)
    assert station.unsent(10) == []


def test_a_new_day_starts_a_new_file(till: TillUnderTest, station: StationStore) -> None:
    evening = datetime(2026, 11, 21, 23, 59, 59, tzinfo=UTC)
    station.record(LogEntry(evening, Link.SERVER, "OFFLINE NO APP", "down"))
    station.record(LogEntry(evening + timedelta(seconds=2), Link.SERVER, "ONLINE", "up"))
    files = sorted(p.name for p in (till.data_dir / LOG_DIR).iterdir())
    assert files == [f"heartbeat-{TILL}-2026-11-21.log", f"heartbeat-{TILL}-2026-11-22.log"]


def test_the_keeper_logs_the_verdict_and_the_mode_change_with_their_reasons(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    keeper = keeper_of(till, station, clock)
    keeper.link_verdict(UP, clock.now)
    keeper.link_verdict(DOWN, clock.now)
    keeper.link_verdict(DOWN, clock.now)  # repeated: nothing new to log

    assert [r.entry.words for r in reversed(station.recent())] == [
        "ONLINE",
        "OFFLINE NO PING",
        "OUTAGE (NO PING), WAITING FOR THE CASHIER",
    ]
    assert keeper.state is Mode.OUTAGE_PENDING
    assert station.saved_mode() is Mode.OUTAGE_PENDING


def test_closing_is_refused_until_the_cashier_decides_then_documented_offline(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    keeper = keeper_of(till, station, clock)
    keeper.link_verdict(DOWN, clock.now)

    with pytest.raises(Refusal) as refused, keeper.selling():
        pass
    assert refused.value.code == OUTAGE_UNDECIDED
    assert refused.value.status == 409

    assert keeper.choose(Choice.EMERGENCY) is Mode.EMERGENCY
    with keeper.selling() as offline:
        assert offline
    assert keeper.sales_offline
    assert station.recent(1)[0].entry.words == "EMERGENCY MODE STARTED"


def test_a_restart_in_emergency_mode_resumes_it_and_returns_live_without_local_tickets(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    first = keeper_of(till, station, clock)
    first.link_verdict(DOWN, clock.now)
    first.choose(Choice.EMERGENCY)

    again = keeper_of(till, station, clock)  # the till process started again
    assert again.state is Mode.EMERGENCY
    assert again.sales_offline
    again.link_verdict(UP, clock.now)
    assert again.state is Mode.REINTEGRATING
    again.reintegrated(clock.now)
    assert again.state is Mode.LIVE
    assert keeper_of(till, station, clock).state is Mode.LIVE


def test_an_undecided_outage_does_not_survive_a_restart(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    keeper_of(till, station, clock).link_verdict(DOWN, clock.now)
    assert keeper_of(till, station, clock).state is Mode.LIVE


def test_the_automatic_return_is_logged_with_the_settings_seconds(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    keeper = keeper_of(till, station, clock)
    keeper.update_settings(StationSettings(emergency_allowed=True, auto_return_s=12))
    keeper.link_verdict(DOWN, clock.now)
    keeper.link_verdict(UP, clock.now)
    view = keeper.view()
    assert view.dialog is not None
    assert view.auto_return_in_s == pytest.approx(12)

    clock.now += 12
    keeper.tick(clock.now)
    assert keeper.state is Mode.LIVE
    assert station.recent(1)[0].entry.words == "LIVE MODE (AUTO RETURN AFTER 12 S)"


def test_station_settings_are_cached_in_the_database(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    forbidden = StationSettings(emergency_allowed=False, auto_return_s=45)
    keeper_of(till, station, clock).update_settings(forbidden)
    assert station.station_settings() == forbidden
    assert keeper_of(till, station, clock).view().settings == forbidden


def test_activity_changes_are_logged_once_each(till: TillUnderTest, station: StationStore) -> None:
    keeper = keeper_of(till, station, Monotonic())
    keeper.activity(Activity.ALIVE)  # already alive: nothing to log
    keeper.activity(Activity.STALLED)
    keeper.activity(Activity.STALLED)
    keeper.activity(Activity.ALIVE)
    assert [(r.entry.link, r.entry.words) for r in reversed(station.recent())] == [
        (Link.ACTIVITY, "ACTIVITY STALLED"),
        (Link.ACTIVITY, "ACTIVITY ANSWERED"),
    ]
    assert keeper.view().activity is Activity.ALIVE


def test_local_open_tickets_are_those_opened_or_booked_in_emergency_mode(
    till: TillUnderTest,
) -> None:
    till.sell("100", offline=True)  # closed: not open any more
    live = handlers.open_ticket(OpenTicket(table=1, operator_number=ANNA), till.uow())
    assert local_open_tickets(till) == 0
    handlers.add_booking(AddBooking(live.ticket_id, "100", 1, ANNA), till.uow(), offline=True)
    handlers.open_ticket(OpenTicket(table=2, operator_number=ANNA), till.uow(), offline=True)
    assert local_open_tickets(till) == 2


def test_a_table_opened_just_before_the_server_returns_is_asked_about_not_synchronised(
    till: TillUnderTest, station: StationStore
) -> None:
    clock = Monotonic()
    keeper = keeper_of(till, station, clock)
    keeper.link_verdict(DOWN, clock.now)
    keeper.choose(Choice.EMERGENCY)
    # Opened after the last housekeeping count: the keeper has not been told of it.
    handlers.open_ticket(OpenTicket(table=5, operator_number=ANNA), till.uow(), offline=True)

    keeper.link_verdict(UP, clock.now)

    assert keeper.state is Mode.SERVER_AVAILABLE  # R1.6: sync now, or stay offline
    assert keeper.view().local_open_tickets == 1
