"""The emulated terminal's rules: a payment asked of it, its bank link, and the forwarding
of stored payments when the link returns (docs/card-device.md).

The terminal is driven by one till (``driven_by``); another till is refused
``DEVICE_NOT_HERE`` (R2.5: a device shared by several tills is only reachable from the
till that drives it). With its bank link up a payment is decided at once by the emulated
bank; with it down the offline policy (``autonom.domain.card.OfflinePolicy``) decides
whether it is stored, and a forwarder thread hands the stored payments to the bank, in
the order they came, as soon as the link is up again.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import structlog

from autonom.card_device.store import PaymentStore, StoredPayment
from autonom.domain import Refusal
from autonom.domain.card import CardPaymentState, CardType, OfflinePolicy, mask_pan
from autonom.domain.errors import DEVICE_NOT_HERE, NOT_FOUND, PAYMENT_ID_REUSED
from autonom.domain.money import round_cents

log = structlog.get_logger(__name__)

DECLINED_PAN_ENDING = "0002"  # the emulated bank's test rule: such cards are declined
MAX_CHANGES = 500  # payments in one answer of ``changed_after``
FORWARD_POLL_S = 0.2  # the forwarder also looks by itself this often (a missed wake-up)


def bank_verdict(masked_pan: str) -> CardPaymentState:
    """The emulated bank: a card number ending in 0002 is declined, every other approved
    (so tests and demos can produce a decline, online or after forwarding)."""
    if masked_pan.endswith(DECLINED_PAN_ENDING):
        return CardPaymentState.DECLINED
    return CardPaymentState.APPROVED


def _approval_code(state: CardPaymentState) -> str | None:
    return f"{secrets.randbelow(10**6):06d}" if state is CardPaymentState.APPROVED else None


@dataclass(frozen=True)
class CardDeviceSettings:
    data_dir: Path
    driven_by: int
    policy: OfflinePolicy = field(default_factory=OfflinePolicy)
    bank_link_up: bool = True


@dataclass(frozen=True)
class PaymentRequest:
    """A till's request to pay, as the device reads it."""

    payment_id: UUID
    till_number: int
    amount: Decimal
    card_type: CardType
    card_number: str


@dataclass(frozen=True)
class TerminalStatus:
    driven_by: int
    bank_link_up: bool
    stored_count: int
    stored_total: Decimal
    policy: OfflinePolicy


class Terminal:
    """One emulated card terminal on its store; safe to call from many threads."""

    def __init__(
        self,
        settings: CardDeviceSettings,
        store: PaymentStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.driven_by = settings.driven_by
        self.policy = settings.policy
        self._store = store
        self._clock = clock
        self._bank_link_up = threading.Event()
        if settings.bank_link_up:
            self._bank_link_up.set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._forwarder: threading.Thread | None = None

    # -- the till's requests ------------------------------------------------------------

    def pay(self, request: PaymentRequest) -> StoredPayment:
        """Decide a payment, or answer the one held under its ``payment_id`` again."""
        self._check_driver(request.till_number)
        amount = round_cents(request.amount)
        masked_pan = mask_pan(request.card_number)
        with self._store.transaction() as payments:
            held = payments.find(request.payment_id)
            if held is not None:
                if (held.till_number, held.amount, held.card_type, held.masked_pan) != (
                    request.till_number,
                    amount,
                    request.card_type,
                    masked_pan,
                ):
                    raise Refusal(
                        PAYMENT_ID_REUSED,
                        f"Payment {request.payment_id} was made already with other details; "
                        "a new payment needs a new id.",
                        409,
                        detail={"payment_id": str(request.payment_id)},
                    )
                return held
            if self._bank_link_up.is_set():
                state = bank_verdict(masked_pan)
            else:
                count, total = payments.stored()
                refusal = self.policy.refusal(
                    request.card_type, amount, stored_count=count, stored_total=total
                )
                if refusal is not None:
                    log.info("offline payment refused", code=refusal.code, amount=str(amount))
                    raise refusal
                state = CardPaymentState.STORED
            payment = payments.add(
                payment_id=request.payment_id,
                till_number=request.till_number,
                amount=amount,
                card_type=request.card_type,
                masked_pan=masked_pan,
                state=state,
                approval_code=_approval_code(state),
                received_at=self._clock(),
            )
        log.info("card payment", state=state.value, amount=str(amount), pan=masked_pan)
        return payment

    def payment(self, payment_id: UUID) -> StoredPayment:
        with self._store.reading() as payments:
            held = payments.find(payment_id)
        if held is None:
            raise Refusal(NOT_FOUND, f"This card device holds no payment {payment_id}.", 404)
        return held

    def changed_after(self, till_number: int, after: int) -> tuple[list[StoredPayment], int]:
        """The till's payments whose state changed after change number ``after`` (at most
        ``MAX_CHANGES``, oldest change first), and the change number to ask after next."""
        self._check_driver(till_number)
        with self._store.reading() as payments:
            changed = payments.changed_after(till_number, after, MAX_CHANGES)
            through = changed[-1].change if changed else payments.last_change()
        return changed, through

    def status(self) -> TerminalStatus:
        with self._store.reading() as payments:
            count, total = payments.stored()
        return TerminalStatus(
            driven_by=self.driven_by,
            bank_link_up=self._bank_link_up.is_set(),
            stored_count=count,
            stored_total=total,
            policy=self.policy,
        )

    # -- the emulator's control ----------------------------------------------------------

    def set_bank_link(self, up: bool) -> TerminalStatus:
        """Cut or restore the emulated bank link; restoring it starts the forwarding."""
        if up:
            self._bank_link_up.set()
            self._wake.set()
        else:
            self._bank_link_up.clear()
        log.info("bank link", up=up)
        return self.status()

    # -- forwarding ------------------------------------------------------------------------

    def start(self) -> None:
        self._forwarder = threading.Thread(
            target=self._forward_forever, name="card-forwarder", daemon=True
        )
        self._forwarder.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._forwarder is not None:
            self._forwarder.join(timeout=5)

    def forward_stored(self) -> int:
        """Hand the stored payments to the bank, oldest first, while the link is up; each
        gets its final result in its own transaction. The number forwarded."""
        forwarded = 0
        while self._bank_link_up.is_set() and not self._stopping.is_set():
            with self._store.transaction() as payments:
                stored = payments.next_to_forward()
                if stored is None:
                    break
                state = bank_verdict(stored.masked_pan)
                payments.record_verdict(
                    stored.payment_id, state, _approval_code(state), self._clock()
                )
            log.info("stored payment forwarded", state=state.value, pan=stored.masked_pan)
            forwarded += 1
        return forwarded

    def _forward_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                self.forward_stored()
            except Exception:  # the forwarder must outlive one bad moment of its store
                log.exception("forwarding failed; trying again")
            self._wake.wait(FORWARD_POLL_S)
            self._wake.clear()

    def _check_driver(self, till_number: int) -> None:
        if till_number != self.driven_by:
            raise Refusal(
                DEVICE_NOT_HERE,
                f"This card device is driven by till {self.driven_by}, not till {till_number}; "
                "pay at that till or with another device.",
                403,
                detail={"driven_by": self.driven_by},
            )
