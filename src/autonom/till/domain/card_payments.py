"""A card payment as the till keeps it (R2.5): the *intent* written before the card device
is asked, and what became of it. Pure: the device's answers and the time are handed in.

The rules that keep a card from being charged twice and a receipt from being half-written:

* the intent is written (``REQUESTED``) before the device is asked, with the ``payment_id``
  the device keys the payment by; the same id sent again is the same payment;
* a device that does not answer leaves the outcome ``UNKNOWN``: the next attempt on that
  ticket sends the same id again (``NextStep.SAME_ID``), never a new one;
* an intent the device approved or stored is closed into the receipt in the receipt's own
  transaction; if that close did not happen (a crash, a refusal) the intent is *charged
  without a receipt* and the next attempt finishes the receipt with it (``NextStep.FINISH``);
  no other payment of that ticket is taken meanwhile (``CARD_PAYMENT_PENDING``);
* a stored payment with a receipt waits for the bank; its verdict becomes a
  ``CardPaymentSettled`` document for the server (``after_change``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from autonom.domain import CardPaymentSettled, CardSlip, Refusal
from autonom.domain.card import CardPaymentState, CardType, OfflinePolicy, card_number_problem
from autonom.domain.errors import BAD_CARD, CARD_DEVICE_UNAVAILABLE, CARD_PAYMENT_PENDING


class IntentState(StrEnum):
    REQUESTED = "requested"  # written before the device is asked
    UNKNOWN = "unknown"  # the device did not answer: it may have taken the payment
    REFUSED = "refused"  # the device said no (card type offline, a cap, another till's device)
    VOID = "void"  # asked afterwards, the device holds no such payment: nothing was charged
    APPROVED = "approved"  # the bank approved it, at once or after forwarding
    STORED = "stored"  # accepted offline; the bank decides when the device forwards it
    DECLINED = "declined"  # the bank said no, at once or after forwarding

    @classmethod
    def of(cls, state: CardPaymentState) -> IntentState:
        """The intent's state for a state the device answered."""
        return cls(state.value)


# What the device answered, as the till says it to a person (the page, the receipt's block).
_WORDS = {
    IntentState.REQUESTED: "asked of the card device",
    IntentState.UNKNOWN: "the card device did not answer; the result is not known yet",
    IntentState.REFUSED: "refused by the card device; nothing was charged",
    IntentState.VOID: "never reached the card device; nothing was charged",
    IntentState.APPROVED: "approved",
    IntentState.STORED: "stored offline — result pending",
    IntentState.DECLINED: "declined by the bank",
}


class NextStep(StrEnum):
    """What a card payment on a ticket does, given the intent already there (if any)."""

    NEW = "new"  # ask the device for a new payment, with a new payment_id
    SAME_ID = "same_id"  # the last attempt's outcome is unknown: ask again with its payment_id
    FINISH = "finish"  # the device took it and no receipt has it yet: close with its slip


@dataclass(frozen=True)
class CardIntent:
    """One card payment of a ticket as the till keeps it (the ``card_payments`` row)."""

    payment_id: str
    ticket_id: str
    amount: Decimal
    card_type: CardType
    state: IntentState
    created_at: datetime
    masked_pan: str | None = None
    approval_code: str | None = None
    receipt_number: str | None = None
    stored_offline: bool = False  # the device stored it (the bank decided later, or will)
    refusal_code: str | None = None
    settled_at: datetime | None = None  # when the bank decided a stored payment

    @property
    def outcome_unknown(self) -> bool:
        """Asked, but no answer is known: the card may have been charged."""
        return self.state in (IntentState.REQUESTED, IntentState.UNKNOWN)

    @property
    def charged_without_receipt(self) -> bool:
        """The device approved or stored it, and no receipt carries it yet."""
        return (
            self.state in (IntentState.APPROVED, IntentState.STORED) and self.receipt_number is None
        )

    @property
    def unfinished(self) -> bool:
        """No other payment of the ticket may be taken until this one is resolved."""
        return self.outcome_unknown or self.charged_without_receipt

    @property
    def debt(self) -> bool:
        """Stored offline, on a receipt, and declined by the bank: money to collect."""
        return (
            self.state is IntentState.DECLINED
            and self.stored_offline
            and self.receipt_number is not None
        )

    @property
    def words(self) -> str:
        """The state as a person reads it."""
        if self.state is IntentState.APPROVED and self.approval_code:
            later = " after forwarding" if self.stored_offline else ""
            return f"approved{later} (approval code {self.approval_code})"
        if self.debt:
            return "stored offline, then declined by the bank — a debt for the store to collect"
        return _WORDS[self.state]

    def slip(self) -> CardSlip:
        """What the receipt carries of it; only for a payment the device approved or stored."""
        if self.state not in (IntentState.APPROVED, IntentState.STORED) or not self.masked_pan:
            raise ValueError(f"no slip for a card payment that is {self.state}")
        return CardSlip(
            payment_id=self.payment_id,
            card_type=self.card_type,
            masked_pan=self.masked_pan,
            state=CardPaymentState(self.state.value),
            approval_code=self.approval_code,
        )

    def answered(
        self, state: CardPaymentState, masked_pan: str, approval_code: str | None
    ) -> CardIntent:
        """The intent once the device answered ``state`` for it."""
        return replace(
            self,
            state=IntentState.of(state),
            masked_pan=masked_pan,
            approval_code=approval_code,
            stored_offline=self.stored_offline or state is CardPaymentState.STORED,
            refusal_code=None,
        )

    def on_receipt(self, slip: CardSlip, receipt_number: str) -> CardIntent:
        """The intent once the receipt ``receipt_number`` carries its ``slip``."""
        answered = self.answered(slip.state, slip.masked_pan, slip.approval_code)
        return replace(answered, receipt_number=receipt_number)


