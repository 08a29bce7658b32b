"""R2.5: what a card device accepts while its bank link is down. Maestro and Visa Electron
are refused, each payment and all stored payments together stay under their caps, and a
card number is only ever kept masked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonom.domain.card import (
    CardPaymentState,
    CardType,
    OfflinePolicy,
    card_number_problem,
    mask_pan,
)
from autonom.domain.errors import CARD_TYPE_OFFLINE, OFFLINE_CAP_REACHED

SEED_POLICY = OfflinePolicy()
NOTHING = Decimal("0.00")


def test_the_seed_policy_stores_about_250_payments_and_refuses_maestro_and_visa_electron() -> None:
    assert SEED_POLICY.max_count == 250
    assert SEED_POLICY.refused_types == {CardType.MAESTRO, CardType.VISA_ELECTRON}


@pytest.mark.parametrize("card_type", [CardType.MAESTRO, CardType.VISA_ELECTRON])
def test_maestro_and_visa_electron_are_refused_offline(card_type: CardType) -> None:
    refusal = SEED_POLICY.refusal(card_type, Decimal("5.00"), stored_count=0, stored_total=NOTHING)
    assert refusal is not None
    assert refusal.code == CARD_TYPE_OFFLINE
    assert refusal.status == 409
    assert card_type.label in refusal.message


@pytest.mark.parametrize("card_type", [CardType.VISA, CardType.MASTERCARD, CardType.AMEX])
def test_visa_and_mastercard_are_stored_offline(card_type: CardType) -> None:
    assert (
        SEED_POLICY.refusal(card_type, Decimal("5.00"), stored_count=0, stored_total=NOTHING)
        is None
    )


def test_a_device_told_to_refuse_no_type_stores_maestro_too() -> None:
    policy = OfflinePolicy(refused_types=frozenset())
    assert (
        policy.refusal(CardType.MAESTRO, Decimal("5.00"), stored_count=0, stored_total=NOTHING)
        is None
    )


@pytest.mark.parametrize(
    ("amount", "count", "total", "cap"),
    [
        ("200.00", 0, "0.00", None),
        ("200.01", 0, "0.00", "amount"),
        ("1.00", 249, "100.00", None),
        ("1.00", 250, "100.00", "count"),
        ("10.00", 10, "4990.00", None),
        ("10.01", 10, "4990.00", "total"),
    ],
)
def test_each_cap_refuses_only_the_payment_that_would_pass_it(
    amount: str, count: int, total: str, cap: str | None
) -> None:
    refusal = SEED_POLICY.refusal(
        CardType.VISA, Decimal(amount), stored_count=count, stored_total=Decimal(total)
    )
    if cap is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert refusal.code == OFFLINE_CAP_REACHED
        assert refusal.status == 409
        assert refusal.detail == {"cap": cap}


def test_a_refused_card_type_is_named_before_any_cap() -> None:
    refusal = SEED_POLICY.refusal(
        CardType.MAESTRO, Decimal("999.00"), stored_count=250, stored_total=Decimal("5000.00")
    )
    assert refusal is not None
    assert refusal.code == CARD_TYPE_OFFLINE


def test_negative_limits_are_not_a_policy() -> None:
    with pytest.raises(ValueError):
        OfflinePolicy(max_count=-1)
    with pytest.raises(ValueError):
        OfflinePolicy(max_total=Decimal("-0.01"))


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2)


@given(
    max_count=st.integers(min_value=0, max_value=40),
    max_amount=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("300.00"), places=2),
    max_total=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("2000.00"), places=2),
    attempts=st.lists(st.tuples(st.sampled_from(CardType), amounts), max_size=120),
)
def test_the_caps_are_never_exceeded_and_only_refuse_what_would_exceed_them(
    max_count: int,
    max_amount: Decimal,
    max_total: Decimal,
    attempts: list[tuple[CardType, Decimal]],
) -> None:
    """A device that stores whatever the policy allows, one payment after another."""
    policy = OfflinePolicy(max_count=max_count, max_amount=max_amount, max_total=max_total)
    count, total = 0, NOTHING
    for card_type, amount in attempts:
        refusal = policy.refusal(card_type, amount, stored_count=count, stored_total=total)
        would_fit = (
            card_type not in policy.refused_types
            and amount <= max_amount
            and count + 1 <= max_count
            and total + amount <= max_total
        )
        assert (refusal is None) == would_fit, (card_type, amount, count, total, refusal)
        if refusal is None:
            count, total = count + 1, total + amount
        assert count <= max_count
        assert total <= max_total


@pytest.mark.parametrize(
    "card_number", ["4111111111111111", "4000000000000002", "5555555555554444", "378282246310005"]
)
def test_test_card_numbers_are_card_numbers(card_number: str) -> None:
    assert card_number_problem(card_number) is None


@pytest.mark.parametrize(
    ("card_number", "problem"),
    [
        ("4111111111111112", "check digit"),
        ("4111 1111 1111 1111", "digits only"),
        ("41111111111", "12 to 19 digits"),
        ("41111111111111111111", "12 to 19 digits"),
        ("４１１１１１１１１１１１１１１１", "digits only"),  # full-width digits are not ASCII
        ("", "digits only"),
    ],
)
def test_malformed_card_numbers_are_named(card_number: str, problem: str) -> None:
    found = card_number_problem(card_number)
    assert found is not None
    assert problem in found


def test_a_masked_card_number_keeps_only_its_last_four_digits() -> None:
    assert mask_pan("4111111111111111") == "************1111"
    assert mask_pan("378282246310005") == "***********0005"


def test_only_a_stored_payment_waits_for_the_bank() -> None:
    assert not CardPaymentState.STORED.final
    assert CardPaymentState.APPROVED.final
    assert CardPaymentState.DECLINED.final
