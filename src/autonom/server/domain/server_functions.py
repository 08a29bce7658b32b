"""The rules of the functions that need the server (R2.4): redeeming a voucher, putting a
sale on a customer's account, selling the seats of an event, and the operator settlement.
Pure: the service layer reads the facts, these rules decide, it writes what they decided.

A voucher's value and an event's seats are *held* for a ticket when a till asks, and the
hold is settled when that ticket's receipt arrives by push: what the receipt uses is
taken for good, the rest is given back (docs/server-functions.md). So a till that crashed
between the server's answer and its own close never loses a voucher's value for good, nor
redeems one twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from autonom.domain import (
    Form,
    Payment,
    PaymentMethod,
    Receipt,
    ReceiptNumber,
    Refusal,
    TicketClosed,
    errors,
)
from autonom.domain.money import ZERO
from autonom.domain.numbering import voucher_number as voucher_number
from autonom.server.domain.findings import Finding

# -- vouchers ----------------------------------------------------------------------------


class RedemptionState(StrEnum):
    HELD = "held"  # the amount is taken off the voucher; the ticket's receipt is awaited
    USED = "used"  # the ticket's receipt pays with it
    RELEASED = "released"  # the ticket's receipt came without it: the amount is back


@dataclass(frozen=True)
class VoucherFacts:
    """A voucher as the server holds it: registered when the receipt that sold it arrived."""

    number: str
    value: Decimal
    remaining: Decimal
    till_number: int
    receipt_number: str
    sold_at: datetime


@dataclass(frozen=True)
class RedemptionFacts:
    """One till's request to pay ``amount`` of a ticket with a voucher."""

    redemption_id: str
    voucher_number: str
    ticket_id: str
    till_number: int
    amount: Decimal
    state: RedemptionState


def check_redemption(
    *,
    number: ReceiptNumber,
    amount: Decimal,
    voucher: VoucherFacts | None,
    replaced: Decimal = ZERO,
    issuer_registered: bool,
) -> None:
    """Refuse a redemption of ``amount`` from ``voucher`` that cannot be: an unknown
    voucher (VOUCHER_UNKNOWN), one its till has not synced yet (VOUCHER_NOT_REGISTERED),
    an exhausted one, or more than it still holds. ``replaced`` is the amount an earlier,
    unsettled request for the same ticket and voucher holds, which this one replaces."""
    if amount <= 0:
        raise Refusal(errors.BAD_AMOUNT, "A voucher pays more than zero.")
    if voucher is None:
        if issuer_registered:
            raise Refusal(
                errors.VOUCHER_NOT_REGISTERED,
                f"Voucher {number} is not on the server yet. It comes from till {number.till}: "
                "a voucher sold in emergency mode can be redeemed once that till has sent its "
                "receipts. Take another payment, or try again later.",
                409,
                detail={"till_number": number.till},
            )
        raise Refusal(errors.VOUCHER_UNKNOWN, f"There is no voucher {number}.", 404)
    remaining = voucher.remaining + replaced
    if remaining <= 0:
        raise Refusal(
            errors.VOUCHER_EXHAUSTED,
            f"Voucher {number} is used up.",
            409,
            detail={"remaining": "0.00"},
        )
    if amount > remaining:
        raise Refusal(
            errors.VOUCHER_INSUFFICIENT,
            f"Voucher {number} holds only {remaining}; redeem at most that and take the rest "
            "another way.",
            409,
            detail={"remaining": str(remaining)},
        )


def check_same_redemption(
    existing: RedemptionFacts, *, number: str, ticket_id: str, amount: Decimal
) -> RedemptionFacts:
    """A redemption asked again (the till did not get the answer) is the same one; its id
    reused for another voucher, ticket or amount is REDEMPTION_CONFLICT."""
    if (existing.voucher_number, existing.ticket_id, existing.amount) != (
        number,
        ticket_id,
        amount,
    ):
        raise Refusal(
            errors.REDEMPTION_CONFLICT,
            f"Redemption {existing.redemption_id} was asked for voucher {existing.voucher_number}, "
            f"ticket {existing.ticket_id}, {existing.amount}; a new redemption needs a new id.",
            409,
        )
    return existing


