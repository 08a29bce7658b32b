"""The cashier's use cases through the service layer alone, on an in-memory unit of work:
no SQLite file, no page, no API. The rules live here, so a new caller cannot skip them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.devices.printer import open_printer
from autonom.domain import Form, PaymentMethod, Refusal, errors
from autonom.till.bootstrap import DEFAULT_HEADER
from autonom.till.domain import Choice, Health, Mode, Reason, StationSettings, Verdict
from autonom.till.domain.mode import EMERGENCY_NOT_ALLOWED, OUTAGE_UNDECIDED
from autonom.till.service_layer import handlers
from autonom.till.service_layer.capabilities import BackendBoard, Capabilities
from autonom.till.service_layer.card_payments import CardPayments
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseTicket,
    LogIn,
    OpenTicket,
    Tendered,
)
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.selling import Selling
from autonom.till.service_layer.snapshot import LinkState
from autonom.till.service_layer.uploader import UploadState
from tests.unit.till.conftest import ANNA, ANNA_PIN, CAFE
from tests.unit.till.fakes import LIVE, FakeMasterData, FakeStation, FakeUnitOfWork

DOWN = Verdict(Health.DOWN, Reason.NO_PING)
NOT_ALLOWED = StationSettings(emergency_allowed=False)


@dataclass
class Monotonic:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now


def wall_clock() -> datetime:
    return datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(master=FakeMasterData(CAFE))


def keeper(station: FakeStation | None = None) -> ModeKeeper:
    return ModeKeeper(
        station or FakeStation(),  # type: ignore[arg-type]
        wall_clock,
        count_local_open_tickets=lambda: 0,
        monotonic=Monotonic(),
    )


def ticket_of_espresso(uow: FakeUnitOfWork) -> str:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), uow)
    handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), uow)  # 2.40
    return ticket.ticket_id


def close(ticket_id: str, *tendered: Tendered) -> CloseTicket:
    return CloseTicket(ticket_id, tendered or (Tendered(PaymentMethod.CASH),), ANNA)


def test_closing_while_an_outage_is_undecided_is_refused_by_the_close_handler_itself(
    uow: FakeUnitOfWork,
) -> None:
    ticket_id = ticket_of_espresso(uow)
    mode = keeper()
    mode.link_verdict(DOWN, 100.0)
    written = len(uow.operations)

    with pytest.raises(Refusal) as refused:
        handlers.close_ticket(close(ticket_id), uow, mode=mode)

    assert (refused.value.code, refused.value.status) == (OUTAGE_UNDECIDED, 409)
    assert len(uow.operations) == written  # nothing closed, no number used
    assert uow.stored_ranges == {}

    mode.choose(Choice.EMERGENCY)
    receipt = handlers.close_ticket(close(ticket_id), uow, mode=mode)
    assert receipt.offline
    assert receipt.number.endswith(f"-{Form.EMERGENCY_RECEIPT:02d}")


def test_closing_is_refused_when_the_station_forbids_emergency_mode(uow: FakeUnitOfWork) -> None:
    ticket_id = ticket_of_espresso(uow)
    mode = keeper(FakeStation(settings=NOT_ALLOWED))
    mode.link_verdict(DOWN, 100.0)

    with pytest.raises(Refusal) as refused:
        handlers.close_ticket(close(ticket_id), uow, mode=mode)

    assert refused.value.code == EMERGENCY_NOT_ALLOWED
    assert mode.state is Mode.OUTAGE_PENDING


def test_the_mode_cannot_change_between_the_check_and_the_commit_of_a_close(
    uow: FakeUnitOfWork,
) -> None:
    ticket_id = ticket_of_espresso(uow)
    mode = keeper()
    link_lost = threading.Thread(target=mode.link_verdict, args=(DOWN, 100.0))
    blocked_during_commit: list[bool] = []

    def lose_the_link_meanwhile() -> None:
        link_lost.start()
        link_lost.join(timeout=0.3)
        blocked_during_commit.append(link_lost.is_alive())

    uow.on_commit.append(lose_the_link_meanwhile)
    receipt = handlers.close_ticket(close(ticket_id), uow, mode=mode)
    link_lost.join(timeout=10)

    assert blocked_during_commit == [True]  # the verdict waited for the receipt's commit
    assert not receipt.offline
    assert mode.state is Mode.OUTAGE_PENDING  # and came right after it


@pytest.mark.parametrize(
    ("tendered", "change"),
    [
        ((Tendered(PaymentMethod.CASH),), Decimal("0.00")),  # empty cash field: the amount due
        ((Tendered(PaymentMethod.CARD),), Decimal("0.00")),  # a card pays the amount due
        ((Tendered(PaymentMethod.CASH, "5,00"),), Decimal("2.60")),  # as typed, with change
    ],
)
def test_tenders_are_built_from_what_the_cashier_typed_inside_the_close(
    uow: FakeUnitOfWork, tendered: tuple[Tendered, ...], change: Decimal
) -> None:
    ticket_id = ticket_of_espresso(uow)

    receipt = handlers.close_ticket(close(ticket_id, *tendered), uow, mode=LIVE)

    assert receipt.total == Decimal("2.40")
    assert receipt.change == change
    assert [p.method for p in receipt.payments] == [tendered[0].method]


def test_a_typed_amount_that_is_not_money_is_refused_and_nothing_is_closed(
    uow: FakeUnitOfWork,
) -> None:
    ticket_id = ticket_of_espresso(uow)
    commits = uow.commits

    with pytest.raises(Refusal) as refused:
        handlers.close_ticket(
            close(ticket_id, Tendered(PaymentMethod.CASH, "five")), uow, mode=LIVE
        )

    assert refused.value.code == errors.BAD_AMOUNT
    assert uow.commits == commits


def test_nothing_is_sold_before_the_first_master_data() -> None:
    empty = FakeUnitOfWork()

    with pytest.raises(Refusal) as opening:
        handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), empty)
    with pytest.raises(Refusal) as table:
        handlers.open_ticket(OpenTicket(table=3, operator_number=ANNA), empty)
    with pytest.raises(Refusal) as logging_in:
        handlers.log_in(LogIn(ANNA, ANNA_PIN), empty)

    codes = {opening.value.code, table.value.code, logging_in.value.code}
    assert codes == {errors.NO_MASTER_DATA}
    assert empty.commits == 0


@dataclass
class Link:
    """The server's side of shared tables; never reached in these tests."""

    def open_ticket_at(self, table: int) -> None:
        raise AssertionError("the server must not be asked")


