"""Vouchers on the server (R2.4): a voucher is registered when the receipt that sold it
arrives; redeeming holds part of its value for a ticket, once per redemption_id, and the
ticket's receipt uses or releases the hold. Two tills redeeming the same voucher at once:
exactly one succeeds (real SQLite and PostgreSQL, threads)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from autonom.contracts.server_functions import RedemptionIn
from autonom.domain import (
    Form,
    Item,
    ItemKind,
    NumberRange,
    PaymentMethod,
    Refusal,
    Tender,
    Ticket,
    errors,
)
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.service_layer import server_functions
from tests.integration.server.till_log import ADMIN, ESPRESSO, TillLog, push, register

GIFT_VOUCHER = Item(
    plu="900", name="Gift voucher", price=Decimal("20.00"), tax_code="A", kind=ItemKind.VOUCHER
)


def sell_voucher(till: TillLog, vouchers: NumberRange) -> str:
    """``till`` sells one 20.00 voucher numbered from ``vouchers`` and closes the sale in
    cash (not pushed yet: as in emergency mode); the voucher's number."""
    number = vouchers.issue()
    ticket = till.open()
    till.book(ticket, GIFT_VOUCHER, issued_number=number)
    till.close(ticket)
    return str(number)


def redeem(
    server: TestClient,
    till: TillLog,
    number: str,
    amount: str,
    ticket_id: str,
    rid: str | None = None,
) -> Any:
    return server.post(
        f"/api/v1/vouchers/{number}/redeem",
        json={"amount": amount, "ticket_id": ticket_id, "redemption_id": rid or str(uuid.uuid4())},
        headers=till.auth,
    )


