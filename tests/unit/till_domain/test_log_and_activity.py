"""R1.1 and R1.3: the plain-text log says what changed and why, in the seed's format, and
the heartbeat notices when the till's own application loop stops answering."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from autonom.till.domain import (
    UP,
    Activity,
    ActivityWatch,
    ChangeReason,
    Health,
    LinkMode,
    Mode,
    ModeChanged,
    Reason,
    StationSettings,
    Verdict,
    activity_words,
    format_log_line,
    log_file_name,
    mode_words,
    verdict_words,
)


def test_a_log_line_reads_exactly_like_the_seed() -> None:
    line = format_log_line(datetime(2019, 8, 12, 16, 21, 47), "OFFLINE NO PING")
    assert line == "12.08.2019 / 16:21:47: OFFLINE NO PING"


def test_single_digit_days_and_times_are_zero_padded() -> None:
    assert format_log_line(datetime(2026, 1, 2, 3, 4, 5), "ONLINE") == (
        "02.01.2026 / 03:04:05: ONLINE"
    )


@pytest.mark.parametrize(
    ("verdict", "words"),
    [
        (UP, "ONLINE"),
        (Verdict(Health.DOWN, Reason.NO_PING), "OFFLINE NO PING"),
        (Verdict(Health.DOWN, Reason.NO_APP), "OFFLINE NO APP"),
        (Verdict(Health.DOWN, Reason.NO_DB), "OFFLINE NO DB"),
        (Verdict(Health.SUSPECT, Reason.NO_APP), "SUSPECT NO APP"),
    ],
)
def test_each_link_verdict_has_the_seeds_words(verdict: Verdict, words: str) -> None:
    assert verdict_words(verdict) == words


def test_the_mode_changes_of_an_outage_read_as_a_story() -> None:
    mode = LinkMode(StationSettings(emergency_allowed=True))
    events = mode.on_verdict(Verdict(Health.DOWN, Reason.NO_PING), 1.0)
    events += mode.choose_emergency(2.0)
    events += mode.local_open_tickets_changed(1, 3.0)
    events += mode.on_verdict(UP, 4.0)
    events += mode.choose_stay_offline(5.0)
    events += mode.local_open_tickets_changed(0, 6.0)
    events += mode.reintegration_done(7.0)
    assert [mode_words(e) for e in events] == [
        "OUTAGE (NO PING), WAITING FOR THE CASHIER",
        "EMERGENCY MODE STARTED",
        "AVAILABLE AGAIN WITH LOCAL OPEN TICKETS: SYNC NOW OR STAY",
        "EMERGENCY MODE KEPT UNTIL LOCAL TICKETS ARE CLOSED",
        "REINTEGRATION STARTED (LOCAL TICKETS CLOSED)",
        "LIVE MODE (REINTEGRATED)",
    ]


def test_the_automatic_return_names_its_delay() -> None:
    change = ModeChanged(Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.AUTO_RETURN, 30.0)
    assert mode_words(change) == "LIVE MODE (AUTO RETURN AFTER 30 S)"
    assert mode_words(change, auto_return_s=12.5) == "LIVE MODE (AUTO RETURN AFTER 12.5 S)"


@pytest.mark.parametrize(
    ("from_state", "to_state", "reason", "words"),
    [
        (Mode.LIVE, Mode.SUSPECT, ChangeReason.NO_APP, "LIVE MODE, LINK SUSPECT (NO APP)"),
        (Mode.SUSPECT, Mode.LIVE, ChangeReason.BLIP_ABSORBED, "LIVE MODE (BLIP ABSORBED)"),
        (Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.LINK_BACK, "LIVE MODE (LINK BACK)"),
        (Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.RETRY_CHOSEN, "LIVE MODE (RETRY)"),
        (Mode.REINTEGRATING, Mode.EMERGENCY, ChangeReason.NO_DB, "EMERGENCY MODE GOES ON (NO DB)"),
        (
            Mode.EMERGENCY,
            Mode.REINTEGRATING,
            ChangeReason.NO_LOCAL_OPEN_TICKETS,
            "REINTEGRATION STARTED (NO LOCAL OPEN TICKETS)",
        ),
        (
            Mode.SERVER_AVAILABLE,
            Mode.REINTEGRATING,
            ChangeReason.SYNC_CHOSEN,
            "REINTEGRATION STARTED (SYNC NOW)",
        ),
    ],
)
def test_every_other_mode_change_has_its_words(
    from_state: Mode, to_state: Mode, reason: ChangeReason, words: str
) -> None:
    assert mode_words(ModeChanged(from_state, to_state, reason, 1.0)) == words


def test_every_reason_has_words() -> None:
    for reason in ChangeReason:
        assert mode_words(ModeChanged(Mode.LIVE, Mode.OUTAGE_PENDING, reason, 1.0))


def test_one_log_file_per_till_and_day() -> None:
    assert log_file_name(10, date(2026, 11, 21)) == "heartbeat-10-2026-11-21.log"
    assert log_file_name(10, date(2026, 11, 22)) != log_file_name(10, date(2026, 11, 21))
    assert log_file_name(7, date(2026, 11, 21)) != log_file_name(10, date(2026, 11, 21))


# The activity check (R1.3).


def test_a_till_loop_without_beats_is_stalled_after_the_threshold() -> None:
    watch = ActivityWatch(stall_after_s=3.0, started_at=100.0)
    assert watch.tick(102.9) is None
    assert watch.status is Activity.ALIVE
    assert watch.tick(103.0) is Activity.STALLED
    assert watch.tick(110.0) is None  # said once, not on every tick
    assert activity_words(Activity.STALLED) == "ACTIVITY STALLED"


def test_a_beat_after_a_stall_is_news_and_regular_beats_are_not() -> None:
    watch = ActivityWatch(stall_after_s=3.0, started_at=0.0)
    assert watch.beat(1.0) is None
    assert watch.beat(3.5) is None
    assert watch.tick(6.0) is None  # 2.5 s since the last beat
    assert watch.tick(6.5) is Activity.STALLED
    assert watch.beat(7.0) is Activity.ALIVE
    assert activity_words(Activity.ALIVE) == "ACTIVITY ANSWERED"


def test_a_late_beat_from_the_past_does_not_hide_a_stall() -> None:
    watch = ActivityWatch(stall_after_s=3.0, started_at=0.0)
    watch.beat(5.0)
    watch.beat(1.0)  # delivered out of order
    assert watch.tick(7.9) is None
    assert watch.tick(8.0) is Activity.STALLED
