"""The till's JSON API refuses what a cashier's screen would never send, with a 4xx and a
code, and writes nothing: no booking, no journal entry, no outbox row (issue 7, point 8)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonom.web import MAX_BODY_BYTES
from tests.integration.till.conftest import api_login, page_login

TABLES = ("tickets", "bookings", "voids", "payments", "receipts", "journal", "outbox")


def rows(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{data_dir / 'till.sqlite'}?mode=ro", uri=True) as db:
        return {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES
        }


def refused(answer: Any, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code, answer.text
    assert "Traceback" not in answer.text


def open_ticket(client: TestClient) -> str:
    api_login(client)
    answer = client.post("/api/tickets", json={})
    assert answer.status_code == 201, answer.text
    booked = client.post(f"/api/tickets/{answer.json()['ticket_id']}/bookings", json={"plu": "100"})
    assert booked.status_code == 201, booked.text
    ticket_id: str = answer.json()["ticket_id"]
    return ticket_id


def test_bad_bookings_are_refused_and_nothing_is_written(
    client: TestClient, tmp_path: Path
) -> None:
    ticket_id = open_ticket(client)
    before = rows(tmp_path / "till-10")
    bookings = f"/api/tickets/{ticket_id}/bookings"
    huge = client.post(bookings, json={"plu": "100", "quantity": 10**20})
    boolean = client.post(bookings, json={"plu": "100", "quantity": True})
    nul = client.post(bookings, json={"plu": "10\x000"})
    unknown = client.post(bookings, json={"plu": "100", "discount": "100"})
    refused(huge, 422, "BAD_QUANTITY")
    for answer in (boolean, nul, unknown):
        refused(answer, 422, "INVALID_INPUT")
    assert rows(tmp_path / "till-10") == before


def test_true_is_not_a_table_number(client: TestClient, tmp_path: Path) -> None:
    api_login(client)
    before = rows(tmp_path / "till-10")
    refused(client.post("/api/tickets", json={"table": True}), 422, "INVALID_INPUT")
    refused(client.post("/api/tickets", json={"table": 10**20}), 422, "BAD_TABLE")
    assert rows(tmp_path / "till-10") == before


def test_exponent_and_float_amounts_are_refused(client: TestClient, tmp_path: Path) -> None:
    ticket_id = open_ticket(client)
    before = rows(tmp_path / "till-10")
    close = f"/api/tickets/{ticket_id}/close"
    as_text = client.post(close, json={"tenders": [{"method": "cash", "amount": "1e2"}]})
    as_number = client.post(close, json={"tenders": [{"method": "cash", "amount": 1e2}]})
    refused(as_text, 422, "BAD_AMOUNT")
    refused(as_number, 422, "INVALID_INPUT")
    refused(client.get("/api/receipts", params={"date": "9999-12-31"}), 422, "INVALID_INPUT")
    assert rows(tmp_path / "till-10") == before
    paid = client.post(close, json={"tenders": [{"method": "cash", "amount": "100"}]})
    assert paid.status_code == 201, paid.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: TestClient, tmp_path: Path
) -> None:
    ticket_id = open_ticket(client)
    before = rows(tmp_path / "till-10")
    huge = client.post(
        f"/api/tickets/{ticket_id}/bookings",
        json={"plu": "100", "padding": "x" * (MAX_BODY_BYTES + 1)},
    )
    refused(huge, 413, "BODY_TOO_LARGE")
    page = client.post("/login", data={"operator_number": "1", "pin": "x" * (MAX_BODY_BYTES + 1)})
    assert page.status_code == 413
    assert rows(tmp_path / "till-10") == before


def test_the_page_answers_odd_typed_numbers_with_an_alert_not_a_500(
    client: TestClient, tmp_path: Path
) -> None:
    page_login(client)
    opened = client.post("/tickets", data={"table": ""}, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    ticket = opened.headers["location"]
    before = rows(tmp_path / "till-10")
    for quantity in ("²", "1e3", "9" * 5000, "true", "-1"):
        answer = client.post(f"{ticket}/bookings", data={"plu": "100", "quantity": quantity})
        assert answer.status_code < 500, quantity
        assert "not a quantity" in answer.text or "from 1 to 999" in answer.text, quantity
    for table in ("²", "9" * 5000):
        assert client.post("/tickets", data={"table": table}).status_code < 500, table
    assert rows(tmp_path / "till-10") == before


def test_odd_values_in_the_till_api_never_make_it_fail(client: TestClient) -> None:
    ticket_id = open_ticket(client)
    bodies = {
        "/api/login": {"operator_number": 1, "pin": "1111"},
        "/api/tickets": {"table": 4},
        f"/api/tickets/{ticket_id}/bookings": {"plu": "100", "quantity": 1},
        f"/api/tickets/{ticket_id}/close": {"tenders": [{"method": "cash", "amount": "1"}]},
    }
    odd = (
        st.sampled_from(
            [0, -1, 2**63, 10**40, True, None, 1e30, "1e3", "9" * 5000, "²", "a\x00b", [], {}]
        )
        | st.text(max_size=20)
        | st.integers()
    )

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(route=st.sampled_from(sorted(bodies)), field=st.integers(0, 3), value=odd)
    def one_value(route: str, field: int, value: Any) -> None:
        body = bodies[route]
        key = sorted(body)[field % len(body)]
        answer = client.post(route, json={**body, key: value})
        assert answer.status_code < 500, answer.text
        api_login(client)  # a login with an odd value may have ended the session

    one_value()


def test_an_odd_card_is_refused_before_any_card_device_is_asked(
    client: TestClient, tmp_path: Path
) -> None:
    ticket_id = open_ticket(client)
    before = rows(tmp_path / "till-10")
    close = f"/api/tickets/{ticket_id}/close"
    card_tender = [{"method": "card"}]
    unknown_type = client.post(
        close, json={"tenders": card_tender, "card": {"card_type": "diners", "card_number": "1"}}
    )
    nul = client.post(
        close,
        json={"tenders": card_tender, "card": {"card_type": "visa", "card_number": "4111\x001"}},
    )
    too_long = client.post(
        close, json={"tenders": card_tender, "card": {"card_type": "visa", "card_number": "4" * 20}}
    )
    extra = client.post(
        close,
        json={
            "tenders": card_tender,
            "card": {"card_type": "visa", "card_number": "4111111111111111", "cvv": "123"},
        },
    )
    for answer in (unknown_type, nul, too_long, extra):
        refused(answer, 422, "INVALID_INPUT")
    # A well-formed card on a till without a card device: refused, the ticket still open.
    refused(
        client.post(
            close,
            json={
                "tenders": card_tender,
                "card": {"card_type": "visa", "card_number": "4111111111111111"},
            },
        ),
        409,
        "NO_CARD_DEVICE",
    )
    assert rows(tmp_path / "till-10") == before
    paid = client.post(close, json={"tenders": [{"method": "cash"}]})  # the amount due
    assert paid.status_code == 201, paid.text
