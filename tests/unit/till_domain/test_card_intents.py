"""The rules of a till's card payment intents (R2.5): an unknown outcome is asked again
with the same payment_id, a charged card without a receipt is finished, only a stored
payment with a receipt gets the bank's verdict logged, and the card presented is checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.domain import CardSlip, Refusal
from autonom.domain.card import CardPaymentState, CardType, OfflinePolicy
from autonom.domain.errors import BAD_CARD, CARD_PAYMENT_PENDING
from autonom.till.domain.card_payments import (
    CardIntent,
    IntentState,
    NextStep,
    after_change,
    after_result,
    check_card,
    next_step,
    offline_room,
    pending_refusal,
    settled_event,
)

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
PAN = "************1111"
INTENT = CardIntent(
    payment_id="0b6a5c0e-0000-4000-8000-000000000001",
    ticket_id="t1",
    amount=Decimal("12.50"),
    card_type=CardType.VISA,
    state=IntentState.REQUESTED,
    created_at=AT,
)
APPROVED, STORED, DECLINED = (
    CardPaymentState.APPROVED,
    CardPaymentState.STORED,
    CardPaymentState.DECLINED,
)


def on_receipt(state: CardPaymentState, number: str = "10000001-02") -> CardIntent:
    slip = CardSlip(
        INTENT.payment_id, CardType.VISA, PAN, state, "407746" if state is APPROVED else None
    )
    return INTENT.on_receipt(slip, number)


@pytest.mark.parametrize(
    ("existing", "step"),
    [
        (None, NextStep.NEW),
        (INTENT, NextStep.SAME_ID),  # asked, no answer known: the same id again
        (replace(INTENT, state=IntentState.UNKNOWN), NextStep.SAME_ID),
        (INTENT.answered(APPROVED, PAN, "407746"), NextStep.FINISH),  # charged, no receipt
        (INTENT.answered(STORED, PAN, None), NextStep.FINISH),
        (replace(INTENT, state=IntentState.REFUSED), NextStep.NEW),  # nothing charged
        (replace(INTENT, state=IntentState.VOID), NextStep.NEW),
        (INTENT.answered(DECLINED, PAN, None), NextStep.NEW),
        (on_receipt(APPROVED), NextStep.NEW),  # done: on its receipt
    ],
)
def test_the_next_card_payment_of_a_ticket_starts_from_what_its_last_one_left(
    existing: CardIntent | None, step: NextStep
) -> None:
    assert next_step(existing) is step


def test_a_payment_the_device_never_took_was_never_charged() -> None:
    assert after_result(INTENT, None).state is IntentState.VOID
    found = after_result(INTENT, (STORED, PAN, None))
    assert (found.state, found.stored_offline, found.masked_pan) == (IntentState.STORED, True, PAN)
    assert found.charged_without_receipt


def test_only_a_stored_payment_on_a_receipt_gets_the_banks_verdict_logged() -> None:
    stored = on_receipt(STORED)

    settled, logged = after_change(stored, DECLINED, PAN, None, LATER)
    approved_again, nothing = after_change(on_receipt(APPROVED), APPROVED, PAN, "407746", LATER)
    still_stored, not_yet = after_change(stored, STORED, PAN, None, LATER)
    unfinished, not_on_receipt = after_change(INTENT, APPROVED, PAN, "407746", LATER)

    assert logged
    assert (settled.state, settled.settled_at) == (IntentState.DECLINED, LATER)
    assert settled.debt
    assert "a debt for the store to collect" in settled.words
    event = settled_event(settled, 10)
    assert (event.document_id, event.receipt_number, event.amount, event.state) == (
        INTENT.payment_id,
        "10000001-02",
        Decimal("12.50"),
        DECLINED,
    )
    assert (nothing, not_yet, not_on_receipt) == (False, False, False)
    assert approved_again == on_receipt(APPROVED)
    assert still_stored == stored
    assert unfinished.charged_without_receipt  # the device took it: finish the receipt


def test_a_final_answer_is_not_changed_by_a_later_report() -> None:
    refused = replace(INTENT, state=IntentState.REFUSED, refusal_code="CARD_TYPE_OFFLINE")

    assert after_change(refused, APPROVED, PAN, "407746", LATER) == (refused, False)
    with pytest.raises(ValueError, match="only a settled payment"):
        settled_event(on_receipt(APPROVED), 10)


def test_an_unfinished_payment_refuses_any_other_payment_of_its_ticket_and_says_why() -> None:
    charged = pending_refusal(INTENT.answered(APPROVED, PAN, "407746"))
    unknown = pending_refusal(replace(INTENT, state=IntentState.UNKNOWN))

    assert charged.code == unknown.code == CARD_PAYMENT_PENDING
    assert charged.status == 409
    assert charged.message.startswith("Card approved, finish the receipt")
    assert "will not be charged twice" in unknown.message
    assert charged.detail == {
        "payment_id": INTENT.payment_id,
        "amount": "12.50",
        "state": "approved",
    }


@pytest.mark.parametrize(
    ("card_type", "number", "problem"),
    [
        ("", "4111111111111111", "Choose the card's type"),
        ("diners", "4111111111111111", "Choose the card's type"),
        ("visa", "4111111111111112", "check digit is wrong"),
        ("visa", "4111", "12 to 19 digits"),
        ("visa", "4111-1111-1111-1111", "digits only"),
    ],
)
def test_a_card_is_checked_before_the_device_is_asked(
    card_type: str, number: str, problem: str
) -> None:
    with pytest.raises(Refusal) as bad:
        check_card(card_type, number)

    assert bad.value.code == BAD_CARD
    assert problem in bad.value.message


def test_a_card_as_typed_is_read_with_spaces_and_any_case() -> None:
    assert check_card(" Visa ", "4111 1111 1111 1111") == (CardType.VISA, "4111111111111111")


def test_the_room_left_offline_is_the_count_cap_minus_what_is_stored() -> None:
    assert offline_room(OfflinePolicy(max_count=3), 1) == 2
    assert offline_room(OfflinePolicy(max_count=3), 5) == 0
