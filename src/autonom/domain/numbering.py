"""Receipt numbers (R2.3): till number + 6-digit running number + ``-`` + 2-digit form.

Till 10, 5th receipt, form 4 → ``10000005-04``. There is one range per till and form, so
a till never needs the server to number a receipt, and receipts made in emergency mode
sit in their own range (form ``EMERGENCY_RECEIPT``) that can later be related to the
continuous numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from autonom.domain.errors import (
    BAD_RECEIPT_NUMBER,
    BAD_TILL_NUMBER,
    RANGE_EXHAUSTED,
    VOUCHER_UNKNOWN,
    Refusal,
)
from autonom.domain.limits import MAX_TILL as MAX_TILL

MAX_RUNNING = 999_999
_PATTERN = re.compile(r"^(?P<till>[1-9]\d{0,2})(?P<running>\d{6})-(?P<form>\d{2})$")


class Form(IntEnum):
    """The form numbers Autonom issues; each has its own range per till. A voucher and an
    admission ticket are numbered like receipts, from the till's own range, so a till
    issues them offline and the number says which till issued it."""

    RECEIPT = 1
    EMERGENCY_RECEIPT = 2
    VOUCHER = 3
    ADMISSION = 4


def check_till_number(number: int) -> int:
    """A till number is 1 to 999 (it is at most three digits of the receipt number)."""
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_TILL:
        raise Refusal(BAD_TILL_NUMBER, f"A till number is 1 to {MAX_TILL}, not {number!r}.")
    return number


@dataclass(frozen=True, order=True)
class ReceiptNumber:
    till: int
    running: int
    form: int

    def __post_init__(self) -> None:
        check_till_number(self.till)
        if not 1 <= self.running <= MAX_RUNNING or not 1 <= self.form <= 99:
            raise Refusal(BAD_RECEIPT_NUMBER, f"{self.running}/{self.form} is out of range.")

    def __str__(self) -> str:
        return f"{self.till}{self.running:06d}-{self.form:02d}"

    @classmethod
    def parse(cls, text: str) -> ReceiptNumber:
        match = _PATTERN.match(text)
        if not match:
            raise Refusal(BAD_RECEIPT_NUMBER, f"'{text}' is not a receipt number like 10000005-04.")
        return cls(int(match["till"]), int(match["running"]), int(match["form"]))


def voucher_number(text: str) -> ReceiptNumber:
    """A voucher's number as typed (``10000001-03``): a number of form 03 of some till's
    range; anything else is VOUCHER_UNKNOWN (no voucher could have it)."""
    try:
        number = ReceiptNumber.parse(text.strip())
    except Refusal:
        number = None
    if number is None or number.form != Form.VOUCHER:
        raise Refusal(
            VOUCHER_UNKNOWN,
            f"'{text.strip()[:20]}' is not a voucher number; a voucher's number looks like "
            f"10000001-{Form.VOUCHER:02d}.",
            422,
        )
    return number


@dataclass
class NumberRange:
    """One till's range for one form; ``last`` is the last number issued (0 = none yet).

    Gapless and never reused: the caller persists ``last`` in the same transaction as the
    receipt that carries the number, so a crash loses both or neither.
    """

    till: int
    form: int
    last: int = 0

    def issue(self) -> ReceiptNumber:
        """Issue the next number, or refuse with RANGE_EXHAUSTED when the range is full."""
        if self.last >= MAX_RUNNING:
            raise Refusal(
                RANGE_EXHAUSTED,
                f"Receipt range {self.till}/form {self.form:02d} is full; "
                "ask the store manager to open a new till number.",
                status=409,
            )
        self.last += 1
        return ReceiptNumber(self.till, self.last, self.form)


@dataclass(frozen=True)
class ReceiptRange:
    """The first and last receipt of one form in a period (a report's line, R2.8): the
    numbers are gapless, so the two say which receipts the report covers."""

    form: int
    first_receipt: str
    last_receipt: str