def remaining(server: TestClient, number: str) -> str:
    answer = server.get(f"/api/v1/vouchers/{number}", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    value: str = answer.json()["remaining"]
    return value


def pay_with_voucher(till: TillLog, ticket: Ticket, number: str, amount: str) -> None:
    """Close ``ticket`` with a voucher payment of ``amount`` and the rest in cash."""
    rest = ticket.total - Decimal(amount)
    tenders = [Tender(PaymentMethod.VOUCHER, Decimal(amount), number)]
    if rest > 0:
        tenders.append(Tender(PaymentMethod.CASH, rest))
    till.close(ticket, tenders=tenders)


def flags(server: TestClient) -> list[dict[str, Any]]:
    answer = server.get("/api/v1/flags", headers=ADMIN)
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()
    return found


def test_a_voucher_sold_offline_is_unknown_until_its_till_syncs_then_redeemable(
    server: TestClient,
) -> None:
    seller, other = register(server, 10), register(server, 11)
    number = sell_voucher(seller, NumberRange(10, Form.VOUCHER))  # not pushed yet

    early = redeem(server, other, number, "5.00", "t-early")
    assert early.status_code == 409, early.text
    assert early.json()["code"] == errors.VOUCHER_NOT_REGISTERED
    assert "till 10" in early.json()["message"]
    unknown = redeem(server, other, "99000001-03", "5.00", "t-early")  # no till 99
    assert (unknown.status_code, unknown.json()["code"]) == (404, errors.VOUCHER_UNKNOWN)
    typo = redeem(server, other, "10000001-01", "5.00", "t-early")  # a receipt's number
    assert (typo.status_code, typo.json()["code"]) == (422, errors.VOUCHER_UNKNOWN)

    assert push(server, seller, seller.operations()).status_code == 200  # it syncs

    answer = redeem(server, other, number, "5.00", "t-later")
    assert answer.status_code == 200, answer.text
    assert answer.json()["remaining"] == "15.00"
    assert answer.json()["state"] == "held"
    voucher = server.get(f"/api/v1/vouchers/{number}", headers=other.auth).json()
    assert (voucher["value"], voucher["till_number"]) == ("20.00", 10)


def test_a_redemption_asked_twice_is_held_once_and_its_id_is_not_reused(server: TestClient) -> None:
    seller = register(server, 10)
    number = sell_voucher(seller, NumberRange(10, Form.VOUCHER))
    push(server, seller, seller.operations())

    first = redeem(server, seller, number, "8.00", "t1", rid="r-1")
    again = redeem(server, seller, number, "8.00", "t1", rid="r-1")  # the answer was lost
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert remaining(server, number) == "12.00"
    reused = redeem(server, seller, number, "9.00", "t1", rid="r-1")
    assert (reused.status_code, reused.json()["code"]) == (409, errors.REDEMPTION_CONFLICT)
    # The same ticket asks again for another amount: the first hold is replaced.
    replaced = redeem(server, seller, number, "20.00", "t1", rid="r-2")
    assert replaced.status_code == 200, replaced.text
    assert remaining(server, number) == "0.00"
    spent = redeem(server, seller, number, "0.01", "t2")
    assert (spent.status_code, spent.json()["code"]) == (409, errors.VOUCHER_EXHAUSTED)


def test_the_receipt_uses_its_redemption_and_a_receipt_without_it_gives_it_back(
    server: TestClient,
) -> None:
    seller = register(server, 10)
    number = sell_voucher(seller, NumberRange(10, Form.VOUCHER))
    push(server, seller, seller.operations())

    paid = seller.book(seller.open(), ESPRESSO, 3)  # 7.20
    assert redeem(server, seller, number, "5.00", paid.ticket_id).status_code == 200
    pay_with_voucher(seller, paid, number, "5.00")
    # A crash after the server's answer: the cashier paid this one in cash after all.
    abandoned = seller.book(seller.open(), ESPRESSO)
    assert redeem(server, seller, number, "2.00", abandoned.ticket_id).status_code == 200
    assert remaining(server, number) == "13.00"
    seller.close(abandoned)

    assert push(server, seller, seller.operations()).status_code == 200

    assert remaining(server, number) == "15.00"  # 5.00 used, the 2.00 given back
    too_much = redeem(server, seller, number, "15.01", "t-next")
    assert too_much.json()["code"] == errors.VOUCHER_INSUFFICIENT
    assert too_much.json()["detail"] == {"remaining": "15.00"}
    assert flags(server) == []


def test_a_receipt_paid_by_a_voucher_the_server_did_not_redeem_is_flagged_not_refused(
    server: TestClient,
) -> None:
    till = register(server, 10)
    ticket = till.book(till.open(), ESPRESSO)
    pay_with_voucher(till, ticket, "10000009-03", "2.40")

    answer = push(server, till, till.operations())

    assert answer.status_code == 200, answer.text
    [flag] = flags(server)
    assert flag["code"] == errors.VOUCHER_NOT_REDEEMED
    assert "10000009-03" in flag["message"]


def redeem_at_once(engine: Engine, number: str, tills: Sequence[int]) -> dict[int, str]:
    """Each of ``tills`` redeems all 20.00 of the voucher in its own thread and transaction,
    released together; what each got ("redeemed" or the refusal's code)."""
    start = threading.Barrier(len(tills))
    outcomes: dict[int, str] = {}

    def till_redeems(till_number: int) -> None:
        request = RedemptionIn(
            amount=Decimal("20.00"), ticket_id=f"t-{till_number}", redemption_id=str(uuid.uuid4())
        )
        start.wait()
        try:
            server_functions.redeem_voucher(
                uow=SqlUnitOfWork(engine, 1),
                till_number=till_number,
                number=number,
                request=request,
                now=datetime.now(UTC),
            )
            outcomes[till_number] = "redeemed"
        except Refusal as refusal:
            outcomes[till_number] = refusal.code

    threads = [threading.Thread(target=till_redeems, args=(n,)) for n in tills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_tills_redeeming_the_same_voucher_at_once_exactly_one_succeeds(
    server: TestClient,
) -> None:
    seller = register(server, 10)
    vouchers = NumberRange(10, Form.VOUCHER)
    numbers = [sell_voucher(seller, vouchers) for _ in range(8)]
    push(server, seller, seller.operations())
    register(server, 11)
    engine = server.app.state.context.engine  # type: ignore[attr-defined]

    for number in numbers:
        outcomes = redeem_at_once(engine, number, (10, 11))

        assert sorted(outcomes.values()) == [errors.VOUCHER_EXHAUSTED, "redeemed"], outcomes
        assert remaining(server, number) == "0.00"


def test_bad_redemptions_are_refused_with_a_code(server: TestClient) -> None:
    seller = register(server, 10)
    number = sell_voucher(seller, NumberRange(10, Form.VOUCHER))
    push(server, seller, seller.operations())
    for body in (
        {"amount": "1e3", "ticket_id": "t1", "redemption_id": "r"},
        {"amount": 5.0, "ticket_id": "t1", "redemption_id": "r"},
        {"amount": "0.00", "ticket_id": "t1", "redemption_id": "r"},
        {"amount": "5.00", "ticket_id": "t1"},
        {"amount": "5.00", "ticket_id": "t1", "redemption_id": "r", "extra": 1},
    ):
        answer = server.post(f"/api/v1/vouchers/{number}/redeem", json=body, headers=seller.auth)
        assert (answer.status_code, answer.json()["code"]) == (422, errors.INVALID_INPUT), body
    stranger = server.post(
        f"/api/v1/vouchers/{number}/redeem",
        json={"amount": "5.00", "ticket_id": "t1", "redemption_id": "r"},
    )
    assert (stranger.status_code, stranger.json()["code"]) == (401, errors.BAD_CREDENTIAL)
    assert remaining(server, number) == "20.00"
