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


# Every code of Autonom, in one place so the domain, both HTTP boundaries, the pages and the
# tests agree on the spelling. A code is never spelled as a literal anywhere else.

# -- the rules of a sale ------------------------------------------------------------------
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
VOUCHER_OVERPAID = "VOUCHER_OVERPAID"
ACCOUNT_OVERPAID = "ACCOUNT_OVERPAID"
RANGE_EXHAUSTED = "RANGE_EXHAUSTED"
BAD_RECEIPT_NUMBER = "BAD_RECEIPT_NUMBER"
BAD_TILL_NUMBER = "BAD_TILL_NUMBER"
BAD_TABLE = "BAD_TABLE"
NOT_ALLOWED = "NOT_ALLOWED"

# -- till enrolment and the push protocol (docs/sync-protocol.md) --------------------------
TILL_TAKEN = "TILL_TAKEN"
BAD_ENROLMENT_CODE = "BAD_ENROLMENT_CODE"
ENROLMENT_CLOSED = "ENROLMENT_CLOSED"
BAD_CREDENTIAL = "BAD_CREDENTIAL"
WRONG_TILL = "WRONG_TILL"
SEQUENCE_GAP = "SEQUENCE_GAP"
SEQUENCE_CONFLICT = "SEQUENCE_CONFLICT"
FOREIGN_RANGE = "FOREIGN_RANGE"
UNKNOWN_TILL = "UNKNOWN_TILL"
CONTRACT_TOO_NEW = "CONTRACT_TOO_NEW"

# What the server flags for a person instead of refusing a completed sale (invariant 6).
UNKNOWN_TICKET = "UNKNOWN_TICKET"
TICKET_CLOSED_TWICE = "TICKET_CLOSED_TWICE"
CHANGED_AFTER_CLOSE = "CHANGED_AFTER_CLOSE"
UNKNOWN_BOOKING = "UNKNOWN_BOOKING"
RECEIPT_NUMBER_REUSED = "RECEIPT_NUMBER_REUSED"
VOUCHER_NOT_REDEEMED = "VOUCHER_NOT_REDEEMED"  # a receipt paid by a voucher the server did not hold
ACCOUNT_OVER_LIMIT = "ACCOUNT_OVER_LIMIT"  # a receipt put a customer over the credit limit

# -- the till's own refusals (the cashier page, the till's JSON API, the mode dialog) ---------
STORAGE_FAILED = "STORAGE_FAILED"
NOT_LOGGED_IN = "NOT_LOGGED_IN"
NO_MASTER_DATA = "NO_MASTER_DATA"
OUTAGE_UNDECIDED = "OUTAGE_UNDECIDED"  # R1.4: close nothing while the cashier has not decided
EMERGENCY_NOT_ALLOWED = "EMERGENCY_NOT_ALLOWED"  # R1.4: the station settings forbid it
SERVER_UNREACHABLE = "SERVER_UNREACHABLE"
FEATURE_OFFLINE = "FEATURE_OFFLINE"  # R2.4: the capability matrix refuses the function now
EVENT_TICKET_OFFLINE = "EVENT_TICKET_OFFLINE"  # R2.6: event tickets need the server
# A voucher or an account is paid through the server's function, never as a plain tender.
TENDER_NEEDS_SERVER = "TENDER_NEEDS_SERVER"

# -- the functions that need the server (R2.4, docs/server-functions.md) ----------------------
VOUCHER_UNKNOWN = "VOUCHER_UNKNOWN"  # no such voucher, nor could there be one
VOUCHER_NOT_REGISTERED = "VOUCHER_NOT_REGISTERED"  # sold in emergency mode, not synced yet
VOUCHER_EXHAUSTED = "VOUCHER_EXHAUSTED"
VOUCHER_INSUFFICIENT = "VOUCHER_INSUFFICIENT"  # more than its remaining value
REDEMPTION_CONFLICT = "REDEMPTION_CONFLICT"  # a redemption_id reused for another redemption
CUSTOMER_UNKNOWN = "CUSTOMER_UNKNOWN"
ACCOUNT_LIMIT_REACHED = "ACCOUNT_LIMIT_REACHED"
EVENT_UNKNOWN = "EVENT_UNKNOWN"
EVENT_SOLD_OUT = "EVENT_SOLD_OUT"
SEATS_CONFLICT = "SEATS_CONFLICT"  # a booking's seats asked again for another event or ticket

# -- the HTTP boundary of the server and the till (autonom.web) ------------------------------
INVALID_INPUT = "INVALID_INPUT"
MALFORMED_JSON = "MALFORMED_JSON"
BODY_TOO_LARGE = "BODY_TOO_LARGE"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
ADMIN_REQUIRED = "ADMIN_REQUIRED"
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
INTERNAL = "INTERNAL"