@dataclass(frozen=True)
class HoldsSettled:
    """What a ticket's receipt decides about the redemptions held for it."""

    used: list[RedemptionFacts]
    released: list[RedemptionFacts]
    findings: list[Finding]


def settle_redemptions(held: Sequence[RedemptionFacts], closed: TicketClosed) -> HoldsSettled:
    """Match the receipt's voucher payments to the redemptions held for its ticket, each
    payment to one held redemption of the same voucher and amount: matched ones are used,
    the others released; a voucher payment with no redemption held becomes a finding
    (never a refusal: the sale is done, invariant 6)."""
    waiting = list(held)
    used: list[RedemptionFacts] = []
    found: list[Finding] = []
    for payment in closed.payments:
        if payment.method is not PaymentMethod.VOUCHER:
            continue
        match = next(
            (
                r
                for r in waiting
                if r.voucher_number == payment.reference and r.amount == payment.amount
            ),
            None,
        )
        if match is None:
            found.append(
                Finding(
                    errors.VOUCHER_NOT_REDEEMED,
                    f"Receipt {closed.receipt_number} of till {closed.till_number} takes "
                    f"{payment.amount} from voucher {payment.reference}, which the server did "
                    "not redeem for it. Check the voucher.",
                )
            )
            continue
        waiting.remove(match)
        used.append(match)
    return HoldsSettled(used=used, released=waiting, findings=found)


def vouchers_sold(receipt: Receipt) -> list[VoucherFacts]:
    """The vouchers a receipt sold: each of its lines with a number of form 03, worth the
    line's amount (a voucher is booked one at a time). Voided lines are not on it."""
    return [
        VoucherFacts(
            number=line.issued_number,
            value=line.amount,
            remaining=line.amount,
            till_number=receipt.till_number,
            receipt_number=receipt.number,
            sold_at=receipt.closed_at,
        )
        for line in receipt.lines
        if line.issued_number is not None
        and ReceiptNumber.parse(line.issued_number).form == Form.VOUCHER
    ]


# -- customer accounts --------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFacts:
    number: int
    name: str
    credit_limit: Decimal
    balance: Decimal

    @property
    def available(self) -> Decimal:
        return self.credit_limit - self.balance


def check_charge(customer: CustomerFacts | None, *, number: int, amount: Decimal) -> CustomerFacts:
    """Whether ``amount`` may go on the account now: an unknown customer is
    CUSTOMER_UNKNOWN, a charge beyond the credit limit ACCOUNT_LIMIT_REACHED."""
    if amount <= 0:
        raise Refusal(errors.BAD_AMOUNT, "An account is charged more than zero.")
    if customer is None:
        raise Refusal(errors.CUSTOMER_UNKNOWN, f"There is no customer account {number}.", 404)
    if customer.balance + amount > customer.credit_limit:
        raise Refusal(
            errors.ACCOUNT_LIMIT_REACHED,
            f"{customer.name}'s account has {max(customer.available, ZERO)} left of its "
            f"{customer.credit_limit} limit; {amount} is too much. Take another payment.",
            409,
            detail={"available": str(max(customer.available, ZERO))},
        )
    return customer


@dataclass(frozen=True)
class AccountCharge:
    """One receipt's payment put on one account, as the push applies it."""

    customer_number: int
    amount: Decimal


def account_charges(closed: TicketClosed) -> tuple[list[AccountCharge], list[Finding]]:
    """The receipt's payments on account; a reference that is no customer number is a
    finding (the sale is done all the same)."""
    charges: list[AccountCharge] = []
    found: list[Finding] = []
    for payment in closed.payments:
        if payment.method is not PaymentMethod.ACCOUNT:
            continue
        reference = payment.reference or ""
        if reference.isascii() and reference.isdigit() and 0 < int(reference) <= 999_999:
            charges.append(AccountCharge(int(reference), payment.amount))
        else:
            found.append(_unknown_customer(closed, payment))
    return charges, found


