"""The domain's limits: how long a text, how large a number, how many lines a thing may
have. A till never records anything outside them; the wire contracts
(``autonom.contracts``) and the server's columns are sized from these values, so a
hostile or broken client is refused before anything is written (issue 7, point 8)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

# -- identities and texts (characters) --------------------------------------------------
MAX_ID_LENGTH = 64  # a ticket_id or booking_id (the server's String(64) columns)
MAX_PLU_LENGTH = 13  # an EAN-13 at most
MAX_NAME_LENGTH = 60  # an item's or operator's name
MAX_TAX_CODE_LENGTH = 2  # printed on the receipt: "A"
MAX_TAX_NAME_LENGTH = 40
MAX_REASON_LENGTH = 200  # why a line was voided
MAX_RECEIPT_NUMBER_LENGTH = 16  # "999999999-99" is 12
MAX_TILL_NAME_LENGTH = 80
MAX_ENROLMENT_CODE_LENGTH = 200
MAX_LOG_WORDS_LENGTH = 200  # a mode-log line's words: "OFFLINE NO PING"
MAX_LOG_STATE_LENGTH = 30
MAX_GATE_LENGTH = 20  # a gate's short name: "main", "north 2"
MAX_REFERENCE_LENGTH = 40  # what a payment refers to: a voucher's or a customer's number
MAX_CUSTOMER_QUERY_LENGTH = 60  # a customer looked up by name or number

# -- whole numbers -------------------------------------------------------------------------
MAX_QUANTITY = 999
MAX_TABLE = 9999
MAX_TILL = 999  # R2.3: the till number is at most three digits of the receipt number
MAX_OPERATOR = 9999
MAX_SEQ = 2**53  # a log position: exact in every JSON reader, fits a 64-bit column
MAX_COUNT = 2**31 - 1  # a count a till reports (a 32-bit column)
MAX_FORM = 99  # R2.3: the two digits after the dash of a receipt number
MAX_Z_NUMBER = 999_999  # a till's day closes, numbered from 1 (R2.8)
MAX_CUSTOMER = 999_999  # a customer account's number
MAX_CAPACITY = 1_000_000  # the seats of one event

# -- money and percentages (Decimal, at most two places, never written with an exponent) -----
MAX_AMOUNT = Decimal("99999.99")  # a price, a payment, a receipt's total
MAX_TENDERS = 10  # payments on one receipt
MAX_TENDERED = MAX_AMOUNT * MAX_TENDERS  # what a customer may hand over in all
MAX_PERCENT = Decimal(100)
MAX_TAX_LINES = 20  # tax rates on one receipt
# Lines one move operation carries (a table transfer or bill split of more lines is several
# operations): ten lines with every text at its limit are under 4 KB of JSON, the size the
# body limit allows each operation of a full push batch (autonom.web.body_limit).
MAX_MOVED_LINES = 10
MAX_CHOSEN_LINES = 500  # lines a cashier or a client chooses at once (more than any table)
AMOUNT_PLACES = 2
# The sums of a period (a day close's totals per rate and per method): many receipts, so
# above MAX_AMOUNT; the grand total of every day close a till ever made, larger still. Both
# fit the server's 64-bit column of hundredths many times over.
MAX_PERIOD_AMOUNT = Decimal("999999999.99")
MAX_GRAND_TOTAL = Decimal("99999999999.99")
MAX_REPORT_LINES = 100  # tax rates, payment methods or receipt forms on one report

# -- moments ---------------------------------------------------------------------------------
# Wide enough for any till clock, even one reset to 1970; narrow enough that converting to
# UTC never leaves the calendar (year 1 or 9999 with a zone offset does).
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(9000, 1, 1, tzinfo=UTC)

# -- cards (the card-payment device, docs/card-device.md) -------------------------------------
MIN_PAN_LENGTH = 12  # a card number (PAN) has 12 to 19 digits (ISO/IEC 7812)
MAX_PAN_LENGTH = 19
MAX_APPROVAL_CODE_LENGTH = 12  # the bank's approval code (the emulator's has six digits)
