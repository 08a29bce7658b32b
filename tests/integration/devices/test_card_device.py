"""The card-payment device (R2.5) as a till meets it: a real ``autonom card-device`` process
with its own SQLite file, driven through the till's adapter (``HttpCardDevice``). Online it
approves; with its bank link cut it stores payments within its policy and forwards them,
in order, when the link returns; it survives SIGKILL with every stored payment; and a
device that does not answer never holds the till for more than about two seconds."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from autonom.devices import CardAuthorisation, HttpCardDevice
from autonom.domain import Refusal
from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.errors import (
    CARD_DECLINED,
    CARD_DEVICE_UNAVAILABLE,
    CARD_TYPE_OFFLINE,
    DEVICE_NOT_HERE,
    INVALID_INPUT,
    MALFORMED_JSON,
    NOT_FOUND,
    OFFLINE_CAP_REACHED,
    PAYMENT_ID_REUSED,
)
from tests.integration.till.conftest import restart, wait_for
from tests.support.escpos_printer import silent_printer
from tests.support.processes import Part, card_device_part, free_port

pytestmark = pytest.mark.e2e

TILL = 10
OTHER_TILL = 11
VISA = "4111111111111111"
VISA_DECLINED = "4000000000000002"  # the emulated bank declines every card ending in 0002
MASTERCARD = "5555555555554444"
MAESTRO = "6759649826438453"
UNAVAILABLE_WITHIN_S = 2.0


@contextmanager
def running(part: Part) -> Iterator[Part]:
    part.start()
    try:
        yield part
    finally:
        part.stop()


@contextmanager
def card_device(
    tmp_path: Path, *, bank_link: str = "up", options: tuple[str, ...] = ()
) -> Iterator[tuple[Part, HttpCardDevice]]:
    """A device process driven by till 10, and the till's adapter to it."""
    with running(
        card_device_part(tmp_path, driven_by=TILL, bank_link=bank_link, options=options)
    ) as part:
        adapter = HttpCardDevice(part.url)
        try:
            yield part, adapter
        finally:
            adapter.close()


