"""The functions that need the server on the cashier page (R2.4), rendered by the till's
web app on a real SQLite file: the panel lists every function of the matrix with its state
now; in emergency mode a refused one is disabled with its reason; the operator settlement
tried offline is the notice that closes itself after 45 s (seed 000); a voucher the server
does not answer for is refused and the ticket stays open."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Health, Reason, Verdict
from autonom.till.domain.capabilities import Function
from tests.integration.till.conftest import page_login
from tests.integration.till.test_cashier_page import alert_codes, open_counter_ticket


def emergency_mode(till: Till) -> None:
    till.modes.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), time.monotonic())
    till.modes.choose(Choice.EMERGENCY)


def rows(html: str) -> list[str]:
    return re.findall(r'<li [^>]*data-testid="function-(\w+)"', html)


def function_row(html: str, function: str) -> str:
    found = re.search(rf'<li [^>]*data-testid="function-{function}".*?</li>', html, re.S)
    assert found, function
    return found.group(0)


def test_the_tickets_screen_lists_every_function_with_its_state_now(client: TestClient) -> None:
    page_login(client)
    screen = client.get("/tickets").text
    assert 'data-testid="functions"' in screen
    assert 'hx-get="/functions"' in screen
    assert rows(screen) == [f.value for f in Function]
    assert 'data-level="available"' in function_row(screen, "voucher_redeem")
    provider = function_row(screen, "integrated_payment")
    assert 'aria-disabled="true"' in provider
    assert "No payment provider is configured" in provider
    assert "No webshop is configured" in function_row(screen, "online_orders")
    # This till was started without --card-device: card payments have nothing behind them.
    assert "No card device is configured" in function_row(screen, "card_payment")
    assert 'href="/operator-settlement"' in screen
    assert rows(client.get("/functions").text) == [f.value for f in Function]


def test_in_emergency_mode_the_server_functions_are_disabled_with_their_reasons(
    client: TestClient, page_till: Till
) -> None:
    page_login(client)
    ticket_id = open_counter_ticket(client)
    client.post(f"/tickets/{ticket_id}/bookings", data={"plu": "100", "quantity": "1"})
    emergency_mode(page_till)

    panel = client.get("/functions").text
    redeem = function_row(panel, "voucher_redeem")
    assert 'data-level="refused"' in redeem
    assert 'aria-disabled="true"' in redeem
    assert "only the server knows whether it was already used" in redeem
    assert "FEATURE_OFFLINE" in redeem
    assert 'data-level="limited"' in function_row(panel, "voucher_sell")
    assert "this till&#39;s own range" in function_row(panel, "voucher_sell")
    assert "EVENT_TICKET_OFFLINE" in function_row(panel, "event_ticket")

    pay = client.get(f"/tickets/{ticket_id}/pay").text
    assert re.search(
        r'<button type="button" class="big" disabled data-testid="redeem-voucher">', pay
    )
    assert 'data-testid="redeem-voucher-reason"' in pay
    assert 'name="number"' not in pay  # no voucher form to fill in offline
    assert re.search(r'<button type="button" class="big" disabled data-testid="on-account">', pay)
    assert "Customer data and accounts need the server" in pay
    assert 'data-testid="customer-search"' not in pay


def test_the_operator_settlement_offline_is_a_notice_that_closes_itself_after_45_s(
    client: TestClient, page_till: Till
) -> None:
    page_login(client)
    emergency_mode(page_till)

    notice = client.get("/operator-settlement")

    assert notice.status_code == 200
    html = notice.text
    assert 'data-testid="settlement-notice"' in html
    assert 'data-closes-after-s="45"' in html
    assert 'data-code="FEATURE_OFFLINE"' in html
    assert "The operator settlement is a server report" in html
    assert 'data-testid="settlement-notice-ok"' in html
    assert 'href="/tickets"' in html
    assert "45000" in html  # the timer that closes it
    assert "closes by itself after about\n    45 seconds" in html


def test_a_voucher_the_server_does_not_answer_for_is_refused_and_the_ticket_stays_open(
    client: TestClient, page_till: Till
) -> None:
    page_login(client)  # live mode, but this till's server is not there
    ticket_id = open_counter_ticket(client)
    client.post(f"/tickets/{ticket_id}/bookings", data={"plu": "100", "quantity": "1"})
    pay = client.get(f"/tickets/{ticket_id}/pay").text
    assert 'data-testid="voucher-number"' in pay

    answer = client.post(
        f"/tickets/{ticket_id}/pay/voucher", data={"number": "10000001-03", "amount": ""}
    )

    assert answer.url.path == f"/tickets/{ticket_id}/pay"
    assert alert_codes(answer.text) == ["SERVER_UNREACHABLE"]
    assert "was not redeemed" in answer.text
    assert page_till.selling.ticket(ticket_id).receipt is None
    typo = client.post(f"/tickets/{ticket_id}/pay/voucher", data={"number": "12", "amount": ""})
    assert alert_codes(typo.text) == ["VOUCHER_UNKNOWN"]


def test_a_customer_lookup_the_server_does_not_answer_shows_the_refusal_in_the_alerts(
    client: TestClient, page_till: Till
) -> None:
    page_login(client)
    ticket_id = open_counter_ticket(client)
    client.post(f"/tickets/{ticket_id}/bookings", data={"plu": "100", "quantity": "1"})
    pay = client.get(f"/tickets/{ticket_id}/pay").text
    assert 'hx-get="/tickets/' + ticket_id + '/pay/customers"' in pay

    lookup = client.get(
        f"/tickets/{ticket_id}/pay/customers", params={"q": "Krone"}, headers={"HX-Request": "true"}
    )
    on_account = client.post(f"/tickets/{ticket_id}/pay/account", data={"customer_number": "7"})
    typo = client.post(f"/tickets/{ticket_id}/pay/account", data={"customer_number": "٧"})

    assert lookup.status_code == 503
    assert lookup.headers["HX-Retarget"] == "#alerts"
    assert alert_codes(lookup.text) == ["SERVER_UNREACHABLE"]
    assert alert_codes(on_account.text) == ["SERVER_UNREACHABLE"]
    assert (
        "Nothing was put on the account" in on_account.text or "nothing was put" in on_account.text
    )
    assert alert_codes(typo.text) == ["CUSTOMER_UNKNOWN"]
    assert page_till.selling.ticket(ticket_id).receipt is None
