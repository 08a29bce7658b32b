"""Money is Decimal with two places; bad amounts are refused with BAD_AMOUNT."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonom.domain import Refusal
from autonom.domain.errors import BAD_AMOUNT
from autonom.domain.money import parse_amount, round_cents, tax_included


@pytest.mark.parametrize(
    ("text", "value"), [("4.50", "4.50"), ("4,5", "4.50"), (" 12 ", "12.00"), (3, "3.00")]
)
def test_amounts_typed_by_people_are_understood(text: str | int, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["-1", "abc", "1.234", "NaN", "Infinity", "100000.00", "", "1e400", 2.5, True]
)
def test_malformed_amounts_are_refused(text: object) -> None:
    with pytest.raises(Refusal) as refusal:
        parse_amount(text)  # type: ignore[arg-type]
    assert refusal.value.code == BAD_AMOUNT


def test_zero_is_refused_where_an_amount_must_be_positive() -> None:
    with pytest.raises(Refusal):
        parse_amount("0", allow_zero=False)


def test_rounding_is_commercial_half_up() -> None:
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert round_cents(Decimal("0.015")) == Decimal("0.02")
    assert round_cents(Decimal("2.675")) == Decimal("2.68")


@pytest.mark.parametrize(
    ("gross", "percent", "tax"),
    [("11.90", "19", "1.90"), ("10.70", "7", "0.70"), ("1.00", "19", "0.16"), ("5.00", "0", "0")],
)
def test_tax_included_in_a_gross_amount(gross: str, percent: str, tax: str) -> None:
    assert tax_included(Decimal(gross), Decimal(percent)) == Decimal(tax)


@given(
    st.decimals(min_value=0, max_value=99999, places=2),
    st.sampled_from([Decimal(0), Decimal(7), Decimal(19), Decimal("5.5")]),
)
def test_tax_never_exceeds_the_gross_and_net_plus_tax_is_gross(
    gross: Decimal, percent: Decimal
) -> None:
    tax = tax_included(gross, percent)
    assert Decimal(0) <= tax <= gross
    assert tax == tax.quantize(Decimal("0.01"))
