"""The capability matrix (R2.4): functions that need the server are refused at once in
emergency mode with their code and reason, the others keep working; a backend that is down
refuses only the functions that need it; vouchers and admissions get their own numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from autonom.domain import Form, ReceiptNumber, Refusal, errors
from autonom.till.domain import Choice, Mode
from autonom.till.domain.capabilities import (
    MATRIX,
    Backend,
    Function,
    Level,
    Situation,
    decide,
    matrix_markdown,
)
from autonom.till.service_layer.capabilities import BackendBoard, Capabilities
from tests.unit.till.conftest import ANNA, CAFE
from tests.unit.till.fakes import FakeMasterData, FakeUnitOfWork
from tests.unit.till.test_handlers import DOWN, keeper, selling_on

DOCS = Path(__file__).parents[3] / "docs" / "capabilities.md"
SERVER_ONLY = {
    Function.INTEGRATED_PAYMENT,
    Function.VOUCHER_REDEEM,
    Function.CUSTOMER_ACCOUNT,
    Function.EVENT_TICKET,
    Function.ONLINE_ORDERS,
    Function.OPERATOR_SETTLEMENT,
}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(master=FakeMasterData(CAFE))


def test_live_everything_is_available() -> None:
    for function in Function:
        assert decide(function, {Situation.LIVE}).level is Level.AVAILABLE


def test_in_emergency_mode_exactly_the_server_functions_are_refused_each_with_a_reason() -> None:
    refused = {f for f in Function if decide(f, {Situation.EMERGENCY}).refused}
    assert refused == SERVER_ONLY
    for function in refused:
        found = decide(function, {Situation.EMERGENCY})
        assert found.code in (errors.FEATURE_OFFLINE, errors.EVENT_TICKET_OFFLINE)
        assert len(found.words) > 20
    # What keeps working offline but differs says how (R2.5, R2.6, R2.8).
    for function in (Function.VOUCHER_SELL, Function.ADMISSION_TICKET, Function.DAY_CLOSE):
        assert decide(function, {Situation.EMERGENCY}).level is Level.LIMITED
    assert decide(Function.CASH_PAYMENT, {Situation.EMERGENCY}).level is Level.AVAILABLE


def test_a_backend_down_refuses_only_the_functions_that_need_it() -> None:
    live = {Situation.LIVE}
    assert decide(Function.EVENT_TICKET, live, {Backend.TICKETING}).refused
    assert not decide(Function.VOUCHER_REDEEM, live, {Backend.TICKETING}).refused
    assert not decide(Function.ONLINE_ORDERS, live, {Backend.TICKETING}).refused
    card = decide(Function.CARD_PAYMENT, live, {Backend.CARD_BANK})
    assert card.level is Level.LIMITED
    assert "stored" in card.words


def test_when_several_situations_hold_the_refusal_wins_over_a_limit() -> None:
    both = {Situation.EMERGENCY, Situation.OPERATOR_UNREACHABLE}
    assert decide(Function.DAY_CLOSE, both).level is Level.LIMITED
    assert decide(Function.VOUCHER_REDEEM, both).refused
    assert decide(Function.INTEGRATED_PAYMENT, both, {Backend.PAYMENT_PROVIDER}).words == (
        MATRIX[Function.INTEGRATED_PAYMENT].cells[Situation.EMERGENCY].words
    )


def test_the_documented_matrix_is_the_matrix_of_the_code() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert matrix_markdown() in text, "regenerate with: autonom capabilities >> docs"


def test_the_till_refuses_a_server_function_at_once_in_emergency_mode_with_its_detail() -> None:
    modes = keeper()
    capabilities = Capabilities(modes, BackendBoard())
    assert capabilities.situations() == {Situation.LIVE}
    capabilities.require(Function.VOUCHER_REDEEM)

    modes.link_verdict(DOWN, 100.0)
    modes.choose(Choice.EMERGENCY)
    assert modes.state is Mode.EMERGENCY
    with pytest.raises(Refusal) as refused:
        capabilities.require(Function.VOUCHER_REDEEM)
    assert (refused.value.code, refused.value.status) == (errors.FEATURE_OFFLINE, 409)
    assert refused.value.detail == {"function": "voucher_redeem", "situations": ["emergency"]}
    assert capabilities.require(Function.VOUCHER_SELL).level is Level.LIMITED
    shown = {f.function: f.availability for f in capabilities.all_now()}
    assert [f for f, a in shown.items() if a.refused] == [f for f in MATRIX if f in SERVER_ONLY]


def test_a_backend_reported_down_by_one_source_stays_down_until_that_source_says_otherwise() -> (
    None
):
    board = BackendBoard()
    board.report("server", frozenset({Backend.TICKETING}))
    board.report("card_device", frozenset({Backend.CARD_BANK}))
    assert board.down() == {Backend.TICKETING, Backend.CARD_BANK}
    board.report("server", frozenset())
    assert board.down() == {Backend.CARD_BANK}


def test_vouchers_and_admissions_get_gapless_numbers_of_their_own_form_offline_too(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    modes.link_verdict(DOWN, 100.0)
    modes.choose(Choice.EMERGENCY)
    selling = selling_on(uow, modes)
    ticket = selling.open_ticket(ANNA, None)

    selling.book(ANNA, ticket.ticket_id, "900", 2)  # two gift vouchers
    after = selling.book(ANNA, ticket.ticket_id, "800", 3)  # three admissions

    numbers = [ReceiptNumber.parse(b.issued_number or "") for b in after.bookings]
    assert [(n.form, n.running) for n in numbers] == [
        (Form.VOUCHER, 1),
        (Form.VOUCHER, 2),
        (Form.ADMISSION, 1),
        (Form.ADMISSION, 2),
        (Form.ADMISSION, 3),
    ]
    assert all(b.quantity == 1 and b.offline for b in after.bookings)
    assert after.total == 2 * 20 + 3 * 12


def test_an_event_ticket_is_refused_offline_before_anything_is_written(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    selling = selling_on(uow, modes)
    ticket = selling.open_ticket(ANNA, None)
    modes.link_verdict(DOWN, 100.0)
    modes.choose(Choice.EMERGENCY)
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        selling.book(ANNA, ticket.ticket_id, "850", 1)

    assert refused.value.code == errors.EVENT_TICKET_OFFLINE
    assert len(uow.operations) == written
