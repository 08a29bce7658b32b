"""The sync report (R3.3) on the real database (SQLite and PostgreSQL): after the story of
``test_merge_rules`` (table 3 merged, table 5 moved 1:1, table 7 paid elsewhere with an OFF
line, table 8 paid on both sides), till 10 asks for the report of its reintegration; the
server builds it from what those operations did, keeps it (once), lists it in the back
office and shows it on the back-office page with the merged table's OFF lines."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.server.domain import follow_up_id
from tests.integration.server.test_merge_rules import AT, OFFLINE_OPERATOR, STORY
from tests.integration.server.till_log import ADMIN, ADMIN_TOKEN, push, register


def reintegrated(server: TestClient) -> dict[int, Any]:
    tills = {number: register(server, number) for number in (10, 11)}
    for number in (11, 10):
        answer = push(server, tills[number], STORY.logs[number])
        assert answer.status_code == 200, answer.text
    return tills


def ask(server: TestClient, till: Any, report_id: str, **changes: Any) -> Any:
    body = {
        "report_id": report_id,
        "since": AT.isoformat(),
        "first_seq": 1,
        "through_seq": len(STORY.logs[10]),
    } | changes
    return server.post(f"/api/v1/tills/{till.number}/sync-reports", json=body, headers=till.auth)


def test_the_report_of_a_reintegration_says_what_moved_merged_and_waits_for_a_person(
    server: TestClient,
) -> None:
    tills = reintegrated(server)
    report_id = str(uuid.uuid4())

    answer = ask(server, tills[10], report_id)

    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["till_number"], report["first_seq"]) == (10, 1)
    [merge] = report["merged"]
    assert (merge["merged_ticket_id"], merge["into_ticket_id"]) == (
        STORY.table_3_offline,
        STORY.table_3,
    )
    assert (merge["table"], merge["lines"], merge["owner"]) == (3, 2, OFFLINE_OPERATOR)
    assert [(o["table"], o["owner"]) for o in report["owners_changed"]] == [(3, OFFLINE_OPERATOR)]
    assert [(t["table"], t["total"]) for t in report["moved"]] == [(5, "4.20")]
    # Table 3's two, table 7's one, table 9's and table 5's: five OFF lines.
    assert report["off_bookings"] == 5
    assert sorted(b["table"] for b in report["off_on_open_tickets"]) == [3, 3, 5, 7]
    assert (report["offline_receipts"], Decimal(report["offline_receipts_total"])) == (
        2,
        Decimal("6.60"),
    )
    conflicts = sorted((c["code"], c["ticket_id"]) for c in report["conflicts"])
    assert conflicts == [
        ("FOLLOW_UP_TICKET", follow_up_id(STORY.table_7)),
        ("TICKET_CLOSED_TWICE", STORY.table_8),
    ]

    # Asked again (the answer was lost): the same report, kept once.
    again = ask(server, tills[10], report_id)
    assert again.status_code == 201
    assert again.json() == report
    listed = server.get("/api/v1/sync-reports", headers=ADMIN).json()
    assert [(r["report_id"], r["till_number"], r["conflicts"]) for r in listed] == [
        (report_id, 10, 2)
    ]
    assert server.get(f"/api/v1/sync-reports/{report_id}", headers=ADMIN).json() == report

    # Another till cannot read it through its own path; an unknown id is a clear 404.
    assert ask(server, tills[11], report_id).json()["code"] == "WRONG_TILL"
    missing = server.get(f"/api/v1/sync-reports/{uuid.uuid4()}", headers=ADMIN)
    assert (missing.status_code, missing.json()["code"]) == (404, "SYNC_REPORT_NOT_FOUND")
    bad = ask(server, tills[10], str(uuid.uuid4()), first_seq=9, through_seq=2)
    assert (bad.status_code, bad.json()["code"]) == (422, "INVALID_INPUT")

    # The back-office page: the report, the merged table with its OFF lines, as printed.
    server.cookies.set("autonom_admin", ADMIN_TOKEN)
    page = server.get(f"/back-office/sync-reports/{report_id}")
    assert page.status_code == 200, page.text
    assert page.text.count('data-testid="off-mark"') == 2
    assert "FOLLOW_UP_TICKET" in page.text
    assert "SYNC REPORT" in page.text
    listing = server.get("/back-office/sync-reports")
    assert report_id in listing.text


def test_a_report_past_what_the_server_holds_says_only_what_was_done(
    server: TestClient,
) -> None:
    tills = {number: register(server, number) for number in (10,)}
    answer = ask(server, tills[10], str(uuid.uuid4()), through_seq=50)
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["first_seq"], report["through_seq"]) == (1, 0)
    assert report["merged"] == report["moved"] == report["conflicts"] == []
