"""Card payments (R2.5): the card types, the states of a card payment, a card number's
form, and the offline policy of a card-payment device.

With its bank link up a device asks the bank and the answer is final at once (approved or
declined). With the link down it may *store* a payment and forward it when the link
returns (store-and-forward); the bank's verdict on it comes later. Storing is limited: a
few card types are never accepted offline (the seed names Maestro and Visa Electron), and
the device keeps at most about 200–300 payments, each and all together under a sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from autonom.domain.errors import CARD_TYPE_OFFLINE, OFFLINE_CAP_REACHED, Refusal
from autonom.domain.limits import MAX_PAN_LENGTH, MIN_PAN_LENGTH

VISIBLE_PAN_DIGITS = 4  # a masked card number shows its last four digits, nothing more
PAN_MASK = "*"


class CardType(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    MAESTRO = "maestro"
    VISA_ELECTRON = "visa_electron"
    AMEX = "amex"

    @property
    def label(self) -> str:
        """The name a person reads: ``Visa Electron``."""
        return _CARD_LABELS[self]


_CARD_LABELS = {
    CardType.VISA: "Visa",
    CardType.MASTERCARD: "Mastercard",
    CardType.MAESTRO: "Maestro",
    CardType.VISA_ELECTRON: "Visa Electron",
    CardType.AMEX: "American Express",
}


class CardPaymentState(StrEnum):
    APPROVED = "approved"  # authorised by the bank (online, or after forwarding)
    STORED = "stored"  # accepted offline (store-and-forward); the bank has not decided yet
    DECLINED = "declined"  # refused by the bank (online, or after forwarding)

    @property
    def final(self) -> bool:
        """Has the bank decided? Only a stored payment still waits for its verdict."""
        return self is not CardPaymentState.STORED


@dataclass(frozen=True)
class OfflinePolicy:
    """What a device accepts while its bank link is down (R2.5). The defaults follow the
    seed: about 250 stored payments per device, Maestro and Visa Electron refused."""

    max_count: int = 250
    max_amount: Decimal = Decimal("200.00")  # one payment
    max_total: Decimal = Decimal("5000.00")  # every payment stored and not yet forwarded
    refused_types: frozenset[CardType] = field(
        default_factory=lambda: frozenset({CardType.MAESTRO, CardType.VISA_ELECTRON})
    )

    def __post_init__(self) -> None:
        if self.max_count < 0 or self.max_amount < 0 or self.max_total < 0:
            raise ValueError("the offline limits must not be negative")

    def refusal(
        self, card_type: CardType, amount: Decimal, *, stored_count: int, stored_total: Decimal
    ) -> Refusal | None:
        """None if one more payment of ``amount`` may be stored next to ``stored_count``
        payments worth ``stored_total``; else the refusal (409), and nothing is stored."""
        if card_type in self.refused_types:
            return Refusal(
                CARD_TYPE_OFFLINE,
                f"{card_type.label} cannot be paid while the card device is offline; "
                "take another card or cash.",
                409,
                detail={"card_type": card_type.value},
            )
        if amount > self.max_amount:
            return _cap_reached(
                "amount",
                f"Offline, one card payment may be at most {self.max_amount}, not {amount}.",
            )
        if stored_count + 1 > self.max_count:
            return _cap_reached(
                "count",
                f"The card device holds {stored_count} offline payments, its maximum; "
                "take cash until the bank link is back.",
            )
        if stored_total + amount > self.max_total:
            return _cap_reached(
                "total",
                f"The card device holds {stored_total} in offline payments; {amount} more "
                f"would pass its maximum of {self.max_total}.",
            )
        return None


def _cap_reached(cap: str, message: str) -> Refusal:
    return Refusal(OFFLINE_CAP_REACHED, message, 409, detail={"cap": cap})


def card_number_problem(card_number: str) -> str | None:
    """What is wrong with a card number (PAN), or None: 12–19 digits with a valid Luhn
    check digit."""
    if not (card_number.isascii() and card_number.isdigit()):
        return "a card number is digits only"
    if not MIN_PAN_LENGTH <= len(card_number) <= MAX_PAN_LENGTH:
        return f"a card number has {MIN_PAN_LENGTH} to {MAX_PAN_LENGTH} digits"
    if not _luhn_valid(card_number):
        return "the card number's check digit is wrong"
    return None


def mask_pan(card_number: str) -> str:
    """The card number as it may be kept and printed: its last four digits only."""
    hidden = len(card_number) - VISIBLE_PAN_DIGITS
    return PAN_MASK * hidden + card_number[hidden:]


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
