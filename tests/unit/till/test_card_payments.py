"""Card payments in the till's service layer (R2.5), on a real SQLite file with the card
device in memory (``FakeCardDevice``: the emulator's rules in a few lines; the real
process is in tests/integration). A card is charged only for a ticket that can be closed,
never twice; a refused card leaves the ticket open and payable in cash; a charged card
always ends on a receipt; the bank's verdict on a stored payment is logged once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from autonom.devices.card_device import CardAuthorisation, CardChanges, CardDeviceState
from autonom.domain import PaymentMethod, Refusal, TicketStatus
from autonom.domain.card import CardPaymentState, CardType, OfflinePolicy, mask_pan
from autonom.domain.errors import (
    BAD_CARD,
    CARD_DECLINED,
    CARD_DEVICE_UNAVAILABLE,
    CARD_OVERPAID,
    CARD_PAYMENT_PENDING,
    CARD_TYPE_OFFLINE,
    DEVICE_NOT_HERE,
    NOT_FOUND,
    OUTAGE_UNDECIDED,
)
from autonom.till.bootstrap import Till, TillSettings, bootstrap
from autonom.till.domain import Health, Reason, Verdict
from autonom.till.domain.capabilities import Backend, Function, Level
from autonom.till.domain.card_payments import IntentState
from autonom.till.service_layer.commands import PresentedCard, Tendered
from autonom.till.service_layer.snapshot import refresh_master_data
from tests.unit.till.conftest import ANNA, TILL, CafeServer

VISA = PresentedCard("visa", "4111111111111111")
DECLINED_VISA = PresentedCard("visa", "4000000000000002")
MAESTRO = PresentedCard("maestro", "6759649826438453")
CARD = [Tendered(PaymentMethod.CARD)]
CASH = [Tendered(PaymentMethod.CASH)]
FORWARDED_AT = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _unavailable(payment_id: UUID | None = None) -> Refusal:
    return Refusal(CARD_DEVICE_UNAVAILABLE, "The card device does not answer.", 503)


@dataclass
class FakeCardDevice:
    """The card device in memory, with the emulator's rules: driven by one till, the bank
    declines cards ending in 0002, the offline policy while the bank link is down, the
    same payment_id answered again. ``answers=False``: nothing listens; ``loses_answer``:
    it takes the payment, but the answer never reaches the till."""

    driven_by: int = TILL
    bank_link_up: bool = True
    policy: OfflinePolicy = field(default_factory=OfflinePolicy)
    answers: bool = True
    loses_answer: bool = False
    payments: dict[UUID, CardAuthorisation] = field(default_factory=dict)
    changes: list[tuple[int, UUID]] = field(default_factory=list)
    asked: list[UUID] = field(default_factory=list)

    def pay(
        self,
        payment_id: UUID,
        till_number: int,
        amount: Decimal,
        card_type: CardType,
        card_number: str,
    ) -> CardAuthorisation:
        self.asked.append(payment_id)
        if not self.answers:
            raise _unavailable(payment_id)
        if till_number != self.driven_by:
            raise Refusal(DEVICE_NOT_HERE, "Driven by another till.", 403)
        held = self.payments.get(payment_id)
        if held is None:
            if self.bank_link_up:
                state = self._verdict(card_number)
            else:
                stored = [p for p in self.payments.values() if p.state is CardPaymentState.STORED]
                refusal = self.policy.refusal(
                    card_type,
                    amount,
                    stored_count=len(stored),
                    stored_total=sum((p.amount for p in stored), Decimal(0)),
                )
                if refusal is not None:
                    raise refusal
                state = CardPaymentState.STORED
            held = self._keep(
                CardAuthorisation(
                    payment_id=payment_id,
                    state=state,
                    card_type=card_type,
                    masked_pan=mask_pan(card_number),
                    approval_code="123456" if state is CardPaymentState.APPROVED else None,
                    amount=amount,
                )
            )
        if self.loses_answer:
            raise _unavailable(payment_id)
        if held.state is CardPaymentState.DECLINED:
            detail = {"payment_id": str(payment_id), "masked_pan": held.masked_pan}
            raise Refusal(CARD_DECLINED, "The bank declined the card.", 409, detail=detail)
        return held

    def result(self, payment_id: UUID) -> CardAuthorisation:
        if not self.answers:
            raise _unavailable(payment_id)
        if payment_id not in self.payments:
            raise Refusal(NOT_FOUND, "No such payment.", 404)
        return self.payments[payment_id]

    def changed_since(self, till_number: int, after: int = 0) -> CardChanges:
        if not self.answers:
            raise _unavailable()
        newer = [(n, p) for n, p in self.changes if n > after]
        last = {p: n for n, p in newer}
        ordered = sorted(last.items(), key=lambda item: item[1])
        through = newer[-1][0] if newer else len(self.changes)
        return CardChanges(tuple(self.payments[p] for p, _ in ordered), through)

    def status(self) -> CardDeviceState:
        if not self.answers:
            raise _unavailable()
        stored = [p for p in self.payments.values() if p.state is CardPaymentState.STORED]
        return CardDeviceState(
            driven_by=self.driven_by,
            bank_link_up=self.bank_link_up,
            stored_count=len(stored),
            stored_total=sum((p.amount for p in stored), Decimal(0)),
            policy=self.policy,
        )

    def close(self) -> None:
        pass

    def forward(self) -> None:
        """The bank link is back: every stored payment gets the bank's verdict."""
        self.bank_link_up = True
        for held in list(self.payments.values()):
            if held.state is CardPaymentState.STORED:
                state = self._verdict(held.masked_pan)
                approval = "654321" if state is CardPaymentState.APPROVED else None
                self._keep(
                    replace(held, state=state, approval_code=approval, forwarded_at=FORWARDED_AT)
                )

    @staticmethod
    def _verdict(card_number: str) -> CardPaymentState:
        declined = card_number.endswith("0002")
        return CardPaymentState.DECLINED if declined else CardPaymentState.APPROVED

    def _keep(self, held: CardAuthorisation) -> CardAuthorisation:
        self.payments[held.payment_id] = held
        self.changes.append((len(self.changes) + 1, held.payment_id))
        return held


