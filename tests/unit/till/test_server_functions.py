"""The cashier's functions that need the server (R2.4), on fakes: paying with a voucher
asks the matrix, then rehearses the close, then the server, then closes; offline it is
refused at once and the server is never asked; no answer writes nothing; the operator
settlement offline is a notice that closes itself after 45 s (seed 000)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

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
from autonom.domain import PaymentMethod, Refusal, TicketClosed, TicketStatus, errors
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain import UP, Choice
from autonom.till.domain.capabilities import Backend, Function, Level
from autonom.till.service_layer.commands import Tendered
from autonom.till.service_layer.heartbeat import backends_named
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.server_functions import (
    EventSeating,
    Notice,
    ServerFunctions,
    redemption_id,
)
from tests.unit.till.conftest import ANNA, CAFE
from tests.unit.till.fakes import FakeMasterData, FakeUnitOfWork
from tests.unit.till.test_handlers import DOWN, keeper, selling_on, wall_clock

VOUCHER = "10000001-03"
KRONE = CustomerPublic(
    number=7,
    name="Café Krone",
    credit_limit=Decimal("100.00"),
    balance=Decimal("20.00"),
    available=Decimal("80.00"),
)


@dataclass
class FakeServer:
    """The server's side: answers, refuses, or does not answer at all."""

    unreachable: bool = False
    refusal: Refusal | None = None
    redemptions: list[tuple[str, RedemptionIn]] = field(default_factory=list)
    settlements: list[tuple[int, date]] = field(default_factory=list)
    seats: list[tuple[str, SeatsIn]] = field(default_factory=list)
    authorisations: list[tuple[int, AccountChargeIn]] = field(default_factory=list)

    def _answer(self) -> None:
        if self.unreachable:
            raise ServerUnreachable("ReadTimeout: timed out")
        if self.refusal is not None:
            raise self.refusal

    def redeem_voucher(self, number: str, request: RedemptionIn) -> RedemptionPublic:
        self.redemptions.append((number, request))
        self._answer()
        return RedemptionPublic(
            redemption_id=request.redemption_id,
            voucher_number=number,
            ticket_id=request.ticket_id,
            amount=request.amount,
            remaining=Decimal("0.00"),
            state="held",
        )

    def hold_seats(self, plu: str, request: SeatsIn) -> SeatsHeld:
        self.seats.append((plu, request))
        self._answer()
        return SeatsHeld(booking_id=request.booking_id, plu=plu, seats=request.seats, left=0)

    def find_customers(self, text: str) -> list[CustomerPublic]:
        self._answer()
        return [KRONE] if text in ("Krone", "7") else []

    def authorise_charge(self, number: int, request: AccountChargeIn) -> AccountChargeAuthorised:
        self.authorisations.append((number, request))
        self._answer()
        return AccountChargeAuthorised(customer=KRONE, amount=request.amount)

    def operator_settlement(self, operator_number: int, day: date) -> OperatorSettlementPublic:
        self.settlements.append((operator_number, day))
        self._answer()
        return OperatorSettlementPublic(
            operator_number=operator_number,
            day=day,
            receipt_count=0,
            total=Decimal("0.00"),
            payments=[],
            tills=[],
            receipts=[],
        )


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(master=FakeMasterData(CAFE))


def functions_on(
    uow: FakeUnitOfWork, server: FakeServer, modes: ModeKeeper | None = None
) -> ServerFunctions:
    selling = selling_on(uow, modes or keeper())
    selling.event_seats = EventSeating(lambda: uow, server, wall_clock)
    return ServerFunctions(selling, server)


def ticket_of(functions: ServerFunctions, *plus: str) -> str:
    ticket = functions.selling.open_ticket(ANNA, None)
    for plu in plus:
        functions.selling.book(ANNA, ticket.ticket_id, plu, 1)
    return ticket.ticket_id


def go_offline(modes: ModeKeeper) -> None:
    modes.link_verdict(DOWN, 100.0)
    modes.choose(Choice.EMERGENCY)