def charge_findings(
    customer: CustomerFacts | None, charge: AccountCharge, closed: TicketClosed
) -> list[Finding]:
    """What a person should look at after ``charge`` was put on ``customer`` (its balance
    already raised): an unknown account, or one now over its credit limit."""
    if customer is None:
        return [
            _unknown_customer(
                closed,
                Payment(
                    PaymentMethod.ACCOUNT, charge.amount, charge.amount, str(charge.customer_number)
                ),
            )
        ]
    if customer.balance > customer.credit_limit:
        return [
            Finding(
                errors.ACCOUNT_OVER_LIMIT,
                f"Receipt {closed.receipt_number} of till {closed.till_number} put "
                f"{charge.amount} on {customer.name}'s account ({customer.number}): its "
                f"balance {customer.balance} is over its limit {customer.credit_limit}.",
            )
        ]
    return []


def _unknown_customer(closed: TicketClosed, payment: Payment) -> Finding:
    return Finding(
        errors.CUSTOMER_UNKNOWN,
        f"Receipt {closed.receipt_number} of till {closed.till_number} puts {payment.amount} "
        f"on account {payment.reference!r}, which the server does not know. Charge it by hand.",
    )


# -- event seats --------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    plu: str
    capacity: int
    sold: int  # seats held or sold

    @property
    def left(self) -> int:
        return max(self.capacity - self.sold, 0)


@dataclass(frozen=True)
class SeatHold:
    """Seats held for one booking of an event ticket, until its ticket's receipt arrives."""

    booking_id: str
    plu: str
    ticket_id: str
    seats: int


def check_seats(event: EventFacts | None, *, plu: str, seats: int, ticketing_down: bool) -> None:
    """Whether ``seats`` more of the event can be sold now: EVENT_UNKNOWN for an item that
    is no event, EVENT_TICKET_OFFLINE while ticketing is marked down, EVENT_SOLD_OUT."""
    if ticketing_down:
        raise Refusal(
            errors.EVENT_TICKET_OFFLINE,
            "The ticketing system does not answer; sell event tickets when it is back.",
            409,
        )
    if event is None:
        raise Refusal(errors.EVENT_UNKNOWN, f"Item {plu} is no event with seats.", 404)
    if seats > event.left:
        raise Refusal(
            errors.EVENT_SOLD_OUT,
            f"Only {event.left} seat{'' if event.left == 1 else 's'} left of {event.capacity}."
            if event.left
            else f"Sold out: all {event.capacity} seats are taken.",
            409,
            detail={"left": event.left},
        )


def settle_seats(
    held: Sequence[SeatHold], sold_booking_ids: Iterable[str]
) -> tuple[list[SeatHold], list[SeatHold]]:
    """The seats a ticket's receipt sells (its live lines hold them) and those it gives
    back (a voided line, or a booking that was never written)."""
    sold_ids = set(sold_booking_ids)
    sold = [h for h in held if h.booking_id in sold_ids]
    return sold, [h for h in held if h.booking_id not in sold_ids]


# -- the operator settlement ----------------------------------------------------------------


@dataclass(frozen=True)
class SettlementReceipt:
    number: str
    till_number: int
    closed_at: datetime
    total: Decimal


@dataclass
class OperatorSettlement:
    """An operator's receipts of one day on every till: count, total, payments by method."""

    operator_number: int
    day: date
    receipts: list[SettlementReceipt] = field(default_factory=list)
    total: Decimal = ZERO
    payments: dict[PaymentMethod, Decimal] = field(default_factory=dict)

    @property
    def tills(self) -> list[int]:
        return sorted({r.till_number for r in self.receipts})


def operator_settlement(
    operator_number: int, day: date, closed: Iterable[TicketClosed]
) -> OperatorSettlement:
    """Sum up the receipts ``operator_number`` closed (``closed`` are the day's receipts of
    every till, in order); payments count what settled the tickets, not the change."""
    settlement = OperatorSettlement(operator_number, day)
    for receipt in closed:
        if receipt.operator_number != operator_number:
            continue
        settlement.receipts.append(
            SettlementReceipt(
                receipt.receipt_number, receipt.till_number, receipt.closed_at, receipt.total
            )
        )
        settlement.total += receipt.total
        for payment in receipt.payments:
            settlement.payments[payment.method] = (
                settlement.payments.get(payment.method, ZERO) + payment.amount
            )
    return settlement
