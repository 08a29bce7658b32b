"""Whatever JSON a client with a valid credential posts to the push and the heartbeat,
the server answers with a 2xx or a 4xx and a code, never a 500 (issue 7, point 8)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.server.till_log import TillLog, batch, mode_event, register

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def with_one_field_replaced(document: Any, path: list[int], value: Any) -> Any:
    """``document`` with the field that ``path`` picks (indexes wrap around) set to ``value``."""
    if not path or not isinstance(document, (dict, list)) or not document:
        return value
    keys = list(document) if isinstance(document, dict) else list(range(len(document)))
    key = keys[path[0] % len(keys)]
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[key] = with_one_field_replaced(document[key], path[1:], value)
    return copy


def post(server: TestClient, till: TillLog, route: str, body: Any) -> int:
    answer = server.post(
        f"/api/v1/tills/{till.number}/{route}",
        content=json.dumps(body),
        headers={**till.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["code"], answer.text
    return answer.status_code


def test_random_json_never_makes_the_push_or_the_heartbeat_fail(server: TestClient) -> None:
    till = register(server, 10)

    @FUZZ
    @given(body=JSON)
    def random_bodies(body: Any) -> None:
        post(server, till, "operations", body)
        post(server, till, "heartbeat", body)

    random_bodies()


def test_a_valid_batch_with_one_field_fuzzed_never_makes_the_server_fail(
    server: TestClient,
) -> None:
    till = register(server, 10)
    till.sale(table=3)
    operations = till.operations()
    report = {"mode": "live", "activity": "alive", "unsent_operations": 0}

    @FUZZ
    @given(path=st.lists(st.integers(min_value=0, max_value=20), max_size=5), value=JSON)
    def one_field(path: list[int], value: Any) -> None:
        post(server, till, "operations", with_one_field_replaced(batch(operations), path, value))
        events = {**report, "events": [mode_event(1), mode_event(2)]}
        post(server, till, "heartbeat", with_one_field_replaced(events, path, value))

    one_field()
