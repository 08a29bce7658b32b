"""The day close handler through the service layer alone, on an in-memory unit of work
(R2.8): numbered and logged in one commit, refused with nothing committed while tickets are
open or an outage is undecided, marked offline in emergency mode."""

from __future__ import annotations

from decimal import Decimal

import pytest

from autonom.domain import DayClosed, PaymentMethod, Refusal, errors
from autonom.till.domain import Health, Reason, Verdict
from autonom.till.domain.mode import OUTAGE_UNDECIDED
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import (
    AddBooking,
    CloseDay,
    CloseTicket,
    OpenTicket,
    Tendered,
)
from autonom.till.service_layer.reports import close_day
from tests.unit.till.conftest import ANNA, CAFE
from tests.unit.till.fakes import EMERGENCY, LIVE, FakeMasterData, FakeUnitOfWork
from tests.unit.till.test_handlers import keeper


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(master=FakeMasterData(CAFE))


def open_with_a_line(uow: FakeUnitOfWork) -> str:
    ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), uow)
    handlers.add_booking(AddBooking(ticket.ticket_id, "100", 1, ANNA), uow)
    return ticket.ticket_id


def sell(uow: FakeUnitOfWork, *, offline: bool = False) -> None:
    ticket_id = open_with_a_line(uow)
    handlers.close_ticket(
        CloseTicket(ticket_id, (Tendered(PaymentMethod.CASH),), ANNA),
        uow,
        mode=EMERGENCY if offline else LIVE,
    )


def test_a_day_close_is_numbered_and_logged_in_one_commit(uow: FakeUnitOfWork) -> None:
    sell(uow)
    sell(uow)
    commits = uow.commits

    first = close_day(CloseDay(ANNA), uow, mode=LIVE)
    second = close_day(CloseDay(ANNA), uow, mode=EMERGENCY)

    assert uow.commits == commits + 2
    assert (first.z_number, first.figures.receipt_count, first.offline) == (1, 2, False)
    assert (second.z_number, second.null, second.offline) == (2, True, True)
    assert second.grand_total == first.grand_total == Decimal("4.80")
    logged = [op.event for op in uow.operations if isinstance(op.event, DayClosed)]
    assert logged == [first.event(), second.event()]
    assert [z.z_number for z in uow.stored_day_closes] == [1, 2]


def test_an_open_ticket_with_a_line_refuses_it_and_nothing_is_committed(
    uow: FakeUnitOfWork,
) -> None:
    sell(uow)
    open_with_a_line(uow)
    commits, operations = uow.commits, len(uow.operations)

    with pytest.raises(Refusal) as refused:
        close_day(CloseDay(ANNA), uow, mode=LIVE)

    assert refused.value.code == errors.OPEN_TICKETS
    assert (uow.commits, len(uow.operations), uow.stored_day_closes) == (commits, operations, [])


def test_an_undecided_outage_refuses_it_before_anything_is_read(uow: FakeUnitOfWork) -> None:
    sell(uow)
    mode = keeper()
    mode.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), 100.0)
    transactions = uow.transactions

    with pytest.raises(Refusal) as refused:
        close_day(CloseDay(ANNA), uow, mode=mode)

    assert refused.value.code == OUTAGE_UNDECIDED
    assert uow.transactions == transactions
    assert uow.stored_day_closes == []


def test_an_unknown_operator_cannot_close_the_day(uow: FakeUnitOfWork) -> None:
    with pytest.raises(Refusal) as refused:
        close_day(CloseDay(77), uow, mode=LIVE)

    assert refused.value.code == errors.UNKNOWN_OPERATOR
    assert uow.stored_day_closes == []
