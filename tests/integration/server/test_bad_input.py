"""A hostile or broken client with a valid till credential: every bad request is a 4xx with
a code, and nothing is written, on SQLite and on PostgreSQL alike (issue 7, point 8)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from autonom.contracts import CONTRACT_VERSION
from autonom.server.adapters import database_url
from autonom.server.adapters.tables import metadata
from autonom.web import MAX_BODY_BYTES
from tests.integration.server.till_log import (
    ADMIN,
    TillLog,
    batch,
    heartbeat,
    mode_event,
    push,
    register,
)

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
Mutation = Callable[[list[dict[str, Any]]], None]


class Database:
    """Every row of every server table, to prove a refused request wrote nothing — but the
    record of the refusal itself (``push_refusals``, for the back office)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(database_url(url))

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        with self.engine.connect() as connection:
            return {
                table.name: sorted(
                    (tuple(row) for row in connection.execute(select(table))), key=repr
                )
                for table in metadata.sorted_tables
                if table.name != "push_refusals"
            }


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url)
    yield db
    db.engine.dispose()


@pytest.fixture
def till(server: TestClient) -> TillLog:
    """Till 10, registered, having pushed one sale and one heartbeat: the state a refused
    request must leave exactly as it was."""
    till = register(server, 10)
    till.sale(table=4)
    assert push(server, till, till.operations()).status_code == 200
    assert heartbeat(server, till, mode_event(1)).status_code == 200
    return till


def refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code, answer.text
    assert answer.json()["message"]
    assert "Traceback" not in answer.text


def push_changed(server: TestClient, till: TillLog, database: Database, change: Mutation) -> Any:
    """Push the till's next sale with ``change`` made to its operations; assert that the
    server's tables are untouched and return the answer."""
    before = database.rows()
    till.sale(table=5)
    operations = till.operations()
    change(operations)
    answer = server.post(  # as JSON text: a lone surrogate travels as its \u escape
        f"/api/v1/tills/{till.number}/operations",
        content=json.dumps(batch(operations)),
        headers={**till.auth, "Content-Type": "application/json"},
    )
    assert database.rows() == before
    return answer


def booking(operations: list[dict[str, Any]]) -> dict[str, Any]:
    """The first booking event of a sale (operations: opened, booked, booked, closed)."""
    event: dict[str, Any] = operations[1]["event"]
    assert event["kind"] == "booking_added"
    return event


def closing(operations: list[dict[str, Any]]) -> dict[str, Any]:
    event: dict[str, Any] = operations[-1]["event"]
    assert event["kind"] == "ticket_closed"
    return event


def set_in(
    field: str, value: Any, pick: Callable[[list[dict[str, Any]]], dict[str, Any]]
) -> Mutation:
    def change(operations: list[dict[str, Any]]) -> None:
        pick(operations)[field] = value

    return change


def test_the_same_op_id_twice_in_one_batch_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    def twice(operations: list[dict[str, Any]]) -> None:
        operations[1]["op_id"] = operations[0]["op_id"]

    refused(push_changed(server, till, database, twice), 422, "INVALID_INPUT")


@pytest.mark.parametrize("quantity", [10**20, -3, 0, 1000])
def test_a_quantity_outside_1_to_999_is_refused(
    server: TestClient, till: TillLog, database: Database, quantity: int
) -> None:
    answer = push_changed(server, till, database, set_in("quantity", quantity, booking))
    refused(answer, 422, "INVALID_INPUT")
    assert "quantity" in answer.json()["message"]


@pytest.mark.parametrize("price", ["1e30", "-2.40", "100000.00", "2.405", "NaN"])
def test_a_unit_price_outside_the_domain_is_refused(
    server: TestClient, till: TillLog, database: Database, price: str
) -> None:
    answer = push_changed(server, till, database, set_in("unit_price", price, booking))
    refused(answer, 422, "INVALID_INPUT")


@pytest.mark.parametrize("price", [1e30, 1e3, 2.4])
def test_an_amount_as_a_json_number_with_fraction_or_exponent_is_refused(
    server: TestClient, till: TillLog, database: Database, price: float
) -> None:
    answer = push_changed(server, till, database, set_in("unit_price", price, booking))
    refused(answer, 422, "INVALID_INPUT")
    assert "decimal text" in answer.json()["message"]


def test_a_10000_character_ticket_id_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    def long_id(operations: list[dict[str, Any]]) -> None:
        for operation in operations:
            operation["event"]["ticket_id"] = "x" * 10_000

    refused(push_changed(server, till, database, long_id), 422, "INVALID_INPUT")


