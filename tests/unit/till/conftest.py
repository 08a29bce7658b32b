"""A till on a real SQLite file in tmp_path, with a small café's master data; no sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from autonom.contracts import ItemPublic, MasterData, OperatorPublic, TaxRatePublic
from autonom.domain import PaymentMethod, Receipt, Role, hash_pin
from autonom.till.adapters.store import TillStore
from autonom.till.adapters.unit_of_work import SqliteReadUnitOfWork, SqliteUnitOfWork
from autonom.till.service_layer import handlers
from autonom.till.service_layer.commands import AddBooking, CloseTicket, OpenTicket, Tendered
from autonom.till.service_layer.snapshot import refresh_master_data
from tests.unit.till.fakes import FixedMode

TILL = 10
ANNA = 1
ANNA_PIN = "1111"

CAFE = MasterData(
    version=3,
    tax_rates=[
        TaxRatePublic(code="A", percent=Decimal("19.00"), name="standard"),
        TaxRatePublic(code="B", percent=Decimal("7.00"), name="reduced"),
        TaxRatePublic(code="Z", percent=Decimal("0.00"), name="not taxed at sale"),
    ],
    items=[
        ItemPublic(plu="100", name="Espresso", price=Decimal("2.40"), tax_code="A"),
        ItemPublic(plu="101", name="Cappuccino", price=Decimal("3.20"), tax_code="A"),
        ItemPublic(plu="200", name="Croissant", price=Decimal("1.90"), tax_code="B"),
        ItemPublic(plu="300", name="Old cake", price=Decimal("2.00"), tax_code="B", active=False),
        ItemPublic(
            plu="800", name="Day admission", price=Decimal("12.00"), tax_code="B", kind="admission"
        ),
        ItemPublic(
            plu="850",
            name="Concert seat",
            price=Decimal("35.00"),
            tax_code="B",
            kind="event_ticket",
        ),
        ItemPublic(
            plu="900", name="Gift voucher 20", price=Decimal("20.00"), tax_code="Z", kind="voucher"
        ),
    ],
    operators=[
        OperatorPublic(number=ANNA, name="Anna", role=Role.CASHIER, pin_hash=hash_pin(ANNA_PIN)),
    ],
)


class CafeServer:
    """The server's side of master data, as a plain object (unit tests open no socket)."""

    credential: str | None = "secret"

    def master_data(self) -> MasterData:
        return CAFE


@dataclass
class ManualClock:
    """A wall clock the test sets; it may go backwards, as real ones do."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class TillUnderTest:
    data_dir: Path
    clock: ManualClock
    store: TillStore

    def uow(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.store, self.clock)

    def reading(self) -> SqliteReadUnitOfWork:
        return SqliteReadUnitOfWork(self.store)

    def reopen(self) -> None:
        """Close the database (rolling back anything open, like a crash) and open it again."""
        self.store.close()
        self.store = TillStore(self.data_dir, till_number=TILL, server_url="http://server")

    def sell(self, *plus: str, cash: str = "50.00", offline: bool = False) -> Receipt:
        """A whole sale: open a ticket, book one of each PLU, pay cash."""
        ticket = handlers.open_ticket(OpenTicket(table=None, operator_number=ANNA), self.uow())
        for plu in plus or ("100",):
            handlers.add_booking(
                AddBooking(ticket.ticket_id, plu, 1, ANNA), self.uow(), offline=offline
            )
        return handlers.close_ticket(
            CloseTicket(ticket.ticket_id, (Tendered(PaymentMethod.CASH, Decimal(cash)),), ANNA),
            self.uow(),
            mode=FixedMode(offline),
        )


def open_till(data_dir: Path) -> TillUnderTest:
    clock = ManualClock()
    till = TillUnderTest(
        data_dir, clock, TillStore(data_dir, till_number=TILL, server_url="http://server")
    )
    refresh_master_data(till.uow(), CafeServer())
    return till


@pytest.fixture
def till(tmp_path: Path) -> Iterator[TillUnderTest]:
    """Till 10 with the café's master data, on a fresh SQLite file."""
    under_test = open_till(tmp_path / "till-10")
    yield under_test
    under_test.store.close()
