"""The one error type of the domain: a refusal with a code and a human message."""

from __future__ import annotations


class Refusal(Exception):
    """A rule said no (invariant 7): a machine-readable code and a message for a person.

    ``status`` is the HTTP status an entrypoint answers with; the domain only suggests it.
    """

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


# The codes, in one place so entrypoints, pages and tests agree on the spelling.
BAD_AMOUNT = "BAD_AMOUNT"
BAD_QUANTITY = "BAD_QUANTITY"
BAD_PIN = "BAD_PIN"
WRONG_PIN = "WRONG_PIN"
UNKNOWN_ITEM = "UNKNOWN_ITEM"
UNKNOWN_OPERATOR = "UNKNOWN_OPERATOR"
UNKNOWN_TAX_RATE = "UNKNOWN_TAX_RATE"
TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
TICKET_CLOSED = "TICKET_CLOSED"
TICKET_EMPTY = "TICKET_EMPTY"
BOOKING_NOT_FOUND = "BOOKING_NOT_FOUND"
ALREADY_VOIDED = "ALREADY_VOIDED"
VOID_REASON_MISSING = "VOID_REASON_MISSING"
UNDERPAID = "UNDERPAID"
CARD_OVERPAID = "CARD_OVERPAID"
RANGE_EXHAUSTED = "RANGE_EXHAUSTED"
BAD_RECEIPT_NUMBER = "BAD_RECEIPT_NUMBER"
BAD_TILL_NUMBER = "BAD_TILL_NUMBER"
BAD_TABLE = "BAD_TABLE"
NOT_ALLOWED = "NOT_ALLOWED"