def next_step(existing: CardIntent | None) -> NextStep:
    """How the next card payment of a ticket starts, given its last unfinished intent."""
    if existing is None or not existing.unfinished:
        return NextStep.NEW
    if existing.charged_without_receipt:
        return NextStep.FINISH
    return NextStep.SAME_ID


def after_result(
    intent: CardIntent, found: tuple[CardPaymentState, str, str | None] | None
) -> CardIntent:
    """An intent whose outcome was unknown, once the device was asked about it: ``found``
    is its (state, masked_pan, approval_code), or None when the device holds no such
    payment — it was never charged."""
    if found is None:
        return replace(intent, state=IntentState.VOID)
    return intent.answered(*found)


def after_change(
    intent: CardIntent,
    state: CardPaymentState,
    masked_pan: str,
    approval_code: str | None,
    at: datetime,
) -> tuple[CardIntent, bool]:
    """The intent after the device reported a change of its payment (``changed_since``),
    and whether the bank's verdict on a stored payment with a receipt has come (then a
    ``CardPaymentSettled`` is recorded for it)."""
    if intent.receipt_number is not None:
        if intent.state is IntentState.STORED and state.final:
            settled = replace(
                intent, state=IntentState.of(state), approval_code=approval_code, settled_at=at
            )
            return settled, True
        return intent, False
    if intent.state in (IntentState.REFUSED, IntentState.DECLINED):
        return intent, False  # final already; the device holds nothing else for it
    return intent.answered(state, masked_pan, approval_code), False


def settled_event(intent: CardIntent, till_number: int) -> CardPaymentSettled:
    """The document the server gets for the bank's verdict on a stored payment."""
    if intent.receipt_number is None or intent.settled_at is None:
        raise ValueError("only a settled payment on a receipt is reported")
    return CardPaymentSettled(
        document_id=intent.payment_id,
        till_number=till_number,
        receipt_number=intent.receipt_number,
        amount=intent.amount,
        state=CardPaymentState(intent.state.value),
        settled_at=intent.settled_at,
    )


def pending_refusal(intent: CardIntent) -> Refusal:
    """Why no other payment of the ticket is taken while ``intent`` is unfinished."""
    detail = {
        "payment_id": intent.payment_id,
        "amount": str(intent.amount),
        "state": intent.state.value,
    }
    if intent.charged_without_receipt:
        card = f"{intent.card_type.label} {intent.masked_pan or ''}".strip()
        return Refusal(
            CARD_PAYMENT_PENDING,
            f"Card approved, finish the receipt: the card payment of {intent.amount} ({card}) "
            f"on this ticket was {intent.words} and is on no receipt yet. Pay by card again to "
            "finish the receipt with it; the card is not charged again.",
            409,
            detail=detail,
        )
    return Refusal(
        CARD_PAYMENT_PENDING,
        f"The card device has not answered for the card payment of {intent.amount} on this "
        "ticket yet; pay by card again once it answers — the card will not be charged twice.",
        409,
        detail=detail,
    )


def unavailable_refusal(payment_id: str) -> Refusal:
    """The device did not answer: the outcome is unknown and the intent keeps its id."""
    return Refusal(
        CARD_DEVICE_UNAVAILABLE,
        "The card device did not answer; try again — the card will not be charged twice.",
        503,
        detail={"payment_id": payment_id},
    )


def check_card(card_type: str, card_number: str) -> tuple[CardType, str]:
    """The card presented as the device needs it: a known type and a valid number
    (BAD_CARD). A real terminal reads both from the card; the emulator is told them."""
    try:
        known = CardType(card_type.strip().lower())
    except ValueError:
        types = ", ".join(t.value for t in CardType)
        raise Refusal(
            BAD_CARD, f"Choose the card's type ({types}).", 422, detail={"card_type": card_type}
        ) from None
    number = card_number.replace(" ", "").strip()
    problem = card_number_problem(number)
    if problem is not None:
        raise Refusal(BAD_CARD, f"Type the card's number again: {problem}.", 422)
    return known, number


def offline_room(policy: OfflinePolicy, stored_count: int) -> int:
    """How many more payments the device may store offline, by its count cap."""
    return max(0, policy.max_count - stored_count)
