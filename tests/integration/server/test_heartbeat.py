"""A till reports its mode, activity and logged mode changes every few seconds; the server
keeps each change once and answers with the till's station settings (R1.1-R1.6)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import (
    ADMIN,
    heartbeat,
    mode_event,
    register,
    server_settings,
)

DEFAULTS = {"emergency_allowed": True, "auto_return_s": 30}
ROUNDS = 8


def events_of(server: TestClient, number: int, **params: Any) -> list[dict[str, Any]]:
    answer = server.get(f"/api/v1/tills/{number}/mode-events", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()
    return events


def tills(server: TestClient) -> dict[int, dict[str, Any]]:
    answer = server.get("/api/v1/tills", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {t["till_number"]: t for t in answer.json()}


def test_resent_mode_events_are_kept_once(server: TestClient) -> None:
    till = register(server, 10)
    first = heartbeat(server, till, mode_event(1), mode_event(2, "OFFLINE NO APP"))
    assert first.status_code == 200, first.text
    assert first.json() == {"events_through": 2, "station_settings": DEFAULTS, "backends_down": []}
    # The answer was lost: the till sends both again, with the change it logged since.
    again = heartbeat(server, till, mode_event(1), mode_event(2), mode_event(3, "ONLINE"))
    assert again.status_code == 200, again.text
    assert again.json()["events_through"] == 3
    quiet = heartbeat(server, till)
    assert quiet.json()["events_through"] == 3
    assert [(e["seq"], e["words"]) for e in events_of(server, 10)] == [
        (3, "ONLINE"),
        (2, "OFFLINE NO APP"),
        (1, "OFFLINE NO PING"),
    ]


def test_events_after_a_gap_are_accepted(server: TestClient) -> None:
    """A till whose database was replaced goes on at a later seq: never refused."""
    till = register(server, 10)
    heartbeat(server, till, mode_event(1), mode_event(2))
    jumped = heartbeat(server, till, mode_event(7), mode_event(8, "ONLINE"))
    assert jumped.status_code == 200, jumped.text
    assert jumped.json()["events_through"] == 8
    older = heartbeat(server, till, mode_event(3, "SOMETHING OLD"))
    assert older.status_code == 200, older.text
    assert older.json()["events_through"] == 8
    assert [e["seq"] for e in events_of(server, 10)] == [8, 7, 2, 1]


def test_events_out_of_order_or_twice_in_one_report_are_refused(server: TestClient) -> None:
    """A till reports its unsent lines in ascending seq, each once (issue 7, point 8)."""
    till = register(server, 10)
    answer = heartbeat(server, till, mode_event(3), mode_event(1), mode_event(2), mode_event(2))
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "INVALID_INPUT"
    assert events_of(server, 10) == []
    in_order = heartbeat(server, till, mode_event(1), mode_event(2), mode_event(3))
    assert in_order.json()["events_through"] == 3


def test_back_office_sees_each_till_last_report(server: TestClient) -> None:
    till_10 = register(server, 10)
    register(server, 11)
    before = tills(server)
    assert {k: before[10][k] for k in ("mode", "activity", "reported_at", "unsent_operations")} == {
        "mode": None,
        "activity": None,
        "reported_at": None,
        "unsent_operations": None,
    }
    assert before[10]["station_settings"] == DEFAULTS
    heartbeat(server, till_10, mode="live", unsent_operations=2)
    answer = heartbeat(server, till_10, mode="emergency", activity="stalled", unsent_operations=7)
    assert answer.status_code == 200, answer.text
    after = tills(server)
    assert (after[10]["mode"], after[10]["activity"], after[10]["unsent_operations"]) == (
        "emergency",
        "stalled",
        7,
    )
    assert after[10]["reported_at"] is not None
    assert after[11]["mode"] is None


def test_heartbeat_needs_the_till_own_credential(server: TestClient) -> None:
    till_10 = register(server, 10)
    till_11 = register(server, 11)
    report = {"mode": "live", "activity": "alive", "unsent_operations": 0, "events": []}
    for headers in ({}, {"Authorization": "Bearer nope"}, ADMIN):
        for answer in (
            server.post("/api/v1/tills/10/heartbeat", json=report, headers=headers),
            server.get("/api/v1/tills/10/station-settings", headers=headers),
        ):
            assert answer.status_code == 401
            assert answer.json()["code"] == "BAD_CREDENTIAL"
    for answer in (
        server.post("/api/v1/tills/10/heartbeat", json=report, headers=till_11.auth),
        server.get("/api/v1/tills/10/station-settings", headers=till_11.auth),
    ):
        assert answer.status_code == 403
        assert answer.json()["code"] == "WRONG_TILL"
    assert tills(server)[10]["mode"] is None
    assert heartbeat(server, till_10).status_code == 200


def test_report_outside_the_contract_names_the_field(server: TestClient) -> None:
    till = register(server, 10)
    unknown_mode = heartbeat(server, till, mode="flying")
    assert unknown_mode.status_code == 422
    assert unknown_mode.json()["code"] == "INVALID_INPUT"
    assert "mode" in unknown_mode.json()["message"]
    bad_seq = heartbeat(server, till, mode_event(0))
    assert bad_seq.status_code == 422
    assert "events.0.seq" in bad_seq.json()["message"]
    assert events_of(server, 10) == []


def test_station_settings_are_the_defaults_until_the_back_office_sets_them(
    server: TestClient,
) -> None:
    till = register(server, 10)
    assert server.get("/api/v1/tills/10/station-settings", headers=till.auth).json() == DEFAULTS
    strict = {"emergency_allowed": False, "auto_return_s": 45}
    put = server.put("/api/v1/tills/10/station-settings", json=strict, headers=ADMIN)
    assert put.status_code == 200, put.text
    assert put.json() == strict
    assert server.get("/api/v1/tills/10/station-settings", headers=till.auth).json() == strict
    assert heartbeat(server, till).json()["station_settings"] == strict
    assert tills(server)[10]["station_settings"] == strict
    changed = server.put("/api/v1/tills/10/station-settings", json=DEFAULTS, headers=ADMIN)
    assert changed.json() == DEFAULTS
    assert heartbeat(server, till).json()["station_settings"] == DEFAULTS


def test_station_settings_can_be_set_before_the_till_registers(server: TestClient) -> None:
    strict = {"emergency_allowed": False, "auto_return_s": 120}
    put = server.put("/api/v1/tills/12/station-settings", json=strict, headers=ADMIN)
    assert put.status_code == 200, put.text
    assert 12 not in tills(server)
    till = register(server, 12)
    assert heartbeat(server, till).json()["station_settings"] == strict
    assert tills(server)[12]["station_settings"] == strict


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emergency_allowed": True, "auto_return_s": 4}, "auto_return_s"),
        ({"emergency_allowed": True, "auto_return_s": 601}, "auto_return_s"),
        ({"emergency_allowed": True, "auto_return_s": "soon"}, "auto_return_s"),
        ({"emergency_allowed": "perhaps", "auto_return_s": 30}, "emergency_allowed"),
    ],
)
def test_station_settings_out_of_range_are_refused(
    server: TestClient, body: dict[str, Any], field: str
) -> None:
    till = register(server, 10)
    answer = server.put("/api/v1/tills/10/station-settings", json=body, headers=ADMIN)
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID_INPUT"
    assert field in answer.json()["message"]
    assert server.get("/api/v1/tills/10/station-settings", headers=till.auth).json() == DEFAULTS


def test_station_settings_need_a_till_number_and_the_admin_token(server: TestClient) -> None:
    till = register(server, 10)
    for number in (0, 1000):
        answer = server.put(
            f"/api/v1/tills/{number}/station-settings", json=DEFAULTS, headers=ADMIN
        )
        assert answer.status_code == 422
        assert answer.json()["code"] == "BAD_TILL_NUMBER"
    for headers in ({}, till.auth):
        answer = server.put("/api/v1/tills/10/station-settings", json=DEFAULTS, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "ADMIN_REQUIRED"


def test_mode_events_are_listed_newest_first(server: TestClient) -> None:
    till = register(server, 10)
    heartbeat(server, till, *(mode_event(seq) for seq in range(1, 6)))
    heartbeat(server, till, mode_event(6, "ACTIVITY STALLED", link="activity", state="stalled"))
    [newest, second] = events_of(server, 10, limit=2)
    assert (newest["seq"], second["seq"]) == (6, 5)
    assert {k: newest[k] for k in ("till_number", "link", "words", "state")} == {
        "till_number": 10,
        "link": "activity",
        "words": "ACTIVITY STALLED",
        "state": "stalled",
    }
    assert newest["at"].startswith("2026-11-20T09:00:06")
    assert newest["received_at"] is not None
    assert [e["seq"] for e in events_of(server, 10)] == [6, 5, 4, 3, 2, 1]
    assert events_of(server, 11) == []
    too_many = server.get("/api/v1/tills/10/mode-events?limit=0", headers=ADMIN)
    assert too_many.status_code == 422
    assert too_many.json()["code"] == "INVALID_INPUT"
    bad_till = server.get("/api/v1/tills/0/mode-events", headers=ADMIN)
    assert bad_till.json()["code"] == "BAD_TILL_NUMBER"
    not_admin = server.get("/api/v1/tills/10/mode-events", headers=till.auth)
    assert not_admin.status_code == 401


def test_two_servers_receive_the_same_report_once(db_url: str) -> None:
    # Two app instances, two engines, one database: two server processes in all but the pid.
    with (
        TestClient(create_app(server_settings(db_url))) as first,
        TestClient(create_app(server_settings(db_url))) as second,
    ):
        till = register(first, 10)
        start = threading.Barrier(2)

        def send(server: TestClient, events: list[dict[str, Any]]) -> Any:
            start.wait()
            return heartbeat(server, till, *events, mode="emergency")

        with ThreadPoolExecutor(max_workers=2) as pool:
            for round_ in range(ROUNDS):
                # Each round resends the last event of the round before, as a till whose
                # answer was lost would, and adds three new ones.
                seqs = range(max(1, 3 * round_), 3 * round_ + 4)
                events = [mode_event(seq) for seq in seqs]
                answers = list(pool.map(send, (first, second), (events, events)))
                assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
                assert [a.json()["events_through"] for a in answers] == [seqs[-1], seqs[-1]]

        stored = [e["seq"] for e in events_of(second, 10, limit=1000)]
        assert stored == list(range(3 * ROUNDS, 0, -1))
        assert tills(first)[10]["mode"] == "emergency"
