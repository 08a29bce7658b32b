"""The gate page and the gate's JSON API on a real SQLite file, the server out of reach: a
scan is recorded and shown pending, a form sent twice is a duplicate, what is no admission
is an alert; the page refreshes its list by itself."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.integration.till.conftest import api_login, page_login
from tests.integration.till.test_cashier_page import alert_codes, links_of


def form_nonce(html: str) -> str:
    found = re.search(r'name="nonce" value="([0-9a-f-]{36})"', html)
    assert found, html
    return found.group(1)


def test_a_scan_at_the_gate_page_is_recorded_and_shown_pending_while_no_server_answers(
    client: TestClient,
) -> None:
    page_login(client)
    gate = client.get("/gate", params={"gate": "north"})
    assert gate.status_code == 200
    assert 'data-testid="scan-input"' in gate.text
    assert "/gate/scans" in links_of(gate.text)  # the list refreshes itself
    nonce = form_nonce(gate.text)

    after = client.post("/gate", data={"number": "10000001-04", "gate": "north", "nonce": nonce})
    assert after.status_code == 200
    assert str(after.url).endswith("/gate?gate=north")
    assert 'data-testid="gate-last" data-result="pending"' in after.text
    assert "recorded — will be checked after the outage" in after.text
    assert 'data-testid="gate-pending"' in after.text
    assert form_nonce(after.text) != nonce  # the next scan gets a nonce of its own

    twice = client.post("/gate", data={"number": "10000001-04", "gate": "north", "nonce": nonce})
    assert "duplicate: this scan was recorded already" in twice.text
    listed = client.get("/gate/scans")
    assert listed.text.count('data-testid="gate-scan"') == 1
    assert 'data-pending="1"' in listed.text

    wrong = client.post("/gate", data={"number": "10000001-01", "gate": "north", "nonce": ""})
    assert alert_codes(wrong.text) == ["BAD_ADMISSION_NUMBER"]
    assert "Traceback" not in wrong.text
    assert 'data-testid="nav-gate"' in wrong.text


def test_the_gate_api_answers_each_scan_and_a_nonce_sent_again_once(client: TestClient) -> None:
    api_login(client)
    nonce = "5c1e2a9b-0000-4000-8000-000000000001"
    first = client.post("/api/gate-scans", json={"number": "10000002-04", "nonce": nonce})
    assert first.status_code == 200, first.text
    assert (first.json()["result"], first.json()["gate"]) == ("pending", "main")
    again = client.post("/api/gate-scans", json={"number": "10000002-04", "nonce": nonce})
    assert again.json()["result"] == "duplicate"
    assert [s["nonce"] for s in client.get("/api/gate-scans").json()] == [nonce]
    assert [s["nonce"] for s in client.get("/api/gate-scans?pending=true").json()] == [nonce]

    for body, code in (
        ({"number": "receipt 10000001-01"}, "INVALID_INPUT"),  # longer than any number
        ({"number": "10000001-01"}, "BAD_ADMISSION_NUMBER"),
        ({"number": "10000001-04", "gate": " "}, "BAD_GATE"),
        ({"number": "10000001-04", "nonce": "x"}, "INVALID_INPUT"),
        ({"number": "10000001-04", "extra": 1}, "INVALID_INPUT"),
    ):
        refused = client.post("/api/gate-scans", json=body)
        assert (refused.status_code, refused.json()["code"]) == (422, code), body
    client.headers.pop("Authorization")
    assert client.post("/api/gate-scans", json={"number": "10000001-04"}).status_code == 401
