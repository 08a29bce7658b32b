"""The cashier's functions that need the server (R2.4): paying with a voucher, looking up a
customer and putting a ticket on the account, holding the seats of an event ticket, the
operator settlement, and the panel of every function of the capability matrix as it
stands now.

Each asks the capability matrix first (``Capabilities.require``): in emergency mode it is
refused at once, in the matrix's words, before any call. Live, the server is asked with a
short timeout (``server_link.SERVER_FUNCTION_TIMEOUT``); no answer is SERVER_UNREACHABLE
and nothing is written. None of these is ever queued for later.

Paying with a voucher cannot redeem without a receipt, nor make a receipt without a
redemption (docs/server-functions.md):

1. the close is rehearsed on the loaded ticket (open, not empty, the tenders settle), so
   whatever would refuse it refuses before the server is asked;
2. the server holds the amount of the voucher for this ticket; the ``redemption_id`` is
   derived from ticket, voucher and amount, so asking again is the same hold;
3. the ticket is closed with a ``VOUCHER`` payment naming the voucher (one transaction);
4. when that receipt arrives by push, the server marks the hold used.

If the till crashes between 2 and 3, or the close is refused there (an undecided outage,
R1.4), the ticket stays open and the hold waits for its receipt: paying again with the same
voucher finds the same hold (or replaces it, for another amount); paying another way makes
a receipt without it, and its arrival gives the amount back to the voucher.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

import structlog

from autonom.contracts.server_functions import (
    AccountChargeAuthorised,
    AccountChargeIn,
    CustomerPublic,
    OperatorSettlementPublic,
    RedemptionIn,
    RedemptionPublic,
    SeatsHeld,
    SeatsIn,
)
from autonom.domain import Form, PaymentMethod, ReceiptNumber, Refusal, Ticket, errors
from autonom.domain.limits import MAX_CUSTOMER, MAX_CUSTOMER_QUERY_LENGTH
from autonom.domain.money import parse_amount
from autonom.domain.numbering import voucher_number
from autonom.domain.payment import AUTHORISED_BY_SERVER
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.unit_of_work import Clock
from autonom.till.domain.capabilities import NOTICE_CLOSES_AFTER_S, Availability, Function
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import CloseTicket, Tendered
from autonom.till.service_layer.selling import Closed, Selling
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork

log = structlog.get_logger(__name__)

# Functions of the matrix this till offers no provider for: available by the matrix, but
# there is nothing behind them here (no e-wallet provider, no webshop), and the page says so.
NOT_CONFIGURED: dict[Function, str] = {
    Function.INTEGRATED_PAYMENT: "No payment provider is configured for this store.",
    Function.ONLINE_ORDERS: "No webshop is configured for this store.",
}
_REDEMPTION_IDS = uuid.UUID("6d1f6f2e-3c1a-4f57-9a43-6f1b1c0e5a01")  # uuid5 namespace


class ServerCalls(Protocol):
    """The server's side of these functions (``ServerLink``)."""

    def redeem_voucher(self, number: str, request: RedemptionIn) -> RedemptionPublic: ...

    def operator_settlement(self, operator_number: int, day: date) -> OperatorSettlementPublic: ...

    def hold_seats(self, plu: str, request: SeatsIn) -> SeatsHeld: ...

    def find_customers(self, text: str) -> list[CustomerPublic]: ...

    def authorise_charge(
        self, number: int, request: AccountChargeIn
    ) -> AccountChargeAuthorised: ...


@dataclass(frozen=True)
class Notice:
    """A refusal shown as a notice: the cashier confirms it with OK, or it closes itself
    after ``closes_after_s`` (R2.4, seed 000: "… beendet sie sich eigenständig nach ca.
    45 Sekunden")."""

    words: str
    code: str
    closes_after_s: int

    @classmethod
    def of(cls, refusal: Refusal) -> Notice | None:
        """The notice a refusal is shown as, or None for an ordinary alert."""
        closes_after_s = (refusal.detail or {}).get("closes_after_s")
        if not isinstance(closes_after_s, int):
            return None
        return cls(refusal.message, refusal.code, closes_after_s)


@dataclass(frozen=True)
class FunctionState:
    """One function of the matrix as the page lists it now; ``note`` says what is missing
    behind a function the matrix allows (no provider configured)."""

    function: Function
    title: str
    availability: Availability
    note: str | None = None

    @property
    def usable(self) -> bool:
        return not self.availability.refused and self.note is None


@dataclass(frozen=True)
class Settlement:
    """The operator settlement as the server holds it, and how many receipts of this till
    it cannot hold yet (not sent)."""

    report: OperatorSettlementPublic
    unsent_here: int


def redemption_id(ticket_id: str, number: str, amount: Decimal) -> str:
    """The same ticket, voucher and amount always ask for the same redemption (idempotent)."""
    return str(uuid.uuid5(_REDEMPTION_IDS, f"{ticket_id}/{number}/{amount}"))


