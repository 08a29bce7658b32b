"""The operator settlement (Bedienerabrechnung, R2.4): a server report of one operator's
receipts of a day on every till, with the payments by method; any till may ask for it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient

from autonom.domain import PaymentMethod, Tender, errors
from tests.integration.server.till_log import ADMIN, CAKE, ESPRESSO, TillLog, push, register

DAY = "2026-11-20"


def sale(till: TillLog, *, operator: int, card: bool = False) -> str:
    ticket = till.book(till.book(till.open(operator=operator), ESPRESSO), CAKE)  # 6.60
    method = PaymentMethod.CARD if card else PaymentMethod.CASH
    till.close(ticket, tenders=[Tender(method, Decimal("6.60"))], operator=operator)
    assert ticket.receipt is not None
    return ticket.receipt.number


def settlement(
    server: TestClient, till: TillLog, operator: int, day: str = DAY
) -> dict[str, object]:
    answer = server.get(
        "/api/v1/reports/operator-settlement",
        params={"operator": operator, "day": day},
        headers=till.auth,
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, object] = answer.json()
    return report


def test_an_operators_receipts_of_every_till_are_summed_by_payment_method(
    server: TestClient,
) -> None:
    bar, terrace = register(server, 10), register(server, 11)
    terrace.now = bar.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    first = sale(bar, operator=1)
    sale(bar, operator=2)
    second = sale(terrace, operator=1, card=True)
    for till in (bar, terrace):
        assert push(server, till, till.operations()).status_code == 200

    report = settlement(server, bar, operator=1)

    assert [r["number"] for r in report["receipts"]] == [first, second]  # type: ignore[index]
    assert (report["receipt_count"], report["total"], report["tills"]) == (2, "13.20", [10, 11])
    assert report["payments"] == [
        {"method": "cash", "amount": "6.60"},
        {"method": "card", "amount": "6.60"},
    ]
    assert settlement(server, bar, operator=1, day="2026-11-21")["receipt_count"] == 0
    assert settlement(server, terrace, operator=3)["receipts"] == []
    by_admin = server.get(
        "/api/v1/reports/operator-settlement", params={"operator": 2, "day": DAY}, headers=ADMIN
    )
    assert by_admin.json()["receipt_count"] == 1


def test_the_settlement_is_refused_without_a_credential_or_with_bad_input(
    server: TestClient,
) -> None:
    till = register(server, 10)
    url = "/api/v1/reports/operator-settlement"
    stranger = server.get(url, params={"operator": 1, "day": DAY})
    assert (stranger.status_code, stranger.json()["code"]) == (401, errors.BAD_CREDENTIAL)
    for params in (
        {"operator": 0, "day": DAY},
        {"operator": 1, "day": "yesterday"},
        {"operator": 1, "day": "0001-01-01"},
        {"day": DAY},
    ):
        answer = server.get(url, params=params, headers=till.auth)
        assert (answer.status_code, answer.json()["code"]) == (422, errors.INVALID_INPUT), params
