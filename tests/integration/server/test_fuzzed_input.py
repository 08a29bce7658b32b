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

# What a hostile client puts where a till puts a number, an amount, an id or a name.
KILLERS = st.sampled_from(
    [
        *(0, -1, 2**31, 2**53 + 1, 2**63, 10**20, True, None, 1e30, 1e3, "1e3", "-1000000.00"),
        "500.00",
        "x" * 10_000,
        "a\x00b",
        "caf\ud800",
        "2.405",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+14:00",
        "NaN",
        "",
        [],
        {},
    ]
)
ODD_VALUE = st.one_of(
    KILLERS,
    KILLERS,
    st.integers(min_value=-(2**80), max_value=2**80),
    st.from_regex(r"-?[0-9]{1,30}(\.[0-9]{1,4})?([eE]-?[0-9]{1,3})?", fullmatch=True),
    st.text(max_size=70),
    JSON,
)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def leaves(document: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value in ``document`` that is not a list or an object."""
    if isinstance(document, dict):
        return [leaf for key, value in document.items() for leaf in leaves(value, (*path, key))]
    if isinstance(document, list):
        return [leaf for i, value in enumerate(document) for leaf in leaves(value, (*path, i))]
    return [path]


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``document`` with the value at ``path`` replaced."""
    if not path:
        return value
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = replaced(document[path[0]], path[1:], value)
    return copy


def post(server: TestClient, till: TillLog, route: str, body: Any) -> Any:
    answer = server.post(
        f"/api/v1/tills/{till.number}/{route}",
        content=json.dumps(body),
        headers={**till.auth, "Content-Type": "application/json"},
    )
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.json()["code"], answer.text
    return answer


def test_random_json_never_makes_the_push_or_the_heartbeat_fail(server: TestClient) -> None:
    till = register(server, 10)

    @FUZZ
    @given(body=JSON)
    def random_bodies(body: Any) -> None:
        post(server, till, "operations", body)
        post(server, till, "heartbeat", body)

    random_bodies()


def test_a_sale_with_one_odd_value_never_makes_the_push_fail(server: TestClient) -> None:
    till = register(server, 10)
    till.sale(table=3)
    paths = leaves(batch(till.operations()))
    held = {"through": 0}

    @FUZZ
    @given(where=st.sampled_from(paths), value=ODD_VALUE)
    def one_value(where: tuple[Any, ...], value: Any) -> None:
        till.seq = held["through"]  # each example continues where the server stands
        till.sale(table=3)
        answer = post(server, till, "operations", replaced(batch(till.operations()), where, value))
        if answer.status_code == 200:
            held["through"] = answer.json()["applied_through"]

    one_value()


def test_a_report_with_one_odd_value_never_makes_the_heartbeat_fail(server: TestClient) -> None:
    till = register(server, 10)
    report = {
        "mode": "live",
        "activity": "alive",
        "unsent_operations": 0,
        "events": [mode_event(1), mode_event(2)],
    }

    @FUZZ
    @given(where=st.sampled_from(leaves(report)), value=ODD_VALUE)
    def one_value(where: tuple[Any, ...], value: Any) -> None:
        post(server, till, "heartbeat", replaced(report, where, value))

    one_value()
