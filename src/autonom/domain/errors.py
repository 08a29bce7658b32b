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
NOTHING_CHOSEN = "NOTHING_CHOSEN"  # a bill split or a move of lines with no line chosen
SAME_TABLE = "SAME_TABLE"  # lines moved to the table they are on
TICKET_MOVED = "TICKET_MOVED"  # every line of the ticket went to another ticket
NOT_ALLOWED = "NOT_ALLOWED"

# -- till enrolment and the push protocol (docs/sync-protocol.md) --------------------------
TILL_TAKEN = "TILL_TAKEN"
BAD_ENROLMENT_CODE = "BAD_ENROLMENT_CODE"
ENROLMENT_CLOSED = "ENROLMENT_CLOSED"
BAD_CREDENTIAL = "BAD_CREDENTIAL"
WRONG_TILL = "WRONG_TILL"
SEQUENCE_GAP = "SEQUENCE_GAP"
SEQUENCE_CONFLICT = "SEQUENCE_CONFLICT"
# A till database's log id the server does not hold, under a credential issued before the
# till's last log started (a copy of a till, or a replaced till without a new credential).
LOG_MISMATCH = "LOG_MISMATCH"
FOREIGN_RANGE = "FOREIGN_RANGE"
UNKNOWN_TILL = "UNKNOWN_TILL"
CONTRACT_TOO_NEW = "CONTRACT_TOO_NEW"
SYNC_REPORT_NOT_FOUND = "SYNC_REPORT_NOT_FOUND"  # R3.3: no sync report with that id

# What the server flags for a person instead of refusing a completed sale (invariant 6).
UNKNOWN_TICKET = "UNKNOWN_TICKET"
TICKET_CLOSED_TWICE = "TICKET_CLOSED_TWICE"
CHANGED_AFTER_CLOSE = "CHANGED_AFTER_CLOSE"
UNKNOWN_BOOKING = "UNKNOWN_BOOKING"
RECEIPT_NUMBER_REUSED = "RECEIPT_NUMBER_REUSED"
Z_NUMBER_REPEATED = "Z_NUMBER_REPEATED"  # R2.8: a till's day close number came twice
Z_NUMBER_SKIPPED = "Z_NUMBER_SKIPPED"  # R2.8: a day close number is not the one after the last
VOUCHER_NOT_REDEEMED = "VOUCHER_NOT_REDEEMED"  # a receipt paid by a voucher the server did not hold
ACCOUNT_OVER_LIMIT = "ACCOUNT_OVER_LIMIT"  # a receipt put a customer over the credit limit
CARD_DEBT = "CARD_DEBT"  # R2.5: a card payment stored offline was declined: money to collect
# R3.2: lines no close covered (booked offline on a ticket paid elsewhere) wait on a new ticket
FOLLOW_UP_TICKET = "FOLLOW_UP_TICKET"
CLOSE_TOTAL_MISMATCH = "CLOSE_TOTAL_MISMATCH"  # R3.2: a receipt's total is not its lines' sum

# -- the till's own refusals (the cashier page, the till's JSON API, the mode dialog) ---------
STORAGE_FAILED = "STORAGE_FAILED"
NOT_LOGGED_IN = "NOT_LOGGED_IN"
NO_MASTER_DATA = "NO_MASTER_DATA"
OUTAGE_UNDECIDED = "OUTAGE_UNDECIDED"  # R1.4: close nothing while the cashier has not decided
EMERGENCY_NOT_ALLOWED = "EMERGENCY_NOT_ALLOWED"  # R1.4: the station settings forbid it
SERVER_UNREACHABLE = "SERVER_UNREACHABLE"
FEATURE_OFFLINE = "FEATURE_OFFLINE"  # R2.4: the capability matrix refuses the function now
EVENT_TICKET_OFFLINE = "EVENT_TICKET_OFFLINE"  # R2.6: event tickets need the server
OPEN_TICKETS = "OPEN_TICKETS"  # R2.8: no day close while this till's tickets are open
# R2.4: in emergency mode a bill split or table transfer touches only this till's own tickets
SHARED_TICKET_OFFLINE = "SHARED_TICKET_OFFLINE"
BAD_ADMISSION_NUMBER = "BAD_ADMISSION_NUMBER"  # R2.6: what the gate read is no admission
BAD_GATE = "BAD_GATE"  # R2.6: a gate's name is missing or too long
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

# -- the card-payment device (docs/card-device.md, R2.5) -------------------------------------
CARD_TYPE_OFFLINE = "CARD_TYPE_OFFLINE"  # this card type is refused while the bank is away
OFFLINE_CAP_REACHED = "OFFLINE_CAP_REACHED"  # the device may store no more (count, total, amount)
DEVICE_NOT_HERE = "DEVICE_NOT_HERE"  # the device is driven by another till
CARD_DECLINED = "CARD_DECLINED"  # the bank said no
CARD_DEVICE_UNAVAILABLE = "CARD_DEVICE_UNAVAILABLE"  # the device does not answer (in time)
PAYMENT_ID_REUSED = "PAYMENT_ID_REUSED"  # a payment id sent again for a different payment
NO_CARD_DEVICE = "NO_CARD_DEVICE"  # this till has no card device configured
BAD_CARD = "BAD_CARD"  # the card presented: no type, an unknown type or a wrong number
CARD_PAYMENT_PENDING = "CARD_PAYMENT_PENDING"  # a card payment on the ticket has no receipt yet
