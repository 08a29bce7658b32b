"""Card payments through the till's card device (R2.5; the device's protocol is
docs/card-device.md, how the till uses it its last section).

A card payment is asked of the device outside any transaction, between two short ones:

1. the intent is written (``card_payments`` row, ``requested``) with the ``payment_id`` the
   device keys the payment by;
2. the device is asked (``CardDevice.pay``, at most about two seconds);
3. approved or stored: the ticket is closed with the slip in the transaction that also
   writes the intent's answer and its receipt (``handlers.close_ticket``). Refused: the
   intent says why and the ticket stays open, payable in cash. No answer: the intent is
   ``unknown``, and the next attempt on the ticket sends the same ``payment_id`` again, so
   the card is never charged twice.

A ticket whose card payment is not resolved (maybe charged, no receipt) is paid no other
way until it is (``CARD_PAYMENT_PENDING``, checked in the close's own transaction). After
a restart the intents left ``requested``/``unknown`` are resolved by asking the device for
them before anything else is paid with the card (``CardPayments.start``'s first round).

A background thread (``CardPayments.start``) asks the device every ``POLL_S`` for its bank
link — reported to the capability matrix as ``Backend.CARD_BANK`` — and for the payments
that changed: the bank's verdict on a stored payment becomes a ``CardPaymentSettled``
document in the till's log, with the intent's row, in one transaction. It is a thread of
its own rather than a turn of the uploader's or the heartbeat's loop: those wait on the
server (backing off for seconds) or tick every 20 ms, and a device call may take up to two
seconds; neither should wait for the other.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol
from uuid import UUID

import structlog

from autonom.devices.card_device import CardAuthorisation, CardDevice, CardDeviceState
from autonom.domain import PaymentMethod, Receipt, Refusal, Tender
from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.errors import (
    BAD_AMOUNT,
    BAD_CARD,
    CARD_DECLINED,
    CARD_DEVICE_UNAVAILABLE,
    NO_CARD_DEVICE,
    NOT_FOUND,
    PAYMENT_ID_REUSED,
)
from autonom.domain.money import ZERO
from autonom.till.domain.capabilities import Availability, Backend, Function
from autonom.till.domain.card_payments import (
    CardIntent,
    IntentState,
    NextStep,
    after_change,
    after_result,
    check_card,
    next_step,
    offline_room,
    pending_refusal,
    settled_event,
    unavailable_refusal,
)
from autonom.till.service_layer import handlers
from autonom.till.service_layer.capabilities import BackendBoard, Capabilities
from autonom.till.service_layer.commands import CloseTicket, PresentedCard, Tendered
from autonom.till.service_layer.unit_of_work import TillReadUnitOfWork, TillUnitOfWork

log = structlog.get_logger(__name__)

POLL_S = 2.0  # how often the device is asked for its bank link and for changed payments
SOURCE = "card_device"  # the card device's reports on the backend board


class SalesMode(Protocol):
    """The till's mode as a close needs it (``ModeKeeper``)."""

    def selling(self) -> AbstractContextManager[bool]: ...


@dataclass(frozen=True)
class CardDeviceView:
    """The card device as the pay screen shows it: its bank link and how many more payments
    it may store offline, as last asked (None: not known), or why it cannot be used."""

    configured: bool
    availability: Availability
    bank_link_up: bool | None = None
    offline_room: int | None = None
    problem: str | None = None


