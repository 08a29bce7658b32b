"""The one error type of the domain: a refusal with a code and a human message."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A rule said no (invariant 7): a machine-readable code and a message for a person.

    ``status`` is the HTTP status an entrypoint answers with; the domain only suggests it.
    ``detail`` carries what a program needs to act on it (e.g. the sequence expected).
    """

    def __init__(
        self, code: str, message: str, status: int = 422, *, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail


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

# Till enrolment and the push protocol (docs/sync-protocol.md).
TILL_TAKEN = "TILL_TAKEN"
BAD_ENROLMENT_CODE = "BAD_ENROLMENT_CODE"
ENROLMENT_CLOSED = "ENROLMENT_CLOSED"
BAD_CREDENTIAL = "BAD_CREDENTIAL"
WRONG_TILL = "WRONG_TILL"
SEQUENCE_GAP = "SEQUENCE_GAP"
SEQUENCE_CONFLICT = "SEQUENCE_CONFLICT"
FOREIGN_RANGE = "FOREIGN_RANGE"
UNKNOWN_TILL = "UNKNOWN_TILL"

# The till's own refusals (the cashier page and the till's JSON API).
STORAGE_FAILED = "STORAGE_FAILED"
NOT_LOGGED_IN = "NOT_LOGGED_IN"
NO_MASTER_DATA = "NO_MASTER_DATA"
