"""Card payments on the server (R2.5): the slip of every receipt a till pushes becomes a
card payment, the bank's later verdict on one stored offline arrives as a
``CardPaymentSettled`` document, and a declined stored payment becomes a ``CARD_DEBT``
flag with its receipt — a debt to collect, never a refusal. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from autonom.domain import CardPaymentSettled, CardSlip, PaymentMethod, Tender, Ticket
from autonom.domain.card import CardPaymentState, CardType
from tests.integration.server.till_log import ADMIN, CAKE, TillLog, push, register


def card_sale(till: TillLog, state: CardPaymentState, pan_end: str = "1111") -> Ticket:
    """A sale of one cake paid by card, with the device's slip: approved or stored."""
    ticket = till.open()
    till.book(ticket, CAKE)
    slip = CardSlip(
        payment_id=str(uuid.uuid4()),
        card_type=CardType.VISA,
        masked_pan=f"************{pan_end}",
        state=state,
        approval_code="407746" if state is CardPaymentState.APPROVED else None,
    )
    ticket.close(
        [Tender(PaymentMethod.CARD, CAKE.price)],
        till.range.issue(),
        operator_number=1,
        till_number=till.number,
        at=till.now,
        card=slip,
    )
    till.pending.extend(ticket.events)
    ticket.events.clear()
    return ticket


def settle(till: TillLog, ticket: Ticket, state: CardPaymentState) -> None:
    """The till learned the bank's verdict on the ticket's stored card payment."""
    assert ticket.receipt is not None
    [payment] = ticket.receipt.payments
    assert payment.card is not None
    till.pending.append(
        CardPaymentSettled(
            document_id=payment.card.payment_id,
            till_number=till.number,
            receipt_number=ticket.receipt.number,
            amount=payment.amount,
            state=state,
            settled_at=till.now + timedelta(minutes=5),
        )
    )


def card_payments(server: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = server.get("/api/v1/card-payments", params=params, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def flags(server: TestClient) -> list[dict[str, Any]]:
    answer = server.get("/api/v1/flags", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def test_card_slips_and_the_banks_later_verdicts_reach_the_back_office(
    server: TestClient,
) -> None:
    till = register(server, 10)
    online = card_sale(till, CardPaymentState.APPROVED)
    stored_approved = card_sale(till, CardPaymentState.STORED)
    stored_declined = card_sale(till, CardPaymentState.STORED, pan_end="0002")
    assert push(server, till, till.operations()).status_code == 200
    while_stored = card_payments(server)

    settle(till, stored_approved, CardPaymentState.APPROVED)
    settle(till, stored_declined, CardPaymentState.DECLINED)
    verdicts = till.operations()
    answer = push(server, till, verdicts)
    again = push(server, till, verdicts)  # the answer was lost; the till sends it again
    after = card_payments(server)
    declined = card_payments(server, state="declined")
    raised = flags(server)

    assert [(p["state"], p["stored_offline"]) for p in while_stored] == [
        ("approved", False),
        ("stored", True),
        ("stored", True),
    ]
    first = while_stored[0]
    assert online.receipt is not None
    assert first["receipt_number"] == online.receipt.number
    assert (first["amount"], first["card_type"], first["approval_code"]) == (
        "4.20",
        "visa",
        "407746",
    )
    assert first["masked_pan"] == "************1111"
    assert first["ticket_id"] == online.ticket_id
    assert answer.status_code == 200, answer.text
    assert again.json()["skipped"] == 2
    assert [p["state"] for p in after] == ["approved", "approved", "declined"]
    assert after[1]["settled_at"] is not None
    assert stored_declined.receipt is not None
    assert [p["receipt_number"] for p in declined] == [stored_declined.receipt.number]
    [debt] = raised  # one flag, also when the verdicts are pushed twice
    assert debt["code"] == "CARD_DEBT"
    assert debt["ticket_id"] == stored_declined.ticket_id
    assert stored_declined.receipt.number in debt["message"]
    assert "4.20" in debt["message"]


def test_a_verdict_on_a_receipt_the_server_never_saw_is_kept_and_flagged(
    server: TestClient,
) -> None:
    till = register(server, 10)
    ticket = card_sale(till, CardPaymentState.STORED, pan_end="0002")
    till.pending.clear()  # its receipt went elsewhere: only the verdict reaches the server
    settle(till, ticket, CardPaymentState.DECLINED)

    answer = push(server, till, till.operations())

    assert answer.status_code == 200, answer.text
    [payment] = card_payments(server)
    assert (payment["state"], payment["card_type"], payment["amount"]) == (
        "declined",
        None,
        "4.20",
    )
    assert [f["code"] for f in flags(server)] == ["CARD_DEBT"]


def test_the_card_payments_list_is_the_back_offices_and_its_state_is_checked(
    server: TestClient,
) -> None:
    anonymous = server.get("/api/v1/card-payments")
    unknown_state = server.get("/api/v1/card-payments?state=refunded", headers=ADMIN)

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "ADMIN_REQUIRED"
    assert unknown_state.status_code == 422
    assert unknown_state.json()["code"] == "INVALID_INPUT"
    assert card_payments(server, state="stored") == []


def test_a_slip_over_the_limits_is_refused_before_anything_is_written(
    server: TestClient,
) -> None:
    till = register(server, 10)
    card_sale(till, CardPaymentState.APPROVED)
    operations = till.operations()
    slip = operations[-1]["event"]["payments"][0]["card"]
    slip["approval_code"] = "9" * 40

    answer = push(server, till, operations)

    assert answer.status_code == 422
    assert "approval_code" in answer.json()["message"]
    assert card_payments(server) == []
    assert flags(server) == []
