"""A till's day closes reach the server like any other operation (R2.8): kept with their
figures in ``day_closes`` and listed for the back office; a Z number repeated or skipped is
kept all the same and flagged (invariant 6). On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.domain import DayClosed, Receipt, Ticket
from autonom.domain.reports import FIRST_PERIOD, PeriodStart, ZReport, close_day
from tests.integration.server.till_log import ADMIN, TillLog, push, register


def receipts_of(*tickets: Ticket) -> list[Receipt]:
    return [t.receipt for t in tickets if t.receipt is not None]


def close_the_day(
    till: TillLog, receipts: list[Receipt], start: PeriodStart = FIRST_PERIOD, **changes: Any
) -> DayClosed:
    """The till's day close (the domain's own), queued as its next operation."""
    z: ZReport = close_day(
        start,
        receipts,
        open_tickets=0,
        document_id=str(uuid.uuid4()),
        till_number=till.number,
        operator_number=1,
        at=till.now + timedelta(minutes=1),
        offline=changes.pop("offline", False),
    )
    event = dataclasses.replace(z.event(), **changes)
    till.pending.append(event)
    return event


def day_closes(server: TestClient, **params: Any) -> list[dict[str, Any]]:
    answer = server.get("/api/v1/day-closes", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def flag_codes(server: TestClient) -> list[tuple[str, int]]:
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    return [(f["code"], f["seq"]) for f in flags]


def test_a_day_close_pushed_after_its_receipts_is_kept_with_its_figures(
    server: TestClient,
) -> None:
    till = register(server, 10)
    sales = receipts_of(till.sale(items=2), till.sale(items=1))
    closed = close_the_day(till, sales, offline=True)

    answer = push(server, till, till.operations())

    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 4 + 3 + 1
    [kept] = day_closes(server)
    assert kept["till_number"] == 10
    assert kept["z_number"] == 1
    assert kept["document_id"] == closed.document_id
    assert kept["offline"] is True
    assert kept["duplicate"] is False
    assert kept["receipt_count"] == 2
    assert kept["sales_total"] == kept["grand_total"] == "7.20"
    assert kept["tax_totals"] == [
        {"code": "A", "percent": "19.00", "gross_total": "7.20", "tax_total": "1.15"}
    ]
    assert kept["payment_totals"] == [{"method": "cash", "count": 2, "amount_total": "7.20"}]
    assert kept["receipt_ranges"] == [
        {"form": 1, "first_receipt": "10000001-01", "last_receipt": "10000002-01"}
    ]
    assert kept["period_start"] is None
    assert datetime.fromisoformat(kept["closed_at"]) == closed.closed_at
    assert flag_codes(server) == []


def test_day_closes_are_listed_per_till_for_the_admin_only(server: TestClient) -> None:
    ten, eleven = register(server, 10), register(server, 11)
    first = close_the_day(ten, receipts_of(ten.sale()))
    close_the_day(eleven, [])
    close_the_day(
        ten,
        receipts_of(ten.sale()),
        start=PeriodStart(
            z_number=1,
            closed_at=first.closed_at,
            grand_total=first.grand_total,
            receipts_through={1: 1},
        ),
    )
    for till in (ten, eleven):
        assert push(server, till, till.operations()).status_code == 200

    of_ten = day_closes(server, till_number=10)
    everything = day_closes(server)
    anonymous = server.get("/api/v1/day-closes")
    as_a_till = server.get("/api/v1/day-closes", headers=ten.auth)
    bad_number = server.get("/api/v1/day-closes", params={"till_number": 0}, headers=ADMIN)

    assert [(d["z_number"], d["receipt_count"], d["grand_total"]) for d in of_ten] == [
        (1, 1, "4.80"),
        (2, 1, "9.60"),
    ]
    assert datetime.fromisoformat(of_ten[1]["period_start"]) == first.closed_at
    assert [(d["till_number"], d["z_number"]) for d in everything] == [(10, 1), (10, 2), (11, 1)]
    assert everything[2]["receipt_count"] == 0, "a null Z"
    for refused in (anonymous, as_a_till):
        assert (refused.status_code, refused.json()["code"]) == (401, "ADMIN_REQUIRED")
    assert (bad_number.status_code, bad_number.json()["code"]) == (422, "INVALID_INPUT")


def test_a_repeated_or_skipped_z_number_is_kept_and_flagged(server: TestClient) -> None:
    till = register(server, 10)
    close_the_day(till, [])
    assert push(server, till, till.operations()).status_code == 200
    close_the_day(till, [])  # Z 1 again: a till restored from an old backup
    close_the_day(till, [], z_number=3)  # Z 2 never came

    answer = push(server, till, till.operations())

    assert answer.status_code == 200, answer.text
    kept = [(d["z_number"], d["duplicate"]) for d in day_closes(server)]
    assert kept == [(1, False), (1, True), (3, False)]
    assert flag_codes(server) == [("Z_NUMBER_REPEATED", 2), ("Z_NUMBER_SKIPPED", 3)]
    messages = [f["message"] for f in server.get("/api/v1/flags", headers=ADMIN).json()]
    assert "Z 1" in messages[0]
    assert "expected Z 2" in messages[1]


def test_a_day_close_outside_the_limits_is_refused_and_nothing_written(
    server: TestClient,
) -> None:
    till = register(server, 10)
    close_the_day(till, [])
    [operation] = till.operations()
    oddities: list[tuple[str, Any]] = [
        ("z_number", 0),
        ("sales_total", "-1.00"),
        ("grand_total", "1e3"),
        ("sales_total", 1.5),
        ("till_number", True),
        ("tax_totals", [{"code": "A", "percent": "19", "gross_total": "1"}]),
    ]

    answers = []
    for field, value in oddities:
        odd = {**operation, "event": {**operation["event"], field: value}}
        answers.append(push(server, till, [odd]))
    foreign = close_the_day(register(server, 11), [])
    stolen = {**operation, "event": {**operation["event"], "till_number": foreign.till_number}}
    wrong_till = push(server, till, [stolen])

    for (field, _), answer in zip(oddities, answers, strict=True):
        assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_INPUT"), field
    assert (wrong_till.status_code, wrong_till.json()["code"]) == (403, "WRONG_TILL")
    assert day_closes(server) == []
    assert push(server, till, [operation]).status_code == 200
    assert [d["sales_total"] for d in day_closes(server)] == [str(Decimal("0.00"))]