@pytest.mark.parametrize("field", ["name", "plu", "booking_id", "tax_code"])
def test_a_nul_character_in_a_name_or_id_is_refused(
    server: TestClient, till: TillLog, database: Database, field: str
) -> None:
    answer = push_changed(server, till, database, set_in(field, "A\x00", booking))
    refused(answer, 422, "INVALID_INPUT")
    assert "control characters" in answer.json()["message"]


def test_a_lone_surrogate_in_a_name_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    answer = push_changed(server, till, database, set_in("name", "caf\ud800", booking))
    refused(answer, 422, "INVALID_INPUT")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (f"/api/v1/tills/{2**63}/credential", ADMIN),
        (f"/api/v1/tills/{2**63}/register", {}),
        (f"/api/v1/tills/{2**63}/operations", ADMIN),
        (f"/api/v1/tills/{2**63}/heartbeat", ADMIN),
        ("/api/v1/tills/1000/register", {}),
        ("/api/v1/tills/0/register", {}),
    ],
)
def test_a_till_number_outside_1_to_999_in_the_path_is_refused(
    server: TestClient, till: TillLog, database: Database, path: str, headers: dict[str, str]
) -> None:
    before = database.rows()
    answer = server.post(path, json={}, headers=headers)
    refused(answer, 422, "BAD_TILL_NUMBER")
    assert database.rows() == before


@pytest.mark.parametrize("seq", [10**24, 2**53 + 1, 0, -1])
def test_a_heartbeat_event_seq_outside_the_log_is_refused(
    server: TestClient, till: TillLog, database: Database, seq: int
) -> None:
    before = database.rows()
    answer = heartbeat(server, till, mode_event(seq, at=AT))
    refused(answer, 422, "INVALID_INPUT")
    assert database.rows() == before


def test_a_hole_or_a_repeat_inside_one_heartbeat_report_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    before = database.rows()
    hole = heartbeat(server, till, mode_event(2), mode_event(2**40, at=AT))
    repeat = heartbeat(server, till, mode_event(2), mode_event(2))
    backwards = heartbeat(server, till, mode_event(3), mode_event(2))
    for answer in (hole, repeat, backwards):
        refused(answer, 422, "INVALID_INPUT")
    assert database.rows() == before


def test_heartbeat_texts_and_counts_outside_the_limits_are_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    before = database.rows()
    answers = [
        heartbeat(server, till, mode_event(2, "OFFLINE\x00NO PING")),
        heartbeat(server, till, mode_event(2, "x" * 201)),
        heartbeat(server, till, unsent_operations=10**20),
        heartbeat(server, till, unsent_operations=True),  # type: ignore[arg-type]
    ]
    for answer in answers:
        refused(answer, 422, "INVALID_INPUT")
    assert database.rows() == before


@pytest.mark.parametrize(
    ("field", "value", "pick"),
    [
        ("quantity", -1, booking),
        ("unit_price", "-4.20", booking),
        ("total", "-1000000.00", closing),
    ],
)
def test_negative_quantities_prices_and_totals_are_refused(
    server: TestClient,
    till: TillLog,
    database: Database,
    field: str,
    value: Any,
    pick: Callable[[list[dict[str, Any]]], dict[str, Any]],
) -> None:
    refused(push_changed(server, till, database, set_in(field, value, pick)), 422, "INVALID_INPUT")


def test_a_tax_of_500_percent_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    def usurious(operations: list[dict[str, Any]]) -> None:
        booking(operations)["tax_percent"] = "500.00"

    def usurious_receipt(operations: list[dict[str, Any]]) -> None:
        closing(operations)["taxes"][0]["percent"] = "500.00"

    refused(push_changed(server, till, database, usurious), 422, "INVALID_INPUT")
    refused(push_changed(server, till, database, usurious_receipt), 422, "INVALID_INPUT")


def test_an_unknown_field_is_refused_and_a_10_mb_one_is_not_even_read(
    server: TestClient, till: TillLog, database: Database
) -> None:
    def unknown(operations: list[dict[str, Any]]) -> None:
        booking(operations)["discount"] = "100.00"

    answer = push_changed(server, till, database, unknown)
    refused(answer, 422, "INVALID_INPUT")
    assert "discount" in answer.json()["message"]

    def huge(operations: list[dict[str, Any]]) -> None:
        operations[0]["padding"] = "x" * 10_000_000

    refused(push_changed(server, till, database, huge), 413, "BODY_TOO_LARGE")


def test_a_body_streamed_past_the_limit_without_a_length_is_refused(
    server: TestClient, till: TillLog, database: Database
) -> None:
    before = database.rows()

    def chunks() -> Iterator[bytes]:
        yield b'{"operations": ["'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536
        yield b'"]}'

    answer = server.post(
        "/api/v1/tills/10/operations",
        content=chunks(),
        headers={**till.auth, "Content-Type": "application/json"},
    )
    refused(answer, 413, "BODY_TOO_LARGE")
    assert database.rows() == before


