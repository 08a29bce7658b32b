"""The till's JSON API: the same commands as the page, for tests and the benchmark; every
refusal is an ``ErrorBody`` with a code and a message (invariant 7)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.till.conftest import ANNA, api_login


def test_status_answers_before_login_and_before_registration(client: TestClient) -> None:
    status = client.get("/api/status")

    assert status.status_code == 200
    body = status.json()
    assert body["till_number"] == 10
    assert body["registered"] is False
    assert body["unsent_operations"] == 0
    assert body["operator_number"] is None


def test_api_sale_answers_the_receipt_as_printed(client: TestClient) -> None:
    api_login(client)
    ticket = client.post("/api/tickets", json={"table": None}).json()
    booked = client.post(
        f"/api/tickets/{ticket['ticket_id']}/bookings", json={"plu": "100", "quantity": 3}
    )
    assert booked.status_code == 201
    assert booked.json()["total"] == "7.20"

    closed = client.post(
        f"/api/tickets/{ticket['ticket_id']}/close",
        json={"tenders": [{"method": "cash", "amount": "10.00"}]},
    )

    assert closed.status_code == 201
    receipt = closed.json()
    assert receipt["number"] == "10000001-01"
    assert receipt["change"] == "2.80"
    assert receipt["printer_problem"] is None
    assert "3 × Espresso" in "\n".join(receipt["lines"])
    listed = client.get("/api/receipts").json()
    assert [(r["number"], r["sent"]) for r in listed] == [("10000001-01", False)]
    status = client.get("/api/status").json()
    assert status["unsent_receipts"] == 1
    assert status["unsent_operations"] == 3  # opened, booked, closed
    assert status["operator_number"] == ANNA
    unsent = client.get("/api/unsent").json()
    assert [u["kind"] for u in unsent] == ["ticket_opened", "booking_added", "ticket_closed"]
    assert unsent[-1]["receipt_number"] == "10000001-01"


def test_void_over_the_api(client: TestClient) -> None:
    api_login(client)
    ticket_id = client.post("/api/tickets", json={}).json()["ticket_id"]
    ticket = client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": "102"}).json()
    booking_id = ticket["bookings"][0]["booking_id"]

    voided = client.post(
        f"/api/tickets/{ticket_id}/bookings/{booking_id}/void", json={"reason": "entered twice"}
    )
    twice = client.post(
        f"/api/tickets/{ticket_id}/bookings/{booking_id}/void", json={"reason": "again"}
    )

    assert voided.status_code == 200
    assert voided.json()["total"] == "0.00"
    assert voided.json()["bookings"][0]["void_reason"] == "entered twice"
    assert twice.status_code == 409
    assert twice.json()["code"] == "ALREADY_VOIDED"


def test_api_refusals_are_error_bodies(client: TestClient) -> None:
    anonymous = client.post("/api/tickets", json={})
    wrong_pin = client.post("/api/login", json={"operator_number": ANNA, "pin": "9999"})
    unknown_operator = client.post("/api/login", json={"operator_number": 77, "pin": "1111"})
    api_login(client)
    ticket_id = client.post("/api/tickets", json={}).json()["ticket_id"]
    unknown_item = client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": "999"})
    absurd = client.post(
        f"/api/tickets/{ticket_id}/bookings", json={"plu": "100", "quantity": 100000}
    )
    client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": "100"})
    float_amount = client.post(
        f"/api/tickets/{ticket_id}/close", json={"tenders": [{"method": "cash", "amount": 2.4}]}
    )
    underpaid = client.post(
        f"/api/tickets/{ticket_id}/close", json={"tenders": [{"method": "cash", "amount": "1"}]}
    )
    card = {"card_type": "visa", "card_number": "4111111111111111"}
    no_card_device = client.post(
        f"/api/tickets/{ticket_id}/close",
        json={"tenders": [{"method": "card", "amount": "2.40"}], "card": card},
    )
    paid = client.post(
        f"/api/tickets/{ticket_id}/close", json={"tenders": [{"method": "cash", "amount": "2.40"}]}
    )
    twice = client.post(
        f"/api/tickets/{ticket_id}/close", json={"tenders": [{"method": "cash", "amount": "2.40"}]}
    )
    malformed = client.post(
        "/api/tickets", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    nowhere = client.get("/api/nowhere")

    answers = {
        "anonymous": (anonymous, 401, "NOT_LOGGED_IN"),
        "wrong_pin": (wrong_pin, 401, "WRONG_PIN"),
        "unknown_operator": (unknown_operator, 404, "UNKNOWN_OPERATOR"),
        "unknown_item": (unknown_item, 404, "UNKNOWN_ITEM"),
        "absurd": (absurd, 422, "BAD_QUANTITY"),
        "float_amount": (float_amount, 422, "INVALID_INPUT"),
        "underpaid": (underpaid, 422, "UNDERPAID"),
        "no_card_device": (no_card_device, 409, "NO_CARD_DEVICE"),
        "twice": (twice, 409, "TICKET_CLOSED"),
        "malformed": (malformed, 400, "MALFORMED_JSON"),
        "nowhere": (nowhere, 404, "NOT_FOUND"),
    }
    assert paid.status_code == 201
    for name, (answer, status, code) in answers.items():
        assert (answer.status_code, answer.json()["code"]) == (status, code), name
        assert answer.json()["message"], name


def test_refresh_master_data_without_a_server_is_a_clear_503(client: TestClient) -> None:
    api_login(client)

    answer = client.post("/api/master-data/refresh")

    assert answer.status_code == 503
    assert answer.json()["code"] == "SERVER_UNREACHABLE"
