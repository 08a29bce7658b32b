"""Card payments end to end (R2.5), with real processes: ``autonom card-device``, a till
started with ``--card-device`` and the store's server. Online the card is approved; with
the bank link cut it is stored within the device's policy (a Maestro refused, a count cap)
and the ticket of a refused card stays open and is paid in cash; a device shared by
another till refuses this one; a device that hangs or dies mid-payment never charges
twice, also across a restart of the till; and when the bank link returns, each stored
payment's verdict reaches the till, its page and the server, where a declined one is a
``CARD_DEBT`` flag (SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from autonom.demo import add_demo_operators
from tests.integration.till.conftest import TILL, TillApi, restart, wait_for
from tests.support.databases import database_url
from tests.support.processes import (
    ADMIN_TOKEN,
    Part,
    card_device_part,
    server_part,
    till_part,
)

pytestmark = pytest.mark.e2e

VISA = {"card_type": "visa", "card_number": "4111111111111111"}
VISA_DECLINED = {"card_type": "visa", "card_number": "4000000000000002"}
MAESTRO = {"card_type": "maestro", "card_number": "6759649826438453"}
ESPRESSO = "100"  # 2.40 in the demo café


@dataclass
class Store:
    """A store of real processes: the server, the card device and till 10 driving it."""

    server: Part
    device: Part
    till: Part
    cashier: TillApi

    def back_office(self, path: str, **params: str) -> Any:
        answer = httpx.get(
            f"{self.server.url}/api/v1{path}",
            params=params,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()

    def set_bank_link(self, *, up: bool) -> None:
        answer = httpx.put(f"{self.device.url}/control/bank-link", json={"up": up}, timeout=5)
        assert answer.status_code == 200, answer.text

    def device_payments(self, driven_by: int = TILL) -> list[dict[str, Any]]:
        """Every payment the device holds (the device's own list, asked as its driver)."""
        answer = httpx.get(
            f"{self.device.url}/payments", params={"till_number": driven_by, "after": 0}, timeout=5
        )
        answer.raise_for_status()
        payments: list[dict[str, Any]] = answer.json()["payments"]
        return payments


@contextmanager
def store(
    tmp_path: Path,
    *,
    backend: str = "sqlite",
    bank_link: str = "up",
    driven_by: int = TILL,
    device_options: tuple[str, ...] = (),
) -> Iterator[Store]:
    with ExitStack() as stack:
        db_url = stack.enter_context(database_url(backend, tmp_path))
        server = server_part(tmp_path / "server", db_url=db_url).start()
        stack.callback(server.stop)
        add_demo_operators(server.url, ADMIN_TOKEN)
        device = card_device_part(
            tmp_path, driven_by=driven_by, bank_link=bank_link, options=device_options
        ).start()
        stack.callback(device.stop)
        till = till_part(tmp_path, TILL, server.url, card_device_url=device.url).start()
        stack.callback(till.stop)
        shop = Store(server, device, till, TillApi.at(till.url))
        # A test may restart the device or the till: whichever runs at the end is stopped.
        stack.callback(lambda: shop.device.stop())
        stack.callback(lambda: shop.till.stop())
        shop.cashier.wait_until_ready()
        shop.cashier.log_in()
        yield shop


def ticket_of(cashier: TillApi, *plus: str) -> str:
    ticket = cashier.open()
    for plu in plus or (ESPRESSO,):
        cashier.book(ticket, plu)
    return ticket


def pay_by_card(cashier: TillApi, ticket: str, card: dict[str, str] | None = VISA) -> Any:
    """Close the ticket by card (the amount due); the answer as it came."""
    body: dict[str, Any] = {"tenders": [{"method": "card"}], "print_receipt": False}
    if card is not None:
        body["card"] = card
    return cashier.http.post(f"/api/tickets/{ticket}/close", json=body)


def pay_cash(cashier: TillApi, ticket: str) -> Any:
    total = cashier.http.get(f"/api/tickets/{ticket}").json()["total"]
    body = {"tenders": [{"method": "cash", "amount": total}], "print_receipt": False}
    return cashier.http.post(f"/api/tickets/{ticket}/close", json=body)


def till_card_payments(cashier: TillApi) -> list[dict[str, Any]]:
    answer = cashier.http.get("/api/card-payments")
    answer.raise_for_status()
    payments: list[dict[str, Any]] = answer.json()
    return payments


def ticket_status(cashier: TillApi, ticket: str) -> str:
    status: str = cashier.http.get(f"/api/tickets/{ticket}").json()["status"]
    return status


def refused(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    assert body["code"] == code, answer.text
    return body


def words(html: str) -> str:
    """A page's text with its line breaks and indentation as single spaces."""
    return " ".join(html.split())


def cashier_page(url: str) -> httpx.Client:
    """The cashier page as a browser holds it: logged in, with its cookie."""
    page = httpx.Client(base_url=url, timeout=10)
    answer = page.post("/login/1", data={"pin": "1111"}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return page


def test_a_card_paid_online_is_approved_with_its_code_on_the_receipt_and_the_server(
    tmp_path: Path,
) -> None:
    with store(tmp_path) as shop:
        ticket = ticket_of(shop.cashier)
        paid = pay_by_card(shop.cashier, ticket)
        [payment] = till_card_payments(shop.cashier)
        on_server = wait_for(
            lambda: shop.back_office("/card-payments"),
            seconds=30,
            what="the card payment on the server",
        )

    assert paid.status_code == 201, paid.text
    receipt = paid.json()
    assert any(line.startswith("Card Visa ****1111") for line in receipt["lines"])
    assert f"  Approval code {payment['approval_code']}" in receipt["lines"]
    assert (payment["state"], payment["receipt_number"]) == ("approved", receipt["number"])
    assert [(p["state"], p["stored_offline"], p["receipt_number"]) for p in on_server] == [
        ("approved", False, receipt["number"])
    ]


@pytest.mark.parametrize(
    "backend", [pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_offline_card_payments_are_stored_and_their_verdicts_reach_till_page_and_server(
    tmp_path: Path, backend: str
) -> None:
    with store(tmp_path, backend=backend, bank_link="down") as shop:
        cashier = shop.cashier
        page = cashier_page(shop.till.url)
        approved_later = pay_by_card(cashier, ticket_of(cashier))
        declined_later = pay_by_card(cashier, ticket_of(cashier), VISA_DECLINED)
        maestro_ticket = ticket_of(cashier)
        maestro = pay_by_card(cashier, maestro_ticket, MAESTRO)
        open_after_refusal = ticket_status(cashier, maestro_ticket)
        cash = pay_cash(cashier, maestro_ticket)
        unpaid = ticket_of(cashier)
        pay_screen = wait_for(
            lambda: (
                (text := words(page.get(f"/tickets/{unpaid}/pay").text))
                and "up to 248 more" in text  # the device asked after the two stored
                and text
            ),
            seconds=15,
            what="the pay screen showing the bank link down and the room left",
        )
        stored_receipt = words(page.get(f"/receipts/{approved_later.json()['number']}").text)
        device = cashier.http.get("/api/card-device").json()

        shop.set_bank_link(up=True)
        settled = wait_for(
            lambda: (
                (found := {p["receipt_number"]: p for p in till_card_payments(cashier)})
                and all(p["state"] != "stored" for p in found.values())
                and found
            ),
            seconds=30,
            what="the bank's verdicts on the till",
        )
        on_server = wait_for(
            lambda: (
                (found := shop.back_office("/card-payments"))
                and all(p["state"] != "stored" for p in found)
                and found
            ),
            seconds=30,
            what="the bank's verdicts on the server",
        )
        flags = shop.back_office("/flags")
        declined_page = words(page.get(f"/receipts/{declined_later.json()['number']}").text)
        card_payments_page = words(page.get("/card-payments").text)

    assert approved_later.status_code == declined_later.status_code == 201
    assert "  Stored offline - result pending" in approved_later.json()["lines"]
    assert refused(maestro, 409, "CARD_TYPE_OFFLINE")["detail"] == {"card_type": "maestro"}
    assert open_after_refusal == "open"  # nothing half-written: still open, payable in cash
    assert cash.status_code == 201, cash.text
    assert "card payments are stored and sent later, up to 248 more" in pay_screen
    assert "test card" in pay_screen.lower()
    assert "stored offline — result pending" in stored_receipt
    assert (device["card_payment"], device["bank_link_up"]) == ("limited", False)
    assert "payments are stored and sent later" in device["words"]  # the matrix's cell
    approved_number = approved_later.json()["number"]
    declined_number = declined_later.json()["number"]
    assert settled[approved_number]["state"] == "approved"
    assert settled[approved_number]["approval_code"] is not None
    assert settled[declined_number]["state"] == "declined"
    assert "a debt for the store to collect" in settled[declined_number]["words"]
    assert {p["receipt_number"]: p["state"] for p in on_server} == {
        approved_number: "approved",
        declined_number: "declined",
    }
    assert [(f["code"], declined_number in f["message"]) for f in flags] == [("CARD_DEBT", True)]
    assert "2.40" in flags[0]["message"]
    assert "declined by the bank — a debt for the store to collect" in declined_page
    assert "approved after forwarding" in card_payments_page


def test_the_offline_count_cap_refuses_the_next_card_and_cash_pays_it(tmp_path: Path) -> None:
    with store(tmp_path, bank_link="down", device_options=("--max-count", "3")) as shop:
        cashier = shop.cashier
        stored = [pay_by_card(cashier, ticket_of(cashier)) for _ in range(3)]
        fourth = ticket_of(cashier)
        capped = pay_by_card(cashier, fourth)
        open_after_refusal = ticket_status(cashier, fourth)
        cash = pay_cash(cashier, fourth)
        payments = till_card_payments(cashier)

    assert [a.status_code for a in stored] == [201, 201, 201]
    assert refused(capped, 409, "OFFLINE_CAP_REACHED")["detail"] == {"cap": "count"}
    assert open_after_refusal == "open"
    assert cash.status_code == 201, cash.text
    assert [p["state"] for p in payments] == ["refused", "stored", "stored", "stored"]
    assert payments[0]["refusal_code"] == "OFFLINE_CAP_REACHED"


def test_a_device_driven_by_another_till_refuses_this_one(tmp_path: Path) -> None:
    with store(tmp_path, driven_by=11) as shop:
        ticket = ticket_of(shop.cashier)
        not_here = pay_by_card(shop.cashier, ticket)
        open_after_refusal = ticket_status(shop.cashier, ticket)
        cash = pay_cash(shop.cashier, ticket)
        held = shop.device_payments(driven_by=11)

    assert refused(not_here, 403, "DEVICE_NOT_HERE")["detail"] == {"driven_by": 11}
    assert open_after_refusal == "open"
    assert cash.status_code == 201, cash.text
    assert held == []


def test_a_device_killed_mid_payment_is_asked_again_with_the_same_id_and_charges_once(
    tmp_path: Path,
) -> None:
    with store(tmp_path) as shop:
        ticket = ticket_of(shop.cashier)
        assert shop.device.process is not None
        shop.device.process.send_signal(signal.SIGSTOP)  # the device hangs with the request
        unanswered = pay_by_card(shop.cashier, ticket)
        [unknown] = till_card_payments(shop.cashier)
        shop.device.kill()  # … and dies before deciding it
        shop.device = restart(shop.device)
        retried = pay_by_card(shop.cashier, ticket)
        held = shop.device_payments()

    body = refused(unanswered, 503, "CARD_DEVICE_UNAVAILABLE")
    assert "will not be charged twice" in body["message"]
    assert unknown["state"] == "unknown"
    assert retried.status_code == 201, retried.text
    assert [p["payment_id"] for p in held] == [unknown["payment_id"]]  # charged once


def test_a_payment_the_device_took_while_the_till_died_is_finished_after_its_restart(
    tmp_path: Path,
) -> None:
    with store(tmp_path) as shop:
        cashier = shop.cashier
        ticket = ticket_of(cashier)
        assert shop.device.process is not None
        shop.device.process.send_signal(signal.SIGSTOP)
        unanswered = pay_by_card(cashier, ticket)
        shop.till.kill()  # the till dies with the outcome unknown
        shop.device.process.send_signal(signal.SIGCONT)  # the device takes the payment
        wait_for(lambda: shop.device_payments(), seconds=10, what="the device deciding")
        shop.till = restart(shop.till)
        cashier = TillApi.at(shop.till.url)
        cashier.log_in()
        resolved = wait_for(
            lambda: (found := till_card_payments(cashier)[0])["state"] == "approved" and found,
            seconds=30,
            what="the left-over card payment resolved after the restart",
        )
        page = cashier_page(shop.till.url)
        pay_screen = words(page.get(f"/tickets/{ticket}/pay").text)
        cash = pay_cash(cashier, ticket)
        finished = pay_by_card(cashier, ticket, card=None)  # no card: it was charged already
        held = shop.device_payments()

    refused(unanswered, 503, "CARD_DEVICE_UNAVAILABLE")
    assert resolved["unfinished"] is True
    assert resolved["receipt_number"] is None
    assert "Card approved, finish the receipt" in pay_screen
    assert refused(cash, 409, "CARD_PAYMENT_PENDING")["detail"]["state"] == "approved"
    assert finished.status_code == 201, finished.text
    assert any(line.startswith("  Approval code") for line in finished.json()["lines"])
    assert [p["payment_id"] for p in held] == [resolved["payment_id"]]