def selling_on(uow: FakeUnitOfWork, mode: ModeKeeper, **state: object) -> Selling:
    link = state.get("link", LinkState(registered=True, problem=None))
    upload = state.get("upload", UploadState(last_error=None, last_success=None))
    capabilities = Capabilities(mode, BackendBoard())
    return Selling(
        unit_of_work=lambda: uow,
        reading=lambda: uow,
        modes=mode,
        capabilities=capabilities,
        tables=Link(),  # type: ignore[arg-type]
        link_state=lambda: link,  # type: ignore[arg-type,return-value]
        upload_state=lambda: upload,  # type: ignore[arg-type,return-value]
        printer=open_printer("none"),
        header=DEFAULT_HEADER,
        till_number=uow.till_number,
        clock=wall_clock,
        card_payments=CardPayments(
            unit_of_work=lambda: uow,
            reading=lambda: uow,
            capabilities=capabilities,
            modes=mode,
            backends=BackendBoard(),
            device=None,
            till_number=uow.till_number,
        ),
    )


def test_a_payment_loads_the_ticket_once_in_one_write_transaction(uow: FakeUnitOfWork) -> None:
    ticket_id = ticket_of_espresso(uow)
    selling = selling_on(uow, keeper())
    before = (uow.transactions, uow.commits)

    closed = selling.pay(ANNA, ticket_id, [Tendered(PaymentMethod.CASH, "10.00")])

    # Live: one read says it is a counter ticket (a table's would be asked of the server
    # first, R3.2), then the close is one write transaction that loads it.
    assert (uow.transactions, uow.commits) == (before[0] + 2, before[1] + 1)
    assert closed.receipt.change == Decimal("7.60")
    assert closed.printer_problem is None


def test_the_server_is_asked_for_a_table_whenever_live_and_registered_uploads_lagging_too() -> None:
    uow = FakeUnitOfWork(master=FakeMasterData(CAFE))
    live = keeper()
    lost = keeper()
    lost.link_verdict(DOWN, 100.0)
    undecided = keeper()
    undecided.link_verdict(DOWN, 100.0)
    lost.choose(Choice.EMERGENCY)
    unregistered = LinkState(registered=False, problem=None)
    failing = UploadState(last_error="server not reachable", last_success=None)

    assert selling_on(uow, live).shared_tables() is not None
    # A batch that timed out says nothing about the table: the server is asked (R3.2).
    assert selling_on(uow, live, upload=failing).shared_tables() is not None
    assert selling_on(uow, lost).shared_tables() is None
    assert selling_on(uow, undecided).shared_tables() is None
    assert selling_on(uow, live, link=unregistered).shared_tables() is None
    # Only in emergency mode (or with no server yet) does a table open here.
    assert selling_on(uow, lost).tables_here()
    assert selling_on(uow, live, link=unregistered).tables_here()
    assert not selling_on(uow, undecided).tables_here()
    assert not selling_on(uow, live).tables_here()


def test_a_new_table_is_refused_while_an_outage_waits_for_the_cashier(uow: FakeUnitOfWork) -> None:
    undecided = keeper()
    undecided.link_verdict(DOWN, 100.0)
    with pytest.raises(Refusal) as refused:
        selling_on(uow, undecided).open_ticket(ANNA, 3)
    assert refused.value.code == errors.OUTAGE_UNDECIDED
    assert selling_on(uow, undecided).open_ticket(ANNA, None).table is None  # counter: fine