class CardPayments:
    """The card payments of one till; see the module docstring. Without a device
    (``device=None``) card payments are refused (``NO_CARD_DEVICE``)."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], TillUnitOfWork],
        reading: Callable[[], TillReadUnitOfWork],
        capabilities: Capabilities,
        modes: SalesMode,
        backends: BackendBoard,
        device: CardDevice | None,
        till_number: int,
        poll_s: float = POLL_S,
    ) -> None:
        self.unit_of_work = unit_of_work
        self.reading = reading
        self.capabilities = capabilities
        self.modes = modes
        self.backends = backends
        self.device = device
        self.till_number = till_number
        self.poll_s = poll_s
        # One card at a time on this till's device: a payment, a resolution and the
        # poller's writes take turns (a double click waits, then finds the ticket paid).
        self._paying = threading.Lock()
        self._state: CardDeviceState | None = None
        self._problem: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- paying --------------------------------------------------------------------------

    def pay(
        self,
        operator_number: int,
        ticket_id: str,
        tendered: Sequence[Tendered],
        card: PresentedCard | None,
    ) -> Receipt:
        """Pay the card part of ``tendered`` through the device and close the ticket with
        its slip; the other tenders (cash) settle the rest. See the module docstring."""
        self.capabilities.require(Function.CARD_PAYMENT)
        device = self._require_device()
        with self._paying:
            with self.reading() as uow:
                existing = uow.card_payments.unfinished(ticket_id)
            step = next_step(existing)
            if step is NextStep.FINISH:
                assert existing is not None
                return self._close(operator_number, ticket_id, tendered, existing)
            amount, tenders = self._card_amount(operator_number, ticket_id, tendered)
            if card is None:
                raise Refusal(BAD_CARD, "Present the card: its type and its number.", 422)
            card_type, number = check_card(card.card_type, card.card_number)
            same = existing if step is NextStep.SAME_ID else None
            intent = self._intend(ticket_id, tenders, amount, card_type, same)
            try:
                answer = device.pay(
                    UUID(intent.payment_id), self.till_number, amount, card_type, number
                )
            except Refusal as refusal:
                answer = self._after_refusal(device, intent, refusal)
            log.info("card payment", state=answer.state.value, amount=str(answer.amount))
            return self._close(operator_number, ticket_id, tendered, _answered(intent, answer))

    def resolve_unfinished(self, ticket_id: str) -> None:
        """Before the ticket is paid otherwise: resolve its card payment whose outcome is
        unknown by asking the device. Returns when nothing was charged (the device never
        took it, or the bank declined it); raises ``CARD_PAYMENT_PENDING`` when the card
        was charged (finish the receipt with it) and ``CARD_DEVICE_UNAVAILABLE`` when the
        device cannot tell."""
        with self._paying:
            with self.reading() as uow:
                intent = uow.card_payments.unfinished(ticket_id)
            if intent is None:
                return
            if intent.outcome_unknown and self.device is not None:
                intent = self._resolve(self.device, intent, void_when_missing=True)
            if intent.unfinished:
                raise pending_refusal(intent)

    def _require_device(self) -> CardDevice:
        if self.device is None:
            raise Refusal(
                NO_CARD_DEVICE,
                "No card device is configured for this till (autonom till --card-device URL); "
                "take cash.",
                409,
                detail={"function": Function.CARD_PAYMENT.value},
            )
        return self.device

    def _card_amount(
        self, operator_number: int, ticket_id: str, tendered: Sequence[Tendered]
    ) -> tuple[Decimal, tuple[Tender, ...]]:
        """The amount to charge to the card and the tenders, once it is sure the close would
        be accepted now: a card is charged only for a ticket that can be closed."""
        with self.reading() as uow:
            uow.master_data.operator(operator_number)
            ticket = uow.tickets.get(ticket_id)
        tenders = handlers.tenders_as_typed(tendered, ticket.total)
        ticket.settlement(tenders)  # TICKET_CLOSED, TICKET_EMPTY, UNDERPAID, CARD_OVERPAID …
        with self.modes.selling():
            pass  # R1.4: an undecided outage refuses the close; refuse before charging
        amount = sum((t.amount for t in tenders if t.method is PaymentMethod.CARD), ZERO)
        if amount <= 0:
            raise Refusal(BAD_AMOUNT, "Nothing is due by card on this ticket.")
        return amount, tenders

    def _intend(
        self,
        ticket_id: str,
        tenders: tuple[Tender, ...],
        amount: Decimal,
        card_type: CardType,
        same: CardIntent | None,
    ) -> CardIntent:
        """Write the intent before the device is asked: a new ``payment_id``, or the one
        whose outcome is unknown (the device then answers the same payment again). The
        ticket is checked again in this transaction: a cash close that came first wins."""
        with self.unit_of_work() as uow:
            uow.tickets.get(ticket_id).settlement(tenders)
            if same is not None:
                intent = replace(
                    same, amount=amount, card_type=card_type, state=IntentState.REQUESTED
                )
                uow.card_payments.save(intent)
            else:
                intent = CardIntent(
                    payment_id=str(uuid.uuid4()),
                    ticket_id=ticket_id,
                    amount=amount,
                    card_type=card_type,
                    state=IntentState.REQUESTED,
                    created_at=uow.now(),
                )
                uow.card_payments.add(intent)
            uow.commit()
        return intent

    def _after_refusal(
        self, device: CardDevice, intent: CardIntent, refusal: Refusal
    ) -> CardAuthorisation:
        """What a refusal of ``device.pay`` means for the intent; raises unless the payment
        turned out to be taken after all (the same id was taken earlier, with other details)."""
        if refusal.code == CARD_DEVICE_UNAVAILABLE:
            self._save(replace(intent, state=IntentState.UNKNOWN))
            raise unavailable_refusal(intent.payment_id) from refusal
        if refusal.code == PAYMENT_ID_REUSED:
            # An earlier attempt with this id did reach the device: its answer stands.
            try:
                found = device.result(UUID(intent.payment_id))
            except Refusal as unknown:
                self._save(replace(intent, state=IntentState.UNKNOWN))
                raise unavailable_refusal(intent.payment_id) from unknown
            if found.state is not CardPaymentState.DECLINED:
                return found
            self._save(_answered(intent, found))
            raise Refusal(
                CARD_DECLINED,
                f"The bank declined the card {found.masked_pan}; take another card or cash.",
                409,
                detail={"payment_id": intent.payment_id},
            ) from refusal
        if refusal.code == CARD_DECLINED:
            masked = (refusal.detail or {}).get("masked_pan")
            self._save(replace(intent, state=IntentState.DECLINED, masked_pan=masked))
        else:
            self._save(replace(intent, state=IntentState.REFUSED, refusal_code=refusal.code))
        log.info("card payment refused", code=refusal.code, payment_id=intent.payment_id)
        raise refusal

    def _close(
        self,
        operator_number: int,
        ticket_id: str,
        tendered: Sequence[Tendered],
        intent: CardIntent,
    ) -> Receipt:
        """Close the ticket with the slip of ``intent`` (approved or stored): the intent's
        answer and receipt are written in the receipt's own transaction."""
        others = tuple(t for t in tendered if t.method is not PaymentMethod.CARD)
        command = CloseTicket(
            ticket_id=ticket_id,
            tenders=(Tendered(PaymentMethod.CARD, intent.amount), *others),
            operator_number=operator_number,
            card=intent.slip(),
        )
        try:
            return handlers.close_ticket(command, self.unit_of_work(), mode=self.modes)
        except Refusal as refusal:
            # The card is charged but the receipt is not made: keep that, so the cashier
            # finishes the receipt with this payment and the card is not charged again.
            self._save(intent)
            raise Refusal(
                refusal.code,
                f"{refusal.message} The card payment of {intent.amount} was {intent.words}: "
                "once this is solved, pay by card again to finish the receipt with it; the card "
                "is not charged again.",
                refusal.status,
                detail={**(refusal.detail or {}), "payment_id": intent.payment_id},
            ) from refusal

    def _resolve(
        self, device: CardDevice, intent: CardIntent, *, void_when_missing: bool
    ) -> CardIntent:
        """Ask the device about an intent whose outcome is unknown and keep its answer. A
        payment the device does not hold was never charged (``void``), if
        ``void_when_missing``; else the intent stays unknown (its id is sent again)."""
        try:
            found = device.result(UUID(intent.payment_id))
        except Refusal as refusal:
            if refusal.code != NOT_FOUND:
                raise unavailable_refusal(intent.payment_id) from refusal
            if not void_when_missing:
                return intent
            resolved = after_result(intent, None)
        else:
            resolved = after_result(intent, (found.state, found.masked_pan, found.approval_code))
            resolved = replace(resolved, amount=found.amount, card_type=found.card_type)
        self._save(resolved)
        log.info("card payment resolved", payment_id=intent.payment_id, state=resolved.state.value)
        return resolved

    def _save(self, intent: CardIntent) -> None:
        """Keep what became of an intent, in a small transaction of its own."""
        try:
            with self.unit_of_work() as uow:
                uow.card_payments.save(intent)
                uow.commit()
        except Refusal as refusal:  # a full disk: the intent is resolved again later
            log.warning("card payment not saved", payment_id=intent.payment_id, code=refusal.code)

    # -- reading -------------------------------------------------------------------------

    def payments(self, limit: int = 200) -> list[CardIntent]:
        """This till's card payments, newest first, each with its state now."""
        with self.reading() as uow:
            return uow.card_payments.recent(limit)

    def of_receipt(self, receipt_number: str) -> list[CardIntent]:
        """The card payments on a receipt, with their state now (a stored one later
        approved or declined)."""
        with self.reading() as uow:
            return uow.card_payments.of_receipt(receipt_number)

    def unfinished(self, ticket_id: str) -> CardIntent | None:
        """The ticket's card payment not resolved yet (e.g. approved, no receipt yet)."""
        with self.reading() as uow:
            return uow.card_payments.unfinished(ticket_id)

    def device_view(self) -> CardDeviceView:
        """The card device as last asked by the background thread (never asked here: the
        page does not wait on the device)."""
        availability = self.capabilities.now(Function.CARD_PAYMENT)
        if self.device is None:
            return CardDeviceView(
                configured=False,
                availability=availability,
                problem="no card device configured for this till",
            )
        state = self._state
        if state is None:
            return CardDeviceView(configured=True, availability=availability, problem=self._problem)
        return CardDeviceView(
            configured=True,
            availability=availability,
            bank_link_up=state.bank_link_up,
            offline_room=offline_room(state.policy, state.stored_count),
            problem=self._problem,
        )

    # -- the background thread ---------------------------------------------------------------

    def start(self) -> None:
        """Start asking the device (only when one is configured)."""
        if self.device is None:
            return
        self._thread = threading.Thread(target=self._run, name="card-results", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.device is not None:
            self.device.close()

    def _run(self) -> None:
        left_over = True  # the first round resolves what a previous run left unresolved
        while not self._stop.is_set():
            try:
                self.poll_once(left_over=left_over)
                left_over = False
                self._problem = None
            except Refusal as refusal:
                self._note_problem(refusal.message)
            except sqlite3.Error as error:
                log.info("card results postponed", error=str(error))
            except Exception:  # a bug must not end the thread: results keep coming
                log.exception("card results failed")
            self._stop.wait(self.poll_s)

    def _note_problem(self, problem: str) -> None:
        if problem != self._problem:
            log.warning("card device", problem=problem)
        self._problem = problem
        self._state = None
        self.backends.report(SOURCE, frozenset())

    def poll_once(self, *, left_over: bool = False) -> int:
        """One round: the device's bank link, the intents whose outcome is unknown, and the
        payments changed since the last round. Returns how many bank verdicts on stored
        payments were recorded. ``left_over``: the intents unresolved before this start
        are resolved first (under the payment lock, so nothing is paid meanwhile)."""
        device = self.device
        if device is None:
            return 0
        state = device.status()
        self._state = state
        self.backends.report(
            SOURCE, frozenset() if state.bank_link_up else frozenset({Backend.CARD_BANK})
        )
        if left_over:
            with self._paying:
                with self.reading() as uow:
                    unresolved = uow.card_payments.outcome_unknown()
                for intent in unresolved:
                    self._resolve(device, intent, void_when_missing=True)
        else:
            self._ask_unknown(device)
        return self._read_changes(device)

    def _ask_unknown(self, device: CardDevice) -> None:
        """Intents the device did not answer for: their result, if the device has one now."""
        with self.reading() as uow:
            unknown = uow.card_payments.outcome_unknown()
        for intent in unknown:
            try:
                found = device.result(UUID(intent.payment_id))
            except Refusal as refusal:
                if refusal.code == NOT_FOUND:
                    continue  # not taken (yet): its id is sent again by the next attempt
                raise
            with self._paying, self.unit_of_work() as uow:
                now = uow.card_payments.get(intent.payment_id)
                if now is None or not now.outcome_unknown:
                    continue  # a payment attempt resolved it meanwhile
                uow.card_payments.save(_answered(now, found))
                uow.commit()

    def _read_changes(self, device: CardDevice) -> int:
        """Read the device's changed payments from where the last round stopped and record
        each bank verdict on a stored payment with its receipt."""
        with self.reading() as uow:
            after = uow.card_payments.changes_through()
        recorded = 0
        restarted = False
        while not self._stop.is_set():
            changes = device.changed_since(self.till_number, after)
            if changes.through < after and not restarted:
                # The device's file was replaced: its numbers start again.
                after, restarted = 0, True
                continue
            if not changes.authorisations and changes.through == after:
                break
            recorded += self._apply_changes(changes.authorisations, changes.through)
            if not changes.authorisations:
                break
            after = changes.through
        return recorded

    def _apply_changes(self, changed: Sequence[CardAuthorisation], through: int) -> int:
        """One transaction: the intents' new states, a ``CardPaymentSettled`` for each bank
        verdict on a stored payment with a receipt, and the change number read through."""
        recorded = 0
        with self._paying, self.unit_of_work() as uow:
            for authorisation in changed:
                intent = uow.card_payments.get(str(authorisation.payment_id))
                if intent is None:
                    continue  # not asked by this till's card payments
                at = authorisation.forwarded_at or uow.now()
                new, settled = after_change(
                    intent,
                    authorisation.state,
                    authorisation.masked_pan,
                    authorisation.approval_code,
                    at,
                )
                if new != intent:
                    uow.card_payments.save(new)
                if settled:
                    uow.record(settled_event(new, uow.till_number))
                    recorded += 1
                    log.info(
                        "stored card payment settled",
                        receipt=new.receipt_number,
                        state=new.state.value,
                    )
            uow.card_payments.save_changes_through(through)
            uow.commit()
        return recorded


def _answered(intent: CardIntent, answer: CardAuthorisation) -> CardIntent:
    """The intent as the device answered it; the device's amount and card type stand."""
    return replace(intent, amount=answer.amount, card_type=answer.card_type).answered(
        answer.state, answer.masked_pan, answer.approval_code
    )