@dataclass
class ServerFunctions:
    """See the module docstring. Built once per till (``bootstrap``) on its ``Selling``."""

    selling: Selling
    server: ServerCalls

    # -- the panel ------------------------------------------------------------------------

    def functions_now(self) -> list[FunctionState]:
        """Every function of the matrix with its state now, in the matrix's order; a function
        this till has nothing behind (no provider, no card device) says so."""
        missing = dict(NOT_CONFIGURED)
        if not self.selling.card_payments.device_view().configured:
            missing[Function.CARD_PAYMENT] = "No card device is configured for this till."
        return [
            FunctionState(
                now.function,
                now.title,
                now.availability,
                None if now.availability.refused else missing.get(now.function),
            )
            for now in self.selling.capabilities.all_now()
        ]

    def state_of(self, function: Function | str) -> FunctionState:
        """One function's state now (the pay screen's voucher and account buttons)."""
        wanted = Function(function)
        return next(state for state in self.functions_now() if state.function is wanted)

    # -- vouchers ---------------------------------------------------------------------------

    def pay_with_voucher(
        self,
        operator_number: int,
        ticket_id: str,
        number: str,
        amount: str | None = None,
        rest: PaymentMethod = PaymentMethod.CASH,
        *,
        print_receipt: bool = True,
    ) -> Closed:
        """Redeem ``amount`` of voucher ``number`` (all that is due when None) and close the
        ticket with it, the rest paid exactly by ``rest`` (cash or card); then print. See
        the module docstring for why this cannot redeem twice or lose a redemption."""
        self.selling.capabilities.require(Function.VOUCHER_REDEEM)
        voucher = str(voucher_number(number))
        ticket = self.selling.ticket(ticket_id)
        paid = _amount(amount, ticket)
        tendered = self._with_rest(ticket, Tendered(PaymentMethod.VOUCHER, paid, voucher), rest)
        self._rehearse(ticket, operator_number, tendered)
        request = RedemptionIn(
            amount=paid, ticket_id=ticket_id, redemption_id=redemption_id(ticket_id, voucher, paid)
        )
        try:
            self.server.redeem_voucher(voucher, request)
        except ServerUnreachable as error:
            raise _unreachable(
                Function.VOUCHER_REDEEM,
                f"The server did not answer, so voucher {voucher} was not redeemed and nothing "
                "was saved. Take another payment, or try again.",
                error,
            ) from error
        log.info("voucher held", ticket_id=ticket_id, voucher=voucher, amount=str(paid))
        return self._close(
            operator_number,
            ticket_id,
            tendered,
            print_receipt=print_receipt,
            held=f"Voucher {voucher} stays held for this ticket: pay it again with the same "
            "voucher, or another way (then the server gives the amount back).",
        )

    # -- customer accounts ------------------------------------------------------------------

    def find_customers(self, text: str) -> list[CustomerPublic]:
        """Customer accounts whose number is ``text`` or whose name contains it (server only)."""
        self.selling.capabilities.require(Function.CUSTOMER_ACCOUNT)
        try:
            return self.server.find_customers(text.strip()[:MAX_CUSTOMER_QUERY_LENGTH])
        except ServerUnreachable as error:
            raise _unreachable(
                Function.CUSTOMER_ACCOUNT,
                "The server did not answer, so no customer can be looked up now. Take another "
                "payment, or try again.",
                error,
            ) from error

    def pay_on_account(
        self,
        operator_number: int,
        ticket_id: str,
        customer_number: int,
        amount: str | None = None,
        rest: PaymentMethod = PaymentMethod.CASH,
        *,
        print_receipt: bool = True,
    ) -> Closed:
        """Put ``amount`` of the ticket (all that is due when None) on a customer's account
        and close it, the rest paid exactly by ``rest``; then print. The server authorises
        the charge against the account's limit now, live; it charges the account when the
        receipt arrives. Nothing is held in between, so a crash before the close leaves
        nothing behind on either side."""
        self.selling.capabilities.require(Function.CUSTOMER_ACCOUNT)
        if not isinstance(customer_number, int) or not 1 <= customer_number <= MAX_CUSTOMER:
            raise Refusal(
                errors.CUSTOMER_UNKNOWN, f"There is no customer account {customer_number}.", 404
            )
        ticket = self.selling.ticket(ticket_id)
        tendered = self._with_rest(
            ticket,
            Tendered(PaymentMethod.ACCOUNT, _amount(amount, ticket), str(customer_number)),
            rest,
        )
        self._rehearse(ticket, operator_number, tendered)
        request = AccountChargeIn(amount=_amount(amount, ticket), ticket_id=ticket_id)
        try:
            authorised = self.server.authorise_charge(customer_number, request)
        except ServerUnreachable as error:
            raise _unreachable(
                Function.CUSTOMER_ACCOUNT,
                "The server did not answer, so nothing was put on the account and nothing was "
                "saved. Take another payment, or try again.",
                error,
            ) from error
        log.info("account charge authorised", ticket_id=ticket_id, customer=customer_number)
        return self._close(
            operator_number,
            ticket_id,
            tendered,
            print_receipt=print_receipt,
            held=f"Nothing was put on {authorised.customer.name}'s account.",
        )

    # -- the operator settlement ----------------------------------------------------------------

    def operator_settlement(self, operator_number: int, day: date | None = None) -> Settlement:
        """The operator's receipts of ``day`` (UTC; today by default) on every till, from
        the server: refused offline as a notice that closes itself (R2.4, seed 000)."""
        self.selling.capabilities.require(Function.OPERATOR_SETTLEMENT)
        day = day or self.selling.clock().date()
        try:
            report = self.server.operator_settlement(operator_number, day)
        except ServerUnreachable as error:
            raise _unreachable(
                Function.OPERATOR_SETTLEMENT,
                "The operator settlement is a server report and the server did not answer. "
                "The X report and the report of emergency mode are on this till.",
                error,
            ) from error
        return Settlement(report, len(self.selling.unsent_receipt_numbers()))

    # -- shared steps -------------------------------------------------------------------------

    @staticmethod
    def _with_rest(ticket: Ticket, through_server: Tendered, rest: PaymentMethod) -> list[Tendered]:
        """The tender the server says yes to, and what is left of the ticket's total paid
        exactly by ``rest`` (cash or card)."""
        if rest in AUTHORISED_BY_SERVER:
            raise Refusal(errors.TENDER_NEEDS_SERVER, "Pay the rest in cash or by card.", 422)
        assert isinstance(through_server.amount, Decimal)
        left = ticket.total - through_server.amount
        return [through_server, *([Tendered(rest, left)] if left > 0 else [])]

    def _rehearse(self, ticket: Ticket, operator_number: int, tendered: Sequence[Tendered]) -> None:
        """Close the loaded ticket in memory only (it is never saved): whatever would refuse
        the real close (paid already, empty, tenders that do not settle) refuses now,
        before the server is asked for anything."""
        tenders = handlers.tenders_as_typed(tendered, ticket.total)
        ticket.close(
            tenders,
            ReceiptNumber(self.selling.till_number, 1, Form.RECEIPT),
            operator_number=operator_number,
            till_number=self.selling.till_number,
            at=self.selling.clock(),
        )

    def _close(
        self,
        operator_number: int,
        ticket_id: str,
        tendered: Sequence[Tendered],
        *,
        print_receipt: bool,
        held: str,
    ) -> Closed:
        """Close with what the server said yes to, then print; a refusal of the close says
        what the server keeps meanwhile (``held``)."""
        try:
            receipt = handlers.close_ticket(
                CloseTicket(ticket_id, tuple(tendered), operator_number),
                self.selling.unit_of_work(),
                mode=self.selling.modes,
            )
        except Refusal as refusal:
            log.warning("close refused after the server said yes", code=refusal.code)
            raise Refusal(
                refusal.code, f"{refusal.message} {held}", refusal.status, detail=refusal.detail
            ) from refusal
        problem = self.selling.print_receipt(receipt) if print_receipt else None
        return Closed(receipt, problem)


