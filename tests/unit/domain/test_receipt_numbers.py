"""R2.3: receipt numbers are till + 6-digit running number + '-' + 2-digit form, one range
per till and form, gapless, never reused, refused when full."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autonom.domain import Form, NumberRange, ReceiptNumber, Refusal
from autonom.domain.errors import BAD_RECEIPT_NUMBER, BAD_TILL_NUMBER, RANGE_EXHAUSTED
from autonom.domain.numbering import MAX_RUNNING


def test_the_seed_example_till_10_fifth_receipt_form_4() -> None:
    number_range = NumberRange(till=10, form=4, last=4)
    assert str(number_range.issue()) == "10000005-04"


@pytest.mark.parametrize(
    ("till", "running", "form", "text"),
    [(1, 1, 1, "1000001-01"), (999, 999_999, 99, "999999999-99"), (10, 5, 2, "10000005-02")],
)
def test_numbers_print_and_parse_back(till: int, running: int, form: int, text: str) -> None:
    number = ReceiptNumber(till, running, form)
    assert str(number) == text
    assert ReceiptNumber.parse(text) == number


@pytest.mark.parametrize("text", ["", "10-01", "0000005-01", "1000000005-01", "10000005-1", "abc"])
def test_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(Refusal) as refusal:
        ReceiptNumber.parse(text)
    assert refusal.value.code == BAD_RECEIPT_NUMBER


@pytest.mark.parametrize("till", [0, 1000, -3])
def test_till_numbers_outside_three_digits_are_refused(till: int) -> None:
    with pytest.raises(Refusal) as refusal:
        NumberRange(till=till, form=1).issue()
    assert refusal.value.code == BAD_TILL_NUMBER


def test_a_full_range_is_refused_and_stays_full() -> None:
    number_range = NumberRange(till=10, form=1, last=MAX_RUNNING - 1)
    assert number_range.issue().running == MAX_RUNNING
    for _ in range(2):
        with pytest.raises(Refusal) as refusal:
            number_range.issue()
        assert refusal.value.code == RANGE_EXHAUSTED
        assert refusal.value.status == 409
    assert number_range.last == MAX_RUNNING


def test_emergency_receipts_have_their_own_range() -> None:
    live = NumberRange(till=10, form=Form.RECEIPT)
    emergency = NumberRange(till=10, form=Form.EMERGENCY_RECEIPT)
    issued = {str(live.issue()), str(emergency.issue()), str(live.issue())}
    assert issued == {"10000001-01", "10000001-02", "10000002-01"}


@given(st.lists(st.sampled_from(["close", "crash", "commit"]), max_size=200))
def test_numbering_is_gapless_and_unique_under_any_sequence_of_closes_and_crashes(
    steps: list[str],
) -> None:
    """A crash loses what was not committed; the range is reloaded from what was stored."""
    stored_last = 0  # what the database holds
    committed: list[str] = []
    pending: list[str] = []
    number_range = NumberRange(till=7, form=1, last=stored_last)
    for step in steps:
        if step == "close":
            pending.append(str(number_range.issue()))
        elif step == "commit":
            committed.extend(pending)
            pending.clear()
            stored_last = number_range.last
        else:  # crash: the uncommitted numbers vanish together with the receipts
            pending.clear()
            number_range = NumberRange(till=7, form=1, last=stored_last)
    assert len(set(committed)) == len(committed)
    assert [ReceiptNumber.parse(n).running for n in committed] == list(range(1, len(committed) + 1))