@pytest.fixture
def device() -> FakeCardDevice:
    return FakeCardDevice()


@pytest.fixture
def till(tmp_path: Path, device: FakeCardDevice) -> Iterator[Till]:
    """Till 10 wired as in production (threads not started), its card device in memory."""
    settings = TillSettings(
        number=TILL, server_url="http://127.0.0.1:9", data_dir=tmp_path / "till", printer="none"
    )
    running = bootstrap(settings)
    refresh_master_data(running.unit_of_work(), CafeServer())
    running.card_payments.device = device
    yield running
    running.stop()


def espresso(till: Till) -> str:
    """An open counter ticket of one espresso (2.40)."""
    ticket = till.selling.open_ticket(ANNA, None)
    till.selling.book(ANNA, ticket.ticket_id, "100", 1)
    return ticket.ticket_id


def refusal_of(call: object) -> Refusal:
    assert callable(call)
    with pytest.raises(Refusal) as refused:
        call()
    return refused.value


def logged(till: Till) -> list[str]:
    """The kinds of the operations in the till's log, in order."""
    return [row[0] for row in till.store.conn.execute("SELECT kind FROM outbox ORDER BY seq")]


def test_an_approved_card_closes_the_ticket_with_its_slip_and_the_intent_on_the_receipt(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)

    closed = till.selling.pay(ANNA, ticket_id, CARD, card=VISA)

    [payment] = closed.receipt.payments
    assert payment.method is PaymentMethod.CARD
    assert payment.amount == Decimal("2.40")
    assert payment.card is not None
    assert payment.card.state is CardPaymentState.APPROVED
    assert payment.card.approval_code == "123456"
    assert payment.card.masked_pan == "************1111"
    [intent] = till.card_payments.payments()
    assert intent.payment_id == payment.card.payment_id == str(device.asked[0])
    assert (intent.state, intent.receipt_number) == (IntentState.APPROVED, closed.receipt.number)
    assert not intent.unfinished
    assert "  Approval code 123456" in till.selling.receipt_lines(closed.receipt)
    assert logged(till)[-1] == "ticket_closed"


@pytest.mark.parametrize(
    ("card", "bank_link_up", "code"),
    [
        (MAESTRO, False, CARD_TYPE_OFFLINE),
        (DECLINED_VISA, True, CARD_DECLINED),
    ],
)
def test_a_refused_card_leaves_the_ticket_open_and_payable_in_cash(
    till: Till, device: FakeCardDevice, card: PresentedCard, bank_link_up: bool, code: str
) -> None:
    device.bank_link_up = bank_link_up
    ticket_id = espresso(till)

    refused = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=card))
    still_open = till.selling.ticket(ticket_id)
    paid = till.selling.pay(ANNA, ticket_id, CASH)

    assert refused.code == code
    assert still_open.status is TicketStatus.OPEN
    assert [p.method for p in paid.receipt.payments] == [PaymentMethod.CASH]
    [intent] = till.card_payments.payments()
    assert intent.state in (IntentState.REFUSED, IntentState.DECLINED)
    assert intent.receipt_number is None


def test_a_device_that_loses_its_answer_is_asked_again_with_the_same_id_and_charges_once(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)
    device.loses_answer = True

    unknown = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=VISA))
    [pending] = till.card_payments.payments()
    device.loses_answer = False
    closed = till.selling.pay(ANNA, ticket_id, CARD, card=VISA)

    assert unknown.code == CARD_DEVICE_UNAVAILABLE
    assert "will not be charged twice" in unknown.message
    assert pending.state is IntentState.UNKNOWN
    assert device.asked == [device.asked[0]] * 2  # the same payment_id both times
    assert len(device.payments) == 1
    [payment] = closed.receipt.payments
    assert payment.card is not None
    assert payment.card.payment_id == pending.payment_id


