"""Money is ``Decimal`` in euros with two places; never a float.

Rounding rule: prices are gross (tax included). Tax is computed once per rate on the
receipt's gross sum for that rate, ``tax = gross - gross / (1 + percent/100)``, rounded
half-up to the cent. Lines are never taxed one by one, so the taxes of a receipt add up
to its gross total exactly (gross = net + tax per rate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from autonom.domain.errors import BAD_AMOUNT, Refusal
from autonom.domain.limits import MAX_AMOUNT as MAX_AMOUNT  # a price, payment or total

_PLAIN = re.compile(r"-?(\d+\.?\d*|\.\d+)")  # digits and one point: never 1e2, NaN, 0x10
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_cents(value: Decimal) -> Decimal:
    """Round to the cent, half-up (the commercial rule)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str | int | Decimal, *, allow_zero: bool = True) -> Decimal:
    """Parse a money amount typed by a person or sent by a client; refuse anything odd.

    Accepts ``"4.50"``, ``"4,50"`` and ``Decimal``; refuses floats' artefacts such as more
    than two decimal places, exponents (``1e2``), negatives, NaN and amounts above
    ``MAX_AMOUNT``.
    """
    if isinstance(text, (bool, float)):
        raise Refusal(BAD_AMOUNT, "Amounts are written as text such as 4.50, not as a float.")
    raw = str(text).strip().replace(",", ".")
    if not _PLAIN.fullmatch(raw):
        raise Refusal(BAD_AMOUNT, f"'{text}' is not an amount; write it like 4.50.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise Refusal(BAD_AMOUNT, f"'{text}' is not an amount; write it like 4.50.") from None
    if not value.is_finite():
        raise Refusal(BAD_AMOUNT, f"'{text}' is not an amount; write it like 4.50.")
    if value < 0 or (value == 0 and not allow_zero):
        raise Refusal(BAD_AMOUNT, f"'{text}' must be more than zero.")
    if value > MAX_AMOUNT:  # checked before quantize, which fails on huge exponents
        raise Refusal(BAD_AMOUNT, f"'{text}' is above the limit of {MAX_AMOUNT}.")
    if value != value.quantize(CENT):
        raise Refusal(BAD_AMOUNT, f"'{text}' has more than two decimal places.")
    return value.quantize(CENT)


def tax_included(gross: Decimal, percent: Decimal) -> Decimal:
    """The tax contained in a gross amount at ``percent`` (see the module's rounding rule)."""
    if percent == 0:
        return ZERO
    net = gross / (Decimal(1) + percent / Decimal(100))
    return round_cents(gross - net)


@dataclass(frozen=True)
class TaxLine:
    code: str
    percent: Decimal
    gross: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


@dataclass(frozen=True)
class TaxTotal:
    """One tax rate over a period (a report's line, R2.8): the receipts' tax lines of the
    rate added up. Never taxed again, so a report says exactly what its receipts said."""

    code: str
    percent: Decimal
    gross_total: Decimal
    tax_total: Decimal

    @property
    def net_total(self) -> Decimal:
        return self.gross_total - self.tax_total