def set_bank_link(device: Part, *, up: bool) -> None:
    """The emulator's own control: cut or restore its bank link."""
    answer = httpx.put(f"{device.url}/control/bank-link", json={"up": up}, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["bank_link"] == ("up" if up else "down")


def pay(
    adapter: HttpCardDevice,
    amount: str = "12.50",
    card_number: str = VISA,
    card_type: CardType = CardType.VISA,
    *,
    till: int = TILL,
) -> CardAuthorisation:
    return adapter.pay(uuid.uuid4(), till, Decimal(amount), card_type, card_number)


def refusal_of(call: Callable[[], object]) -> Refusal:
    """The refusal ``call`` raises (it must raise one)."""
    with pytest.raises(Refusal) as refused:
        call()
    return refused.value


def test_a_card_payment_online_is_approved_with_an_approval_code(tmp_path: Path) -> None:
    with card_device(tmp_path) as (_, adapter):
        payment_id = uuid.uuid4()
        approved = adapter.pay(payment_id, TILL, Decimal("12.50"), CardType.VISA, VISA)
        asked = adapter.result(payment_id)
        status = adapter.status()

    assert approved.payment_id == payment_id
    assert approved.state is CardPaymentState.APPROVED
    assert approved.final
    assert approved.approval_code is not None
    assert len(approved.approval_code) == 6
    assert approved.amount == Decimal("12.50")
    assert approved.masked_pan == "************1111"
    assert approved.forwarded_at is None
    assert asked == approved
    assert status.bank_link_up
    assert status.stored_count == 0


def test_the_bank_declines_a_card_online_and_says_so_again_on_a_retry(tmp_path: Path) -> None:
    with card_device(tmp_path) as (_, adapter):
        payment_id = uuid.uuid4()
        first = refusal_of(
            lambda: adapter.pay(payment_id, TILL, Decimal("9.00"), CardType.VISA, VISA_DECLINED)
        )
        again = refusal_of(
            lambda: adapter.pay(payment_id, TILL, Decimal("9.00"), CardType.VISA, VISA_DECLINED)
        )
        held = adapter.result(payment_id)

    assert first.code == again.code == CARD_DECLINED
    assert "************0002" in first.message
    assert held.state is CardPaymentState.DECLINED
    assert held.final
    assert held.approval_code is None


def test_a_retried_payment_is_charged_once_even_when_the_retries_race(tmp_path: Path) -> None:
    with card_device(tmp_path) as (_, adapter):
        payment_id = uuid.uuid4()
        answers: list[CardAuthorisation] = []

        def retry() -> None:
            answers.append(adapter.pay(payment_id, TILL, Decimal("30.00"), CardType.VISA, VISA))

        retries = [threading.Thread(target=retry) for _ in range(8)]
        for thread in retries:
            thread.start()
        for thread in retries:
            thread.join(timeout=30)
        again = adapter.pay(payment_id, TILL, Decimal("30.00"), CardType.VISA, VISA)
        other = refusal_of(
            lambda: adapter.pay(payment_id, TILL, Decimal("31.00"), CardType.VISA, VISA)
        )
        changes = adapter.changed_since(TILL)

    assert len(answers) == 8
    assert {a.approval_code for a in answers} == {again.approval_code}, "one charge, one code"
    assert [a.payment_id for a in changes.authorisations] == [payment_id]
    assert other.code == PAYMENT_ID_REUSED
    assert other.status == 409


def test_with_the_bank_link_down_a_payment_is_stored_and_counted(tmp_path: Path) -> None:
    with card_device(tmp_path, bank_link="down") as (_, adapter):
        stored = pay(adapter, "20.00", MASTERCARD, CardType.MASTERCARD)
        retried = adapter.pay(
            stored.payment_id, TILL, Decimal("20.00"), CardType.MASTERCARD, MASTERCARD
        )
        pay(adapter, "5.50")
        status = adapter.status()

    assert stored.state is CardPaymentState.STORED
    assert not stored.final
    assert stored.approval_code is None
    assert stored.masked_pan == "************4444"
    assert retried == stored
    assert not status.bank_link_up
    assert status.stored_count == 2, "a retry is not stored twice"
    assert status.stored_total == Decimal("25.50")


def test_when_the_count_cap_is_reached_nothing_more_is_stored(tmp_path: Path) -> None:
    with card_device(tmp_path, bank_link="down", options=("--max-count", "3")) as (_, adapter):
        for _ in range(3):
            pay(adapter, "10.00")
        payment_id = uuid.uuid4()
        refused = refusal_of(
            lambda: adapter.pay(payment_id, TILL, Decimal("1.00"), CardType.VISA, VISA)
        )
        not_held = refusal_of(lambda: adapter.result(payment_id))
        status = adapter.status()

    assert refused.code == OFFLINE_CAP_REACHED
    assert refused.status == 409
    assert refused.detail == {"cap": "count"}
    assert not_held.code == NOT_FOUND
    assert status.stored_count == 3
    assert status.stored_total == Decimal("30.00")


def test_above_the_offline_amount_or_total_a_payment_is_refused(tmp_path: Path) -> None:
    options = ("--max-amount", "50.00", "--max-total", "80.00")
    with card_device(tmp_path, bank_link="down", options=options) as (_, adapter):
        too_much = refusal_of(lambda: pay(adapter, "50.01"))
        pay(adapter, "50.00")
        over_total = refusal_of(lambda: pay(adapter, "30.01"))
        pay(adapter, "30.00")
        status = adapter.status()

    assert (too_much.code, too_much.detail) == (OFFLINE_CAP_REACHED, {"cap": "amount"})
    assert (over_total.code, over_total.detail) == (OFFLINE_CAP_REACHED, {"cap": "total"})
    assert status.stored_count == 2
    assert status.stored_total == Decimal("80.00")
    assert status.policy.max_total == Decimal("80.00")


@pytest.mark.parametrize(
    ("card_type", "card_number"),
    [(CardType.MAESTRO, MAESTRO), (CardType.VISA_ELECTRON, VISA)],
)
def test_maestro_and_visa_electron_are_refused_offline_but_paid_online(
    tmp_path: Path, card_type: CardType, card_number: str
) -> None:
    with card_device(tmp_path, bank_link="down") as (device, adapter):
        refused = refusal_of(lambda: pay(adapter, "8.00", card_number, card_type))
        offline = adapter.status()
        set_bank_link(device, up=True)
        online = pay(adapter, "8.00", card_number, card_type)

    assert refused.code == CARD_TYPE_OFFLINE
    assert refused.status == 409
    assert offline.stored_count == 0
    assert online.state is CardPaymentState.APPROVED


def test_a_device_is_only_reachable_from_the_till_that_drives_it(tmp_path: Path) -> None:
    with card_device(tmp_path) as (_, adapter):
        paid = refusal_of(lambda: pay(adapter, "4.00", VISA, CardType.VISA, till=OTHER_TILL))
        listed = refusal_of(lambda: adapter.changed_since(OTHER_TILL))
        status = adapter.status()

    for refused in (paid, listed):
        assert refused.code == DEVICE_NOT_HERE
        assert refused.status == 403
        assert refused.detail == {"driven_by": TILL}
    assert status.driven_by == TILL
    assert status.stored_count == 0


def test_stored_payments_are_forwarded_in_order_when_the_bank_link_returns(
    tmp_path: Path,
) -> None:
    with card_device(tmp_path, bank_link="down") as (device, adapter):
        online_before = adapter.changed_since(TILL)
        first = pay(adapter, "11.00")
        declined = pay(adapter, "12.00", VISA_DECLINED)
        last = pay(adapter, "13.00", MASTERCARD, CardType.MASTERCARD)
        seen = adapter.changed_since(TILL, online_before.through)
        assert [a.state for a in seen.authorisations] == [CardPaymentState.STORED] * 3

        set_bank_link(device, up=True)
        results = wait_for(
            lambda: (
                (c := adapter.changed_since(TILL, seen.through)).authorisations
                and len(c.authorisations) == 3
                and c
            ),
            seconds=10,
            what="the final results of three forwarded payments",
        )
        asked = [adapter.result(p.payment_id) for p in (first, declined, last)]
        nothing_new = adapter.changed_since(TILL, results.through)
        status = adapter.status()

    forwarded = results.authorisations
    assert [a.payment_id for a in forwarded] == [
        first.payment_id,
        declined.payment_id,
        last.payment_id,
    ]
    assert [a.state for a in forwarded] == [
        CardPaymentState.APPROVED,
        CardPaymentState.DECLINED,
        CardPaymentState.APPROVED,
    ]
    assert all(a.final and a.forwarded_at is not None for a in forwarded)
    assert forwarded[0].approval_code is not None
    assert forwarded[1].approval_code is None
    assert asked == list(forwarded)
    assert nothing_new.authorisations == ()
    assert status.stored_count == 0
    assert status.stored_total == Decimal("0.00")


def test_stored_payments_survive_a_sigkill_of_the_device(tmp_path: Path) -> None:
    with card_device(tmp_path, bank_link="down") as (device, adapter):
        stored = [pay(adapter, f"{n}.00") for n in range(1, 6)]
        device.kill()  # no chance to clean up: a power cut
        device = restart(device)  # started again with its bank link down
        try:
            after_restart = adapter.status()
            held = [adapter.result(p.payment_id) for p in stored]
            set_bank_link(device, up=True)
            final = wait_for(
                lambda: all(adapter.result(p.payment_id).final for p in stored) and stored,
                seconds=10,
                what="the forwarding of the payments stored before the kill",
            )
            results = [adapter.result(p.payment_id) for p in final]
        finally:
            device.stop()

    assert after_restart.stored_count == 5
    assert after_restart.stored_total == Decimal("15.00")
    assert held == stored
    assert all(r.state is CardPaymentState.APPROVED for r in results)


def test_a_device_where_nothing_listens_is_unavailable_at_once() -> None:
    adapter = HttpCardDevice(f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    refused = refusal_of(lambda: pay(adapter))
    took = time.monotonic() - started
    adapter.close()

    assert refused.code == CARD_DEVICE_UNAVAILABLE
    assert refused.status == 503
    assert refused.detail is not None
    assert "payment_id" in refused.detail
    assert took < UNAVAILABLE_WITHIN_S


@contextmanager
def mute_device() -> Iterator[int]:
    """A port that accepts every connection and never says a word; yields the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    port: int = listener.getsockname()[1]
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    acceptor = threading.Thread(target=accept)
    acceptor.start()
    try:
        yield port
    finally:
        stop.set()
        acceptor.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.parametrize(
    "silence", [mute_device, silent_printer], ids=["answers-nothing", "connect-hangs"]
)
def test_a_device_that_never_answers_is_unavailable_within_two_seconds(silence: object) -> None:
    assert callable(silence)
    with silence() as port:
        adapter = HttpCardDevice(f"http://127.0.0.1:{port}")
        for call in (lambda: pay(adapter), adapter.status):
            started = time.monotonic()
            refused = refusal_of(call)
            took = time.monotonic() - started
            assert refused.code == CARD_DEVICE_UNAVAILABLE
            assert took < UNAVAILABLE_WITHIN_S, f"the till waited {took:.1f} s"
        adapter.close()


def test_bad_input_is_answered_4xx_with_a_code_and_stores_nothing(tmp_path: Path) -> None:
    good = {
        "payment_id": str(uuid.uuid4()),
        "till_number": TILL,
        "amount": "12.50",
        "card_type": "visa",
        "card_number": VISA,
    }
    broken: list[dict[str, object]] = [
        {**good, "amount": 12.5},
        {**good, "amount": "1e3"},
        {**good, "amount": "0.00"},
        {**good, "amount": "-5.00"},
        {**good, "amount": "12.505"},
        {**good, "amount": "100000.00"},
        {**good, "card_number": "4111111111111112"},
        {**good, "card_number": "4111-1111-1111-1111"},
        {**good, "card_number": "4" * 4000},
        {**good, "card_type": "diners"},
        {**good, "payment_id": "not-a-uuid"},
        {**good, "till_number": "10"},
        {**good, "till_number": True},
        {**good, "till_number": 0},
        {**good, "till_number": 2**63},
        {**good, "tip": "1.00"},
        {k: v for k, v in good.items() if k != "card_number"},
    ]
    with (
        card_device(tmp_path, bank_link="down") as (device, adapter),
        httpx.Client(base_url=device.url, timeout=5) as http,
    ):
        answers = [http.post("/payments", json=body) for body in broken]
        answers.append(
            http.post(
                "/payments", content=b"{not json", headers={"Content-Type": "application/json"}
            )
        )
        answers.append(http.get("/payments/not-a-uuid"))
        answers.append(http.get("/payments", params={"till_number": "ten"}))
        answers.append(http.get("/payments", params={"till_number": TILL, "after": -1}))
        answers.append(http.put("/control/bank-link", json={"up": "yes"}))
        answers.append(http.delete("/status"))
        answers.append(http.get("/nowhere"))
        status = adapter.status()
        changes = adapter.changed_since(TILL)

    for answer in answers:
        assert 400 <= answer.status_code < 500, (answer.request.url, answer.text)
        body = answer.json()
        assert body["code"], body
        assert body["message"], body
    codes = [a.json()["code"] for a in answers]
    assert codes[: len(broken)] == [INVALID_INPUT] * len(broken)
    assert codes[len(broken)] == MALFORMED_JSON
    assert "card_number" in answers[6].json()["message"]
    assert not status.bank_link_up, "a bad control request changes nothing"
    assert status.stored_count == 0
    assert changes.authorisations == ()