def test_a_voucher_is_redeemed_on_the_server_and_the_receipt_names_it(uow: FakeUnitOfWork) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100", "101")  # 2.40 + 3.20

    closed = functions.pay_with_voucher(
        ANNA, ticket_id, f" {VOUCHER} ", "5.00", print_receipt=False
    )

    [(number, request)] = server.redemptions
    assert (number, request.amount, request.ticket_id) == (VOUCHER, Decimal("5.00"), ticket_id)
    assert request.redemption_id == redemption_id(ticket_id, VOUCHER, Decimal("5.00"))
    assert [(p.method, p.amount, p.reference) for p in closed.receipt.payments] == [
        (PaymentMethod.VOUCHER, Decimal("5.00"), VOUCHER),
        (PaymentMethod.CASH, Decimal("0.60"), None),  # the rest, exactly
    ]
    [close] = [o.event for o in uow.operations if isinstance(o.event, TicketClosed)]
    assert close.payments == closed.receipt.payments


def test_the_same_ticket_voucher_and_amount_always_ask_for_the_same_redemption() -> None:
    first = redemption_id("t1", VOUCHER, Decimal("5.00"))
    assert redemption_id("t1", VOUCHER, Decimal("5.00")) == first
    assert redemption_id("t1", VOUCHER, Decimal("5.01")) != first
    assert redemption_id("t2", VOUCHER, Decimal("5.00")) != first


def test_in_emergency_mode_a_voucher_is_refused_at_once_and_the_server_never_asked(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    server = FakeServer()
    functions = functions_on(uow, server, modes)
    ticket_id = ticket_of(functions, "100")
    go_offline(modes)
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, VOUCHER)

    assert (refused.value.code, refused.value.status) == (errors.FEATURE_OFFLINE, 409)
    assert refused.value.detail == {"function": "voucher_redeem", "situations": ["emergency"]}
    assert "already used" in refused.value.message
    assert server.redemptions == []
    assert len(uow.operations) == written


def test_no_answer_from_the_server_is_a_clear_refusal_and_nothing_is_written(
    uow: FakeUnitOfWork,
) -> None:
    server = FakeServer(unreachable=True)
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, VOUCHER)

    assert (refused.value.code, refused.value.status) == (errors.SERVER_UNREACHABLE, 503)
    assert VOUCHER in refused.value.message
    assert "nothing" in refused.value.message
    assert len(uow.operations) == written
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN


def test_the_servers_refusal_reaches_the_cashier_and_the_ticket_stays_open(
    uow: FakeUnitOfWork,
) -> None:
    server = FakeServer(refusal=Refusal(errors.VOUCHER_EXHAUSTED, "Voucher is used up.", 409))
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")

    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, VOUCHER)

    assert refused.value.code == errors.VOUCHER_EXHAUSTED
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN


@pytest.mark.parametrize(
    ("number", "amount", "code"),
    [
        (VOUCHER, "9.00", errors.VOUCHER_OVERPAID),  # more than the 2.40 due
        ("10000001-01", None, errors.VOUCHER_UNKNOWN),  # a receipt's number, not a voucher's
        (VOUCHER, "1e3", errors.BAD_AMOUNT),
    ],
)
def test_what_would_refuse_the_close_refuses_before_the_server_is_asked(
    uow: FakeUnitOfWork, number: str, amount: str | None, code: str
) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")

    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, number, amount)

    assert refused.value.code == code
    assert server.redemptions == []


def test_a_paid_ticket_is_not_redeemed_against(uow: FakeUnitOfWork) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")
    functions.selling.pay(ANNA, ticket_id, [Tendered(PaymentMethod.CASH)], print_receipt=False)

    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, VOUCHER)

    assert refused.value.code == errors.TICKET_CLOSED
    assert server.redemptions == []


@pytest.mark.parametrize("method", [PaymentMethod.VOUCHER, PaymentMethod.ACCOUNT])
def test_a_voucher_or_an_account_typed_as_a_plain_tender_is_refused(
    uow: FakeUnitOfWork, method: PaymentMethod
) -> None:
    functions = functions_on(uow, FakeServer())
    ticket_id = ticket_of(functions, "100")

    with pytest.raises(Refusal) as refused:
        functions.selling.pay(ANNA, ticket_id, [Tendered(method, None, VOUCHER)])

    assert refused.value.code == errors.TENDER_NEEDS_SERVER
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN


def test_the_operator_settlement_offline_is_a_notice_that_closes_itself_after_45_s(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    server = FakeServer()
    functions = functions_on(uow, server, modes)
    assert functions.operator_settlement(ANNA).report.operator_number == ANNA
    go_offline(modes)

    with pytest.raises(Refusal) as refused:
        functions.operator_settlement(ANNA)

    assert (refused.value.code, refused.value.status) == (errors.FEATURE_OFFLINE, 409)
    assert refused.value.detail == {
        "function": "operator_settlement",
        "situations": ["emergency"],
        "closes_after_s": 45,
    }
    notice = Notice.of(refused.value)
    assert notice is not None
    assert (notice.code, notice.closes_after_s) == (errors.FEATURE_OFFLINE, 45)
    assert "server report" in notice.words
    assert len(server.settlements) == 1  # only the live one


def test_the_settlement_not_answered_is_the_same_notice(uow: FakeUnitOfWork) -> None:
    functions = functions_on(uow, FakeServer(unreachable=True))

    with pytest.raises(Refusal) as refused:
        functions.operator_settlement(ANNA)

    notice = Notice.of(refused.value)
    assert notice is not None
    assert (notice.code, notice.closes_after_s) == (errors.SERVER_UNREACHABLE, 45)
    assert Notice.of(Refusal(errors.FEATURE_OFFLINE, "an ordinary refusal", 409)) is None


def test_the_panel_lists_every_function_and_says_what_has_no_provider(uow: FakeUnitOfWork) -> None:
    modes = keeper()
    functions = functions_on(uow, FakeServer(), modes)
    live = {s.function: s for s in functions.functions_now()}
    assert list(live) == list(Function)
    assert (
        live[Function.INTEGRATED_PAYMENT].note
        == "No payment provider is configured for this store."
    )
    assert not live[Function.INTEGRATED_PAYMENT].usable
    assert live[Function.VOUCHER_REDEEM].usable

    functions.selling.capabilities.backends.report("server", frozenset({Backend.WEBSHOP}))
    online = functions.state_of("online_orders")
    assert online.availability.refused
    assert online.note is None
    assert online.availability.words == "The webshop does not answer."

    go_offline(modes)
    offline = {s.function: s for s in functions.functions_now()}
    assert offline[Function.VOUCHER_REDEEM].availability.refused
    assert not offline[Function.VOUCHER_REDEEM].usable
    assert offline[Function.VOUCHER_SELL].availability.level is Level.LIMITED
    assert offline[Function.VOUCHER_SELL].usable


def test_the_heartbeat_answer_names_the_backends_down_that_this_till_knows() -> None:
    assert backends_named(["ticketing", "webshop", "crystal_ball"]) == {
        Backend.TICKETING,
        Backend.WEBSHOP,
    }
    assert backends_named([]) == frozenset()


def test_an_event_tickets_seats_are_held_on_the_server_for_the_booking_written_next(
    uow: FakeUnitOfWork,
) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions)

    ticket = functions.selling.book(ANNA, ticket_id, "850", 2)

    [(plu, request)] = server.seats
    [booking] = ticket.bookings
    assert (plu, request.seats, request.ticket_id) == ("850", 2, ticket_id)
    assert booking.booking_id == request.booking_id
    assert (booking.quantity, booking.issued_number) == (2, None)


@pytest.mark.parametrize(
    ("server", "code"),
    [
        (
            FakeServer(refusal=Refusal(errors.EVENT_SOLD_OUT, "Sold out.", 409)),
            errors.EVENT_SOLD_OUT,
        ),
        (FakeServer(unreachable=True), errors.SERVER_UNREACHABLE),
    ],
)
def test_an_event_ticket_the_server_does_not_hold_seats_for_is_not_booked(
    uow: FakeUnitOfWork, server: FakeServer, code: str
) -> None:
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions)
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        functions.selling.book(ANNA, ticket_id, "850", 1)

    assert refused.value.code == code
    assert len(uow.operations) == written
    assert functions.selling.ticket(ticket_id).bookings == []


def test_no_seat_is_held_for_a_booking_that_would_be_refused(uow: FakeUnitOfWork) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")
    functions.selling.pay(ANNA, ticket_id, [Tendered(PaymentMethod.CASH)], print_receipt=False)

    with pytest.raises(Refusal) as paid:
        functions.selling.book(ANNA, ticket_id, "850", 1)
    with pytest.raises(Refusal) as too_many:
        functions.selling.book(ANNA, ticket_of(functions), "850", 1000)

    assert paid.value.code == errors.TICKET_CLOSED
    assert too_many.value.code == errors.BAD_QUANTITY
    assert server.seats == []


