"""Operators log in with a PIN that is only ever stored hashed."""

from __future__ import annotations

import pytest

from autonom.domain import Operator, Refusal, Role, hash_pin


def test_the_pin_is_stored_hashed_and_checked() -> None:
    stored = hash_pin("4711")
    # Not the PIN in the clear (a random salt's hex may contain "4711" by chance: the
    # scheme's three parts are checked instead of a substring).
    scheme, salt, digest = stored.split("$")
    assert (scheme, len(salt), len(digest)) == ("scrypt", 32, 128)
    operator = Operator(1, "Anna", Role.CASHIER, stored)
    assert operator.pin_matches("4711")
    assert not operator.pin_matches("4712")
    assert not operator.pin_matches("")
    assert not operator.pin_matches("abcd")


def test_two_hashes_of_the_same_pin_differ() -> None:
    assert hash_pin("1234") != hash_pin("1234")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", ""])
def test_malformed_pins_are_refused(pin: str) -> None:
    with pytest.raises(Refusal):
        hash_pin(pin)