@dataclass
class EventSeating:
    """Holds an event ticket's seats on the server before its booking is written (R2.6),
    for ``Selling.book`` once the matrix allowed the function: the booking is rehearsed on
    the loaded ticket, then the server holds the seats for the booking's id (refused when
    sold out), then the booking is written with that id. No answer is SERVER_UNREACHABLE
    and nothing is booked. Seats held for a booking that was never written (a crash in
    between) or voided are freed when the ticket's receipt arrives."""

    reading: Callable[[], TillReadUnitOfWork]
    server: ServerCalls
    clock: Clock

    def hold(self, operator_number: int, ticket_id: str, plu: str, quantity: int) -> str:
        with self.reading() as uow:
            ticket = uow.tickets.get(ticket_id)
            item = uow.master_data.item(plu)
            rate = uow.master_data.tax_rate(item.tax_code)
            till_number = uow.till_number
        booking_id = handlers.new_id()
        ticket.book(  # the rehearsal: never saved
            item,
            rate,
            quantity,
            booking_id=booking_id,
            operator_number=operator_number,
            till_number=till_number,
            at=self.clock(),
        )
        request = SeatsIn(booking_id=booking_id, ticket_id=ticket_id, seats=quantity)
        try:
            self.server.hold_seats(plu, request)
        except ServerUnreachable as error:
            raise _unreachable(
                Function.EVENT_TICKET,
                f"The server did not answer, so no seat of {item.name} was held and nothing "
                "was booked. Try again.",
                error,
            ) from error
        return booking_id


def _amount(typed: str | None, ticket: Ticket) -> Decimal:
    """What the cashier typed for a voucher or an account, or all that is due."""
    return ticket.total if typed is None or not typed.strip() else parse_amount(typed)


def _unreachable(function: Function, words: str, error: Exception) -> Refusal:
    """The server not answering a function the cashier asked for: at once, nothing written."""
    log.info("server function not answered", function=function.value, error=str(error))
    detail: dict[str, object] = {"function": function.value}
    if function in NOTICE_CLOSES_AFTER_S:
        detail["closes_after_s"] = NOTICE_CLOSES_AFTER_S[function]
    return Refusal(errors.SERVER_UNREACHABLE, words, 503, detail=detail)