@pytest.mark.parametrize(
    ("field", "pick"), [("quantity", booking), ("table", lambda ops: ops[0]["event"])]
)
def test_true_is_not_a_quantity_or_a_table_number(
    server: TestClient,
    till: TillLog,
    database: Database,
    field: str,
    pick: Callable[[list[dict[str, Any]]], dict[str, Any]],
) -> None:
    answer = push_changed(server, till, database, set_in(field, True, pick))
    refused(answer, 422, "INVALID_INPUT")


def test_a_till_newer_than_its_server_is_told_so(
    server: TestClient, till: TillLog, database: Database
) -> None:
    before = database.rows()
    till.sale()
    newer = {**batch(till.operations()), "contract": CONTRACT_VERSION + 1, "loyalty": {"id": 7}}
    answer = server.post("/api/v1/tills/10/operations", json=newer, headers=till.auth)
    refused(answer, 409, "CONTRACT_TOO_NEW")
    assert f"version {CONTRACT_VERSION + 1}" in answer.json()["message"]
    assert f"version {CONTRACT_VERSION}" in answer.json()["message"]
    assert database.rows() == before


def test_a_registration_with_a_nul_or_an_endless_name_is_refused(
    server: TestClient, database: Database
) -> None:
    before = database.rows()
    nul = server.post("/api/v1/tills/12/register", json={"name": "Till\x0012"})
    endless = server.post("/api/v1/tills/12/register", json={"name": "T" * 10_000})
    unknown = server.post("/api/v1/tills/12/register", json={"name": "Till", "x": "y"})
    for answer in (nul, endless, unknown):
        refused(answer, 422, "INVALID_INPUT")
    assert database.rows() == before


def test_a_batch_of_today_still_goes_through(server: TestClient, till: TillLog) -> None:
    """The limits refuse nonsense only: the till's own batch, with or without the
    contract version, is applied."""
    till.sale()
    without = push(server, till, till.operations())
    assert without.status_code == 200, without.text
    till.sale()
    versioned = {**batch(till.operations()), "contract": CONTRACT_VERSION}
    answer = server.post("/api/v1/tills/10/operations", json=versioned, headers=till.auth)
    assert answer.status_code == 200, answer.text
    assert json.loads(answer.text)["applied"] == 4


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/tickets/t%001", None),
        ("GET", "/api/v1/tickets/" + "x" * 10_000, None),
        ("PUT", "/api/v1/tax-rates/A", {"percent": "19.00", "name": "Stan\x00dard"}),
        ("PUT", "/api/v1/items/100", {"name": "Es\x00presso", "price": "2.40", "tax_code": "A"}),
        ("PUT", "/api/v1/items/100", {"name": "Espresso", "price": "2.40", "tax_code": "\x00"}),
        ("PUT", "/api/v1/operators/5", {"name": "An\x00na", "role": "cashier", "pin": "1234"}),
        ("PUT", "/api/v1/items/100", {"name": "Espresso", "price": "1e3", "tax_code": "A"}),
        ("PUT", "/api/v1/items/100", {"name": "Espresso", "price": 1e3, "tax_code": "A"}),
        ("PUT", "/api/v1/tax-rates/A", {"percent": "1.9e1", "name": "Standard"}),
        ("GET", "/api/v1/receipts?date=9999-12-31", None),
    ],
)
def test_ticket_master_data_and_receipt_routes_refuse_what_no_column_holds(
    server: TestClient, till: TillLog, database: Database, method: str, path: str, body: Any
) -> None:
    before = database.rows()
    refused(server.request(method, path, json=body, headers=ADMIN), 422, "INVALID_INPUT")
    assert database.rows() == before


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_moment_at_the_edge_of_the_calendar_is_refused(
    server: TestClient, till: TillLog, database: Database, moment: str
) -> None:
    """Year 1 or 9999 with a zone offset leaves the calendar when turned into UTC."""

    def recorded(operations: list[dict[str, Any]]) -> None:
        operations[0]["recorded_at"] = moment

    refused(push_changed(server, till, database, recorded), 422, "INVALID_INPUT")
    opened = set_in("opened_at", moment, lambda ops: ops[0]["event"])
    refused(push_changed(server, till, database, opened), 422, "INVALID_INPUT")
    before = database.rows()
    event = {**mode_event(2), "at": moment}
    refused(heartbeat(server, till, event), 422, "INVALID_INPUT")
    assert database.rows() == before
