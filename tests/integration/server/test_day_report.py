"""Server reports include the offline data (R3.4): the store's day report and the operator
settlement count the receipts a till made in emergency mode and uploaded only when it
reintegrated, beside the live ones — a settlement whose day spanned an outage adds both
sides (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.domain import PaymentMethod, Tender
from tests.integration.server.till_log import ADMIN, CAKE, ESPRESSO, TillLog, push, register

DAY = "2026-11-20"


def sale(till: TillLog, *, card: bool = False) -> str:
    ticket = till.book(till.book(till.open(), ESPRESSO), CAKE)  # 6.60
    method = PaymentMethod.CARD if card else PaymentMethod.CASH
    till.close(ticket, tenders=[Tender(method, Decimal("6.60"))])
    assert ticket.receipt is not None
    return ticket.receipt.number


def day_report(server: TestClient, day: str = DAY) -> dict[str, Any]:
    answer = server.get("/api/v1/reports/day", params={"day": day}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_the_day_report_and_the_settlement_add_the_receipts_uploaded_after_an_outage(
    server: TestClient,
) -> None:
    bar, terrace = register(server, 10), register(server, 11)
    bar.now = terrace.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    sale(bar)
    sale(terrace, card=True)
    for till in (bar, terrace):
        assert push(server, till, till.operations()).status_code == 200
    before = day_report(server)

    # The bar loses the server at noon and sells on in emergency mode …
    bar.now += timedelta(hours=3)
    bar.offline = True
    offline = [sale(bar), sale(bar, card=True)]
    assert all(number.endswith("-02") for number in offline)
    assert day_report(server) == before  # … which the server cannot know yet.
    # It reintegrates in the evening: the same day's report now holds both sides.
    assert push(server, bar, bar.operations()).status_code == 200
    after = day_report(server)

    assert (before["receipt_count"], before["offline_count"], before["total"]) == (2, 0, "13.20")
    assert (after["receipt_count"], after["offline_count"], after["total"]) == (4, 2, "26.40")
    assert after["tills"] == [
        {
            "till_number": 10,
            "receipt_count": 3,
            "offline_count": 2,
            "total": "19.80",
            "offline_total": "13.20",
        },
        {
            "till_number": 11,
            "receipt_count": 1,
            "offline_count": 0,
            "total": "6.60",
            "offline_total": "0.00",
        },
    ]
    assert after["payments"] == [
        {"method": "cash", "amount": "13.20"},
        {"method": "card", "amount": "13.20"},
    ]
    assert sum(Decimal(t["gross"]) for t in after["taxes"]) == Decimal(after["total"])
    settlement = server.get(
        "/api/v1/reports/operator-settlement", params={"operator": 1, "day": DAY}, headers=ADMIN
    ).json()
    assert settlement["receipt_count"] == 4
    assert set(offline) <= {r["number"] for r in settlement["receipts"]}
    assert day_report(server, "2026-11-21")["receipt_count"] == 0


def test_the_day_report_is_for_the_back_office_only(server: TestClient) -> None:
    till = register(server, 10)
    answer = server.get("/api/v1/reports/day", params={"day": DAY}, headers=till.auth)
    assert answer.status_code in (401, 403), answer.text
    bad = server.get("/api/v1/reports/day", params={"day": "yesterday"}, headers=ADMIN)
    assert (bad.status_code, bad.json()["code"]) == (422, "INVALID_INPUT")