def test_a_ticket_put_on_account_is_authorised_live_and_the_receipt_names_the_customer(
    uow: FakeUnitOfWork,
) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100", "101")  # 5.60
    assert functions.find_customers(" Krone ") == [KRONE]

    closed = functions.pay_on_account(
        ANNA, ticket_id, 7, "5.00", PaymentMethod.CARD, print_receipt=False
    )

    [(number, request)] = server.authorisations
    assert (number, request.amount, request.ticket_id) == (7, Decimal("5.00"), ticket_id)
    assert [(p.method, p.amount, p.reference) for p in closed.receipt.payments] == [
        (PaymentMethod.CARD, Decimal("0.60"), None),
        (PaymentMethod.ACCOUNT, Decimal("5.00"), "7"),
    ]


def test_customer_accounts_offline_are_refused_at_once_and_the_server_never_asked(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    server = FakeServer()
    functions = functions_on(uow, server, modes)
    ticket_id = ticket_of(functions, "100")
    go_offline(modes)

    with pytest.raises(Refusal) as lookup:
        functions.find_customers("Krone")
    with pytest.raises(Refusal) as charge:
        functions.pay_on_account(ANNA, ticket_id, 7)

    for refused in (lookup, charge):
        assert (refused.value.code, refused.value.status) == (errors.FEATURE_OFFLINE, 409)
        assert refused.value.detail == {"function": "customer_account", "situations": ["emergency"]}
    assert server.authorisations == []
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN


@pytest.mark.parametrize(
    ("server", "code"),
    [
        (
            FakeServer(refusal=Refusal(errors.ACCOUNT_LIMIT_REACHED, "Over the limit.", 409)),
            errors.ACCOUNT_LIMIT_REACHED,
        ),
        (FakeServer(unreachable=True), errors.SERVER_UNREACHABLE),
    ],
)
def test_a_charge_the_server_does_not_authorise_leaves_the_ticket_open(
    uow: FakeUnitOfWork, server: FakeServer, code: str
) -> None:
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        functions.pay_on_account(ANNA, ticket_id, 7)

    assert refused.value.code == code
    assert len(uow.operations) == written
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN


def test_an_account_that_would_pay_more_than_is_due_is_refused_before_asking(
    uow: FakeUnitOfWork,
) -> None:
    server = FakeServer()
    functions = functions_on(uow, server)
    ticket_id = ticket_of(functions, "100")

    with pytest.raises(Refusal) as refused:
        functions.pay_on_account(ANNA, ticket_id, 7, "3.00")
    with pytest.raises(Refusal) as no_such:
        functions.pay_on_account(ANNA, ticket_id, 0)

    assert refused.value.code == errors.ACCOUNT_OVERPAID
    assert no_such.value.code == errors.CUSTOMER_UNKNOWN
    assert server.authorisations == []


def test_a_close_refused_after_the_server_held_the_voucher_says_so_and_a_retry_asks_the_same(
    uow: FakeUnitOfWork,
) -> None:
    modes = keeper()
    server = FakeServer()
    functions = functions_on(uow, server, modes)
    ticket_id = ticket_of(functions, "100")
    lost_meanwhile = server.redeem_voucher

    def redeem_then_lose_the_link(number: str, request: RedemptionIn) -> RedemptionPublic:
        held = lost_meanwhile(number, request)
        modes.link_verdict(DOWN, 100.0)  # the outage starts while the server answers
        return held

    server.redeem_voucher = redeem_then_lose_the_link  # type: ignore[method-assign]
    with pytest.raises(Refusal) as refused:
        functions.pay_with_voucher(ANNA, ticket_id, VOUCHER)

    assert refused.value.code == errors.OUTAGE_UNDECIDED  # R1.4, in the close itself
    assert f"Voucher {VOUCHER} stays held for this ticket" in refused.value.message
    assert functions.selling.ticket(ticket_id).status is TicketStatus.OPEN
    modes.link_verdict(UP, 101.0)
    modes.choose(Choice.RETRY)  # "back to live mode now"
    server.redeem_voucher = lost_meanwhile  # type: ignore[method-assign]
    closed = functions.pay_with_voucher(ANNA, ticket_id, VOUCHER, print_receipt=False)
    first, again = (request.redemption_id for _, request in server.redemptions)
    assert first == again  # the same hold, answered again: never redeemed twice
    assert closed.receipt.payments[0].reference == VOUCHER
