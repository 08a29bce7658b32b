"""The reports on the cashier page and the JSON API (R2.8), rendered by the till's web app on
a real SQLite file: the X report, the report of emergency mode, the day close after a
confirmation step, the day closes, printing; every refusal an alert or an ErrorBody."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from autonom.till.domain import Mode
from autonom.till.entrypoints.web import create_app
from tests.integration.till.conftest import api_login, make_till, page_login
from tests.integration.till.test_cashier_page import (
    TRACEBACK,
    alert_codes,
    links_of,
    open_counter_ticket,
)


def paper(html: str) -> str:
    """The report as the page shows it (the printer's lines)."""
    start = html.index('data-testid="report-view"')
    return html[start : html.index("</pre>", start)]


def sell_on_the_page(client: TestClient, plu: str = "100", quantity: str = "2") -> None:
    ticket_id = open_counter_ticket(client)
    client.post(f"/tickets/{ticket_id}/bookings", data={"plu": plu, "quantity": quantity})
    client.post(f"/tickets/{ticket_id}/pay", data={"method": "cash"})


def test_a_cashier_reads_the_x_report_and_closes_the_day_after_confirming(
    client: TestClient,
) -> None:
    page_login(client)
    sell_on_the_page(client)
    tickets = client.get("/tickets")
    assert 'href="/reports" data-testid="nav-reports"' in tickets.text

    x = client.get("/reports")
    offline = client.get("/reports", params={"show": "offline"})
    confirm = client.get("/reports/day-close")
    assert client.get("/reports").text.count('data-testid="day-close-row-') == 0, "not yet"
    closed = client.post("/reports/day-close")
    listed = client.get("/reports")
    printed = client.post("/reports/z/1/print")

    assert "X REPORT (INTERIM)" in paper(x.text)
    assert re.search(r"TOTAL +EUR 4\.80", paper(x.text))
    assert "No day close yet on this till." in x.text
    assert "REPORT OF EMERGENCY MODE" in paper(offline.text)
    assert re.search(r"Receipts +0", paper(offline.text))
    assert 'data-testid="confirm-day-close"' in confirm.text
    assert "X REPORT (INTERIM)" in paper(confirm.text), "what the Z report will count"
    assert str(closed.url).endswith("/reports/z/1")
    assert "Day closed: Z report 1 printed." in closed.text
    assert "Z REPORT - DAY CLOSE 0001" in paper(closed.text)
    assert re.search(r"Grand total +EUR 4\.80", paper(closed.text))
    assert 'data-testid="day-close-row-1"' in listed.text
    assert "queued, not sent yet" in listed.text  # this till's server is unreachable
    assert "Z report 1 printed." in printed.text
    assert re.search(r"Receipts +0", paper(listed.text)), "the next period starts empty"


def test_a_second_day_close_without_sales_is_a_null_z(client: TestClient) -> None:
    page_login(client)
    sell_on_the_page(client)
    client.post("/reports/day-close")

    confirm = client.get("/reports/day-close")
    null = client.post("/reports/day-close")

    assert 'data-testid="null-z"' in confirm.text
    assert str(null.url).endswith("/reports/z/2")
    assert "NULL Z: NO RECEIPTS SINCE THE LAST ONE" in paper(null.text)


def test_page_refusals_are_alerts_never_tracebacks(client: TestClient) -> None:
    page_login(client)
    ticket_id = open_counter_ticket(client)
    client.post(f"/tickets/{ticket_id}/bookings", data={"plu": "100", "quantity": "1"})

    open_tickets = client.post("/reports/day-close")
    missing = client.get("/reports/z/42")
    nonsense = client.get("/reports/z/0")
    huge = client.get(f"/reports/z/{10**30}")
    odd_kind = client.get("/reports", params={"show": "everything"})

    assert str(open_tickets.url).endswith("/reports")
    assert alert_codes(open_tickets.text) == ["OPEN_TICKETS"]
    assert "1 ticket is still open on this till" in open_tickets.text
    assert alert_codes(missing.text) == ["NOT_FOUND"]
    assert 'data-testid="day-closes">No day close yet' in missing.text
    for answer in (nonsense, huge, odd_kind):
        assert answer.status_code == 422
    for answer in (open_tickets, missing, nonsense, huge, odd_kind):
        assert TRACEBACK not in answer.text


def test_reports_need_a_login_and_load_nothing_from_the_internet(client: TestClient) -> None:
    anonymous = client.get("/reports", follow_redirects=False)
    page_login(client)
    sell_on_the_page(client)
    client.post("/reports/day-close")
    screens = [
        client.get("/reports"),
        client.get("/reports?show=offline"),
        client.get("/reports/day-close"),
        client.get("/reports/z/1"),
    ]

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login"
    urls = [url for screen in screens for url in links_of(screen.text)]
    assert [u for u in urls if re.match(r"^\s*(https?:|//|data:|javascript:)", u)] == []


def test_the_api_answers_reports_and_closes_the_day(client: TestClient) -> None:
    api_login(client)
    ticket_id = client.post("/api/tickets", json={}).json()["ticket_id"]
    client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": "200", "quantity": 2})
    client.post(
        f"/api/tickets/{ticket_id}/close", json={"tenders": [{"method": "cash", "amount": "5"}]}
    )

    x = client.get("/api/reports/x")
    offline = client.get("/api/reports/offline")
    printed = client.post("/api/reports/offline/print")
    closed = client.post("/api/day-close", json={"print_report": False})
    null = client.post("/api/day-close")
    listed = client.get("/api/day-closes")
    first = client.get("/api/day-closes/1")
    reprinted = client.post("/api/day-closes/1/print")

    assert x.status_code == 200, x.text
    figures = x.json()["figures"]
    assert (figures["receipt_count"], figures["sales_total"]) == (1, "3.80")
    assert figures["payment_totals"] == [{"method": "cash", "count": 1, "amount_total": "3.80"}]
    assert figures["tax_totals"] == [
        {"code": "B", "percent": "7.00", "gross_total": "3.80", "tax_total": "0.25"}
    ]
    assert x.json()["kind"] == "x"
    assert x.json()["z_number"] is None
    assert offline.json()["kind"] == "offline"
    assert offline.json()["unsent_count"] == 3  # open, book, close
    assert offline.json()["unsent_receipts"] == ["10000001-01"]
    assert printed.json() == {"printed": True, "printer_problem": None}
    assert closed.status_code == 201, closed.text
    z = closed.json()
    assert (z["kind"], z["z_number"], z["offline"], z["null"]) == ("z", 1, False, False)
    assert z["grand_total"] == "3.80"
    assert any("Z REPORT - DAY CLOSE 0001" in line for line in z["lines"])
    assert (null.status_code, null.json()["z_number"], null.json()["null"]) == (201, 2, True)
    assert [d["z_number"] for d in listed.json()] == [2, 1]
    assert first.json()["document_id"] == z["document_id"]
    assert reprinted.json()["printed"] is True


def test_api_refusals_are_error_bodies(client: TestClient) -> None:
    anonymous = client.get("/api/reports/x")
    api_login(client)
    ticket_id = client.post("/api/tickets", json={"table": 7}).json()["ticket_id"]
    client.post(f"/api/tickets/{ticket_id}/bookings", json={"plu": "100"})

    open_tickets = client.post("/api/day-close", json={})
    unknown_field = client.post("/api/day-close", json={"print_report": True, "z_number": 7})
    not_a_bool = client.post("/api/day-close", json={"print_report": "perhaps"})
    missing = client.get("/api/day-closes/42")
    zero = client.get("/api/day-closes/0")
    huge = client.get(f"/api/day-closes/{10**30}")
    too_many = client.get("/api/day-closes", params={"limit": 10**6})

    answers = {
        "anonymous": (anonymous, 401, "NOT_LOGGED_IN"),
        "open_tickets": (open_tickets, 409, "OPEN_TICKETS"),
        "unknown_field": (unknown_field, 422, "INVALID_INPUT"),
        "not_a_bool": (not_a_bool, 422, "INVALID_INPUT"),
        "missing": (missing, 404, "NOT_FOUND"),
        "zero": (zero, 422, "INVALID_INPUT"),
        "huge": (huge, 422, "INVALID_INPUT"),
        "too_many": (too_many, 422, "INVALID_INPUT"),
    }
    for name, (answer, status, code) in answers.items():
        assert (answer.status_code, answer.json()["code"]) == (status, code), name
        assert answer.json()["message"], name
    assert open_tickets.json()["detail"] == {"open_tickets": 1}
    assert client.get("/api/day-closes").json() == []


def test_a_printer_that_is_off_keeps_the_day_close_and_the_api_says_why(tmp_path: Path) -> None:
    till = make_till(tmp_path / "till-10", printer="tcp:127.0.0.1:9")  # discard: refused
    try:
        with TestClient(create_app(till), raise_server_exceptions=False) as client:
            api_login(client)
            closed = client.post("/api/day-close")
            page_login(client)
            on_page = client.post("/reports/day-close")
    finally:
        till.stop()

    assert closed.status_code == 201
    assert closed.json()["z_number"] == 1
    assert "refused the connection" in closed.json()["printer_problem"]
    assert str(on_page.url).endswith("/reports/z/2")
    assert "Day closed: Z report 2 not printed" in on_page.text


def test_in_emergency_mode_the_page_says_the_day_close_is_queued(tmp_path: Path) -> None:
    data_dir = tmp_path / "till-10"
    till = make_till(data_dir)
    till.station.save_mode(Mode.EMERGENCY)  # a restart resumes emergency mode
    till.stop()
    till = make_till(data_dir, master_data=False)
    try:
        with TestClient(create_app(till), raise_server_exceptions=False) as client:
            page_login(client)
            sell_on_the_page(client, "200", "1")
            offline = client.get("/reports", params={"show": "offline"})
            before = client.get("/reports")
            closed = client.post("/reports/day-close")
            listed = client.get("/reports")
    finally:
        till.stop()

    assert re.search(r"Receipts +1", paper(offline.text))
    assert re.search(r"in the emergency range +1", paper(offline.text))
    assert 'data-testid="day-close-limited"' in before.text
    assert "queued with its date and time" in before.text
    assert "AUTONOMOUS - OFFLINE" in paper(closed.text)
    row = listed.text[listed.text.index('data-testid="day-close-row-1"') :]
    assert '<span class="mark">OFF</span>' in row[: row.index("</tr>")]
    assert "queued, not sent yet" in row[: row.index("</tr>")]
