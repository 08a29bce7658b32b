"""R1.4-R1.6: what the till does when its link falls and comes back, as the cashier sees it.
Time is injected as monotonic seconds, so the 30 s automatic return is exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonom.till.domain import (
    EMERGENCY_NOT_ALLOWED,
    OUTAGE_UNDECIDED,
    UP,
    ChangeReason,
    Choice,
    DialogKind,
    Health,
    LinkMode,
    Mode,
    ModeChanged,
    NoticeKind,
    Reason,
    StationSettings,
    Verdict,
)

ALLOWED = StationSettings(emergency_allowed=True)
NOT_ALLOWED = StationSettings(emergency_allowed=False)
DOWN = Verdict(Health.DOWN, Reason.NO_PING)
SUSPECT = Verdict(Health.SUSPECT, Reason.NO_APP)


def steps(events: list[ModeChanged]) -> list[tuple[Mode, Mode, ChangeReason]]:
    return [(e.from_state, e.to_state, e.reason) for e in events]


def in_emergency(local_open_tickets: int = 0) -> LinkMode:
    """A till whose cashier chose emergency mode at t=10 after the link fell at t=1."""
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.choose_emergency(10.0)
    mode.local_open_tickets_changed(local_open_tickets, 11.0)
    assert mode.state is Mode.EMERGENCY
    return mode


# A blip.


def test_a_suspect_link_keeps_selling_live_and_an_answer_ends_it() -> None:
    mode = LinkMode(ALLOWED)
    assert steps(mode.on_verdict(SUSPECT, 1.0)) == [(Mode.LIVE, Mode.SUSPECT, ChangeReason.NO_APP)]
    assert mode.dialog is None
    assert mode.sale_refusal() is None
    assert not mode.sales_offline
    assert steps(mode.on_verdict(UP, 1.2)) == [
        (Mode.SUSPECT, Mode.LIVE, ChangeReason.BLIP_ABSORBED)
    ]


def test_a_repeated_verdict_changes_nothing() -> None:
    mode = LinkMode(ALLOWED)
    assert mode.on_verdict(UP, 0.5) == []
    mode.on_verdict(DOWN, 1.0)
    assert mode.on_verdict(DOWN, 1.1) == []
    assert mode.on_verdict(SUSPECT, 1.2) == []  # hysteresis: only UP or DOWN move on
    assert mode.state is Mode.OUTAGE_PENDING


# The link falls: R1.4.


@pytest.mark.parametrize("first", [Mode.LIVE, Mode.SUSPECT])
def test_a_lost_link_asks_the_cashier_emergency_mode_or_retry(first: Mode) -> None:
    mode = LinkMode(ALLOWED)
    if first is Mode.SUSPECT:
        mode.on_verdict(SUSPECT, 0.5)
    events = mode.on_verdict(Verdict(Health.DOWN, Reason.NO_DB), 1.0)
    assert events == [ModeChanged(first, Mode.OUTAGE_PENDING, ChangeReason.NO_DB, 1.0)]
    dialog = mode.dialog
    assert dialog is not None
    assert dialog.kind is DialogKind.EMERGENCY_OR_RETRY
    assert dialog.choices == (Choice.EMERGENCY, Choice.RETRY)
    assert dialog.reason is Reason.NO_DB


def test_a_sale_before_the_decision_is_refused_at_once_with_a_clear_message() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    refusal = mode.sale_refusal()
    assert refusal is not None
    assert refusal.code == OUTAGE_UNDECIDED
    assert refusal.status == 409
    assert "emergency mode or retry" in refusal.message
    assert not mode.sales_allowed
    assert not mode.sales_offline  # nothing goes offline without the cashier's decision


def test_choosing_emergency_mode_sells_offline() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    assert steps(mode.choose_emergency(4.0)) == [
        (Mode.OUTAGE_PENDING, Mode.EMERGENCY, ChangeReason.EMERGENCY_CHOSEN)
    ]
    assert mode.dialog is None
    assert mode.sales_offline
    assert mode.sale_refusal() is None


def test_retry_while_the_link_is_still_down_keeps_the_dialog() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    assert mode.choose_retry(2.0) == []
    assert mode.state is Mode.OUTAGE_PENDING
    assert mode.dialog is not None
    assert mode.dialog.kind is DialogKind.EMERGENCY_OR_RETRY


def test_emergency_mode_not_allowed_shows_a_message_and_retry_only() -> None:
    mode = LinkMode(NOT_ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    dialog = mode.dialog
    assert dialog is not None
    assert dialog.kind is DialogKind.EMERGENCY_NOT_ALLOWED
    assert dialog.choices == (Choice.RETRY,)
    refusal = mode.sale_refusal()
    assert refusal is not None
    assert refusal.code == EMERGENCY_NOT_ALLOWED
    assert "not allowed" in refusal.message
    assert mode.choose_emergency(2.0) == []  # a forged tap changes nothing
    assert mode.choose_retry(3.0) == []
    assert mode.state is Mode.OUTAGE_PENDING
    assert not mode.sales_offline


def test_emergency_mode_not_allowed_returns_to_live_as_soon_as_the_link_is_back() -> None:
    mode = LinkMode(NOT_ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    assert steps(mode.on_verdict(UP, 5.0)) == [
        (Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.LINK_BACK)
    ]
    assert mode.notice is not None
    assert mode.notice.kind is NoticeKind.LINK_BACK
    assert mode.sale_refusal() is None


def test_forbidding_emergency_mode_while_the_dialog_is_open_withdraws_the_offer() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.settings = NOT_ALLOWED  # the station settings were refreshed from the server
    assert mode.dialog is not None
    assert mode.dialog.kind is DialogKind.EMERGENCY_NOT_ALLOWED
    assert mode.choose_emergency(2.0) == []


# The link returns before the cashier decided: R1.5.


def test_the_link_back_before_a_decision_returns_to_live_by_itself_after_30_s() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    assert mode.on_verdict(UP, 100.0) == []
    dialog = mode.dialog
    assert dialog is not None
    assert dialog.kind is DialogKind.AUTO_RETURN
    assert dialog.auto_return_at == 130.0
    assert dialog.choices == (Choice.RETRY,)
    assert mode.sale_refusal() is None  # the server answers again: sell live meanwhile
    assert not mode.sales_offline

    assert mode.tick(129.9) == []
    assert mode.state is Mode.OUTAGE_PENDING
    assert steps(mode.tick(130.0)) == [(Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.AUTO_RETURN)]
    assert mode.notice is not None
    assert mode.notice.kind is NoticeKind.AUTO_RETURNED
    assert mode.dialog is None
    mode.dismiss_notice()
    assert mode.notice is None


def test_the_automatic_return_follows_the_station_setting() -> None:
    mode = LinkMode(StationSettings(emergency_allowed=True, auto_return_s=10.0))
    mode.on_verdict(DOWN, 1.0)
    mode.on_verdict(UP, 2.0)
    assert mode.tick(11.9) == []
    assert steps(mode.tick(12.0))[0][1] is Mode.LIVE


def test_the_automatic_return_happens_before_any_later_input() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.on_verdict(UP, 2.0)
    events = mode.on_verdict(DOWN, 40.0)  # no tick came in between
    assert steps(events) == [
        (Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.AUTO_RETURN),
        (Mode.LIVE, Mode.OUTAGE_PENDING, ChangeReason.NO_PING),
    ]
    assert [e.at for e in events] == [40.0, 40.0]


def test_the_cashier_may_return_to_live_before_the_30_s_are_over() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.on_verdict(UP, 2.0)
    assert steps(mode.choose_retry(5.0)) == [
        (Mode.OUTAGE_PENDING, Mode.LIVE, ChangeReason.RETRY_CHOSEN)
    ]
    assert mode.tick(40.0) == []


def test_the_link_falling_again_stops_the_countdown() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.on_verdict(UP, 2.0)
    assert mode.on_verdict(DOWN, 10.0) == []
    assert mode.tick(60.0) == []
    assert mode.state is Mode.OUTAGE_PENDING
    assert mode.dialog is not None
    assert mode.dialog.kind is DialogKind.EMERGENCY_OR_RETRY
    mode.on_verdict(UP, 61.0)  # a new countdown, from the new return
    assert mode.tick(90.9) == []
    assert steps(mode.tick(91.0))[0][2] is ChangeReason.AUTO_RETURN


def test_a_stale_emergency_tap_during_the_countdown_changes_nothing() -> None:
    mode = LinkMode(ALLOWED)
    mode.on_verdict(DOWN, 1.0)
    mode.on_verdict(UP, 2.0)
    assert mode.choose_emergency(3.0) == []
    assert mode.state is Mode.OUTAGE_PENDING


# The link returns during emergency mode: R1.6.


def test_back_with_local_open_tickets_asks_sync_now_or_stay() -> None:
    mode = in_emergency(local_open_tickets=2)
    assert steps(mode.on_verdict(UP, 50.0)) == [
        (Mode.EMERGENCY, Mode.SERVER_AVAILABLE, ChangeReason.LOCAL_OPEN_TICKETS)
    ]
    dialog = mode.dialog
    assert dialog is not None
    assert dialog.kind is DialogKind.SERVER_AVAILABLE
    assert dialog.choices == (Choice.SYNC_NOW, Choice.STAY_OFFLINE)
    assert dialog.local_open_tickets == 2
    assert mode.sales_offline  # still emergency mode until the cashier decides


def test_back_without_local_open_tickets_reintegrates_and_returns_to_live_by_itself() -> None:
    mode = in_emergency(local_open_tickets=0)
    assert steps(mode.on_verdict(UP, 50.0)) == [
        (Mode.EMERGENCY, Mode.REINTEGRATING, ChangeReason.NO_LOCAL_OPEN_TICKETS)
    ]
    assert mode.dialog is None
    assert mode.sales_offline  # the local documents are not merged yet
    assert steps(mode.reintegration_done(52.0)) == [
        (Mode.REINTEGRATING, Mode.LIVE, ChangeReason.REINTEGRATED)
    ]
    assert not mode.sales_offline
    assert mode.notice is not None
    assert mode.notice.kind is NoticeKind.REINTEGRATED


def test_sync_now_reintegrates() -> None:
    mode = in_emergency(local_open_tickets=2)
    mode.on_verdict(UP, 50.0)
    assert steps(mode.choose_sync_now(51.0)) == [
        (Mode.SERVER_AVAILABLE, Mode.REINTEGRATING, ChangeReason.SYNC_CHOSEN)
    ]
    assert steps(mode.reintegration_done(53.0))[0][1] is Mode.LIVE


def test_staying_offline_lasts_until_the_last_local_ticket_is_closed() -> None:
    mode = in_emergency(local_open_tickets=2)
    mode.on_verdict(UP, 50.0)
    assert steps(mode.choose_stay_offline(51.0)) == [
        (Mode.SERVER_AVAILABLE, Mode.EMERGENCY, ChangeReason.STAY_CHOSEN)
    ]
    assert mode.dialog is None
    assert mode.sales_offline
    # The link blinks: the cashier is not asked again.
    assert mode.on_verdict(DOWN, 60.0) == []
    assert mode.on_verdict(UP, 61.0) == []
    assert mode.dialog is None
    assert mode.local_open_tickets_changed(1, 70.0) == []
    assert steps(mode.local_open_tickets_changed(0, 80.0)) == [
        (Mode.EMERGENCY, Mode.REINTEGRATING, ChangeReason.LOCAL_TICKETS_CLOSED)
    ]
    assert steps(mode.reintegration_done(81.0))[0][1] is Mode.LIVE


def test_staying_offline_with_the_last_ticket_closed_while_the_link_is_down_waits() -> None:
    mode = in_emergency(local_open_tickets=1)
    mode.on_verdict(UP, 50.0)
    mode.choose_stay_offline(51.0)
    mode.on_verdict(DOWN, 60.0)
    assert mode.local_open_tickets_changed(0, 61.0) == []  # nowhere to sync to
    assert steps(mode.on_verdict(UP, 70.0)) == [
        (Mode.EMERGENCY, Mode.REINTEGRATING, ChangeReason.NO_LOCAL_OPEN_TICKETS)
    ]


def test_closing_the_last_local_ticket_while_asked_reintegrates_without_an_answer() -> None:
    mode = in_emergency(local_open_tickets=1)
    mode.on_verdict(UP, 50.0)
    assert steps(mode.local_open_tickets_changed(0, 55.0)) == [
        (Mode.SERVER_AVAILABLE, Mode.REINTEGRATING, ChangeReason.LOCAL_TICKETS_CLOSED)
    ]
    assert mode.choose_sync_now(56.0) == []  # the dialog is gone: a late tap is ignored


def test_the_link_falling_while_asked_goes_on_in_emergency_mode_and_asks_again() -> None:
    mode = in_emergency(local_open_tickets=1)
    mode.on_verdict(UP, 50.0)
    assert steps(mode.on_verdict(DOWN, 51.0)) == [
        (Mode.SERVER_AVAILABLE, Mode.EMERGENCY, ChangeReason.NO_PING)
    ]
    assert mode.dialog is None
    assert steps(mode.on_verdict(UP, 60.0))[0][1] is Mode.SERVER_AVAILABLE


def test_the_link_falling_during_reintegration_goes_on_in_emergency_mode() -> None:
    mode = in_emergency(local_open_tickets=0)
    mode.on_verdict(UP, 50.0)
    assert steps(mode.on_verdict(Verdict(Health.DOWN, Reason.NO_APP), 51.0)) == [
        (Mode.REINTEGRATING, Mode.EMERGENCY, ChangeReason.NO_APP)
    ]
    assert mode.dialog is None  # the cashier chose emergency mode once already
    assert mode.sales_offline
    assert mode.reintegration_done(52.0) == []  # a late report of an aborted run
    assert steps(mode.on_verdict(UP, 60.0))[0][1] is Mode.REINTEGRATING


def test_a_suspect_verdict_in_emergency_mode_changes_nothing() -> None:
    mode = in_emergency(local_open_tickets=1)
    assert mode.on_verdict(SUSPECT, 50.0) == []
    assert mode.state is Mode.EMERGENCY


def test_a_till_restarted_in_emergency_mode_asks_again_when_local_tickets_exist() -> None:
    # R1.6: "at the next restart without local tickets live mode returns"; with local
    # tickets the server-available question comes again.
    with_tickets = LinkMode(ALLOWED, emergency=True, local_open_tickets=3)
    assert with_tickets.sales_offline
    assert with_tickets.on_verdict(SUSPECT, 0.5) == []
    assert steps(with_tickets.on_verdict(UP, 1.0))[0][1] is Mode.SERVER_AVAILABLE
    without = LinkMode(ALLOWED, emergency=True)
    assert steps(without.on_verdict(UP, 1.0))[0][1] is Mode.REINTEGRATING


def test_a_negative_count_of_local_tickets_is_a_bug() -> None:
    with pytest.raises(ValueError, match="negative"):
        LinkMode(ALLOWED).local_open_tickets_changed(-1, 1.0)
    with pytest.raises(ValueError, match="negative"):
        LinkMode(ALLOWED, local_open_tickets=-1)


# Whatever happens, in any order.

INPUTS = st.lists(
    st.one_of(
        st.tuples(st.just("verdict"), st.sampled_from([UP, SUSPECT, DOWN])),
        st.tuples(
            st.sampled_from(["emergency", "retry", "sync_now", "stay", "reintegrated", "tick"]),
            st.none(),
        ),
        st.tuples(st.just("tickets"), st.integers(0, 3)),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(
    allowed=st.booleans(),
    inputs=INPUTS,
    gaps=st.lists(st.sampled_from([0.0, 0.1, 5.0, 29.9, 30.0, 31.0]), min_size=40, max_size=40),
)
def test_any_sequence_of_inputs_keeps_the_rules(
    allowed: bool, inputs: list[tuple[str, object]], gaps: list[float]
) -> None:
    mode = LinkMode(StationSettings(emergency_allowed=allowed))
    now = 0.0
    for (kind, value), gap in zip(inputs, gaps, strict=False):
        now += gap
        before = mode.state
        match kind:
            case "verdict":
                assert isinstance(value, Verdict)
                events = mode.on_verdict(value, now)
            case "tickets":
                assert isinstance(value, int)
                events = mode.local_open_tickets_changed(value, now)
            case "emergency":
                events = mode.choose_emergency(now)
            case "retry":
                events = mode.choose_retry(now)
            case "sync_now":
                events = mode.choose_sync_now(now)
            case "stay":
                events = mode.choose_stay_offline(now)
            case "reintegrated":
                events = mode.reintegration_done(now)
            case _:
                events = mode.tick(now)
        # The events tell the whole story: a chain from the old state to the new one.
        chain = [before] + [e.to_state for e in events]
        assert [e.from_state for e in events] == chain[:-1]
        assert chain[-1] is mode.state
        assert all(e.at == now and e.from_state is not e.to_state for e in events)
        # Nothing goes offline on a till where emergency mode is not allowed.
        if not allowed:
            assert not mode.sales_offline
        # A dialog exactly where the cashier has something to decide.
        has_dialog = mode.state in (Mode.OUTAGE_PENDING, Mode.SERVER_AVAILABLE)
        assert (mode.dialog is not None) == has_dialog
        # A refused sale only while the link is down and nothing is decided.
        if mode.sale_refusal() is not None:
            assert mode.state is Mode.OUTAGE_PENDING
            assert not mode.sales_offline