def test_a_ticket_whose_card_may_be_charged_is_not_paid_in_cash_until_the_device_says(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)
    device.loses_answer = True
    refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=VISA))  # taken, unanswered
    device.loses_answer = False
    device.answers = False

    silent = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CASH))
    device.answers = True
    charged = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CASH))
    finished = till.selling.pay(ANNA, ticket_id, CARD)  # no card needed: it was charged

    assert silent.code == CARD_DEVICE_UNAVAILABLE
    assert charged.code == CARD_PAYMENT_PENDING
    assert "Card approved, finish the receipt" in charged.message
    assert [p.method for p in finished.receipt.payments] == [PaymentMethod.CARD]
    assert len(device.payments) == 1


def test_a_card_payment_the_device_never_took_lets_the_ticket_be_paid_in_cash(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)
    device.answers = False
    refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=VISA))  # nothing listens
    device.answers = True

    paid = till.selling.pay(ANNA, ticket_id, CASH)

    assert [p.method for p in paid.receipt.payments] == [PaymentMethod.CASH]
    [intent] = till.card_payments.payments()
    assert intent.state is IntentState.VOID
    assert device.payments == {}


def test_a_close_that_would_be_refused_refuses_before_the_card_is_charged(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)
    till.modes.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), 100.0)  # outage, undecided

    undecided = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=VISA))
    overpaid = refusal_of(
        lambda: till.selling.pay(ANNA, ticket_id, [Tendered(PaymentMethod.CARD, "9")], card=VISA)
    )

    assert undecided.code == OUTAGE_UNDECIDED
    assert overpaid.code == CARD_OVERPAID  # checked before the mode: the ticket's own rule
    assert device.asked == []
    assert till.card_payments.payments() == []


def test_a_card_with_a_wrong_number_is_refused_before_the_device_is_asked(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)

    wrong = refusal_of(
        lambda: till.selling.pay(
            ANNA, ticket_id, CARD, card=PresentedCard("visa", "4111111111111112")
        )
    )
    missing = refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD))

    assert wrong.code == missing.code == BAD_CARD
    assert device.asked == []
    assert till.card_payments.payments() == []


def test_after_a_crash_a_payment_the_device_took_is_finished_on_a_receipt(
    till: Till, device: FakeCardDevice
) -> None:
    ticket_id = espresso(till)
    device.loses_answer = True  # the till "crashes" before the answer reaches it
    refusal_of(lambda: till.selling.pay(ANNA, ticket_id, CARD, card=VISA))
    till.store.conn.execute("UPDATE card_payments SET state = 'requested'")  # as a crash leaves
    device.loses_answer = False

    till.card_payments.poll_once(left_over=True)  # the first round after the restart
    [resolved] = till.card_payments.payments()
    finished = till.selling.pay(ANNA, ticket_id, CARD)

    assert (resolved.state, resolved.receipt_number) == (IntentState.APPROVED, None)
    assert resolved.charged_without_receipt
    assert till.card_payments.unfinished(ticket_id) is None
    assert finished.receipt.payments[0].card is not None
    assert len(device.asked) == 1  # resolved by asking, not by paying again


def test_the_banks_verdicts_on_stored_payments_are_logged_once_with_their_receipts(
    till: Till, device: FakeCardDevice
) -> None:
    device.bank_link_up = False
    approved_later = till.selling.pay(ANNA, espresso(till), CARD, card=VISA).receipt
    declined_later = till.selling.pay(ANNA, espresso(till), CARD, card=DECLINED_VISA).receipt
    offline = till.card_payments.poll_once()
    view = till.card_payments.device_view()

    device.forward()
    recorded = till.card_payments.poll_once()
    again = till.card_payments.poll_once()
    states = {p.receipt_number: p for p in till.card_payments.payments()}
    events = [
        e
        for e in (till.store.conn.execute("SELECT event FROM outbox ORDER BY seq").fetchall())
        if "card_payment_settled" in e[0]
    ]

    assert approved_later.payments[0].card is not None
    assert approved_later.payments[0].card.state is CardPaymentState.STORED
    assert "  Stored offline - result pending" in till.selling.receipt_lines(approved_later)
    assert offline == 0
    assert view.bank_link_up is False
    assert view.offline_room == 248
    assert view.availability.level is Level.LIMITED
    assert (recorded, again) == (2, 0)
    assert len(events) == 2
    assert states[approved_later.number].state is IntentState.APPROVED
    assert states[approved_later.number].approval_code == "654321"
    assert states[approved_later.number].settled_at == FORWARDED_AT
    assert states[declined_later.number].debt
    assert till.backends.down() == frozenset()
    assert till.card_payments.device_view().availability.level is Level.AVAILABLE


def test_the_bank_link_down_makes_card_payments_limited_in_the_capability_matrix(
    till: Till, device: FakeCardDevice
) -> None:
    device.bank_link_up = False
    till.card_payments.poll_once()

    assert till.backends.down() == frozenset({Backend.CARD_BANK})
    assert till.selling.capabilities.now(Function.CARD_PAYMENT).level is Level.LIMITED
