"""Customer accounts (R2.4): the back office keeps them; a till looks a customer up and has
a charge authorised against the credit limit, live; the account is charged when the
receipt arrives by push, and a charge that puts it over its limit is flagged, never
refused (invariant 6)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.domain import PaymentMethod, Tender, errors
from tests.integration.server.till_log import ADMIN, CAKE, TillLog, push, register


def put_customer(server: TestClient, number: int, name: str, limit: str) -> dict[str, Any]:
    answer = server.put(
        f"/api/v1/customers/{number}", json={"name": name, "credit_limit": limit}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def find(server: TestClient, till: TillLog, text: str) -> list[dict[str, Any]]:
    answer = server.get("/api/v1/customers", params={"q": text}, headers=till.auth)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def authorise(server: TestClient, till: TillLog, number: int, amount: str) -> Any:
    return server.post(
        f"/api/v1/customers/{number}/authorise",
        json={"amount": amount, "ticket_id": "t1"},
        headers=till.auth,
    )


def sale_on_account(till: TillLog, number: str, cakes: int) -> None:
    """A sale of ``cakes`` cheesecakes (4.20 each) put on account ``number``."""
    ticket = till.book(till.open(), CAKE, cakes)
    till.close(ticket, tenders=[Tender(PaymentMethod.ACCOUNT, ticket.total, number)])


def test_a_customer_is_found_by_name_or_number_and_a_charge_authorised_within_the_limit(
    server: TestClient,
) -> None:
    created = put_customer(server, 7, "Café Krone", "50.00")
    put_customer(server, 8, "Kronberg GmbH", "0.00")
    put_customer(server, 12, "Bakery 100%", "10.00")
    till = register(server, 10)

    assert created == {
        "number": 7,
        "name": "Café Krone",
        "credit_limit": "50.00",
        "balance": "0.00",
        "available": "50.00",
    }
    assert [c["number"] for c in find(server, till, "kron")] == [7, 8]
    assert [c["number"] for c in find(server, till, "8")] == [8]
    assert [c["number"] for c in find(server, till, "100%")] == [12]
    assert find(server, till, "_") == []  # a wildcard is a character like any other
    assert authorise(server, till, 7, "50.00").json()["customer"]["name"] == "Café Krone"
    over = authorise(server, till, 7, "50.01")
    assert (over.status_code, over.json()["code"]) == (409, errors.ACCOUNT_LIMIT_REACHED)
    assert over.json()["detail"] == {"available": "50.00"}
    unknown = authorise(server, till, 9, "1.00")
    assert (unknown.status_code, unknown.json()["code"]) == (404, errors.CUSTOMER_UNKNOWN)


def test_receipts_charge_the_account_and_one_over_the_limit_is_flagged_not_refused(
    server: TestClient,
) -> None:
    put_customer(server, 7, "Café Krone", "20.00")
    bar, terrace = register(server, 10), register(server, 11)
    # Both were authorised while 16.80 was still free; together they go over the limit.
    sale_on_account(bar, "7", 3)  # 12.60
    sale_on_account(terrace, "7", 2)  # 8.40
    sale_on_account(terrace, "404", 1)  # an account the server does not know

    for till in (bar, terrace):
        assert push(server, till, till.operations()).status_code == 200

    [krone] = find(server, bar, "7")
    assert (krone["balance"], krone["available"]) == ("21.00", "0.00")
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    assert [(f["till_number"], f["code"]) for f in flags] == [
        (11, errors.ACCOUNT_OVER_LIMIT),
        (11, errors.CUSTOMER_UNKNOWN),
    ]
    assert "21.00" in flags[0]["message"]
    assert len(server.get("/api/v1/receipts", headers=ADMIN).json()) == 3  # all kept
    # The back office raising the limit keeps the balance the receipts made.
    assert put_customer(server, 7, "Café Krone", "100.00")["balance"] == "21.00"


def test_accounts_are_kept_by_the_back_office_and_read_by_tills(server: TestClient) -> None:
    till = register(server, 10)
    by_till = server.put(
        "/api/v1/customers/7", json={"name": "X", "credit_limit": "1.00"}, headers=till.auth
    )
    assert (by_till.status_code, by_till.json()["code"]) == (401, errors.ADMIN_REQUIRED)
    assert server.get("/api/v1/customers", params={"q": "x"}).status_code == 401
    for number, body in (
        (0, {"name": "X", "credit_limit": "1.00"}),
        (1_000_000, {"name": "X", "credit_limit": "1.00"}),
        (7, {"name": "", "credit_limit": "1.00"}),
        (7, {"name": "X", "credit_limit": "-1.00"}),
        (7, {"name": "X", "credit_limit": 1.5}),
    ):
        answer = server.put(f"/api/v1/customers/{number}", json=body, headers=ADMIN)
        assert (answer.status_code, answer.json()["code"]) == (422, errors.INVALID_INPUT), body
    long_query = server.get("/api/v1/customers", params={"q": "x" * 61}, headers=till.auth)
    assert long_query.status_code == 422
    assert authorise(server, till, 7, "0.00").status_code == 422
    assert Decimal(put_customer(server, 7, "X", "1.00")["balance"]) == 0
