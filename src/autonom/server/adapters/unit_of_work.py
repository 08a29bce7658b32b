"""The unit of work: one database transaction per handler, cosmicpython style.

``with uow: …; uow.commit()`` — leaving the block without ``commit()`` rolls back, so a
refusal half-way through a push writes nothing.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine, RootTransaction

from autonom.server.adapters.database import write_connection
from autonom.server.adapters.repositories import (
    AdmissionRepository,
    BackendRepository,
    BackOfficeQueries,
    CardPaymentRepository,
    CustomerRepository,
    DayCloseRepository,
    EventRepository,
    FlagRepository,
    GateScanRepository,
    MasterDataRepository,
    ModeEventRepository,
    OperationRepository,
    ReceiptRepository,
    StationSettingsRepository,
    SyncReportRepository,
    TicketRepository,
    TillRepository,
    TillStatusRepository,
    VoucherRepository,
)


class SqlUnitOfWork:
    """A transaction on the server's database for one store; not reentrant."""

    tills: TillRepository
    operations: OperationRepository
    tickets: TicketRepository
    receipts: ReceiptRepository
    flags: FlagRepository
    master_data: MasterDataRepository
    station_settings: StationSettingsRepository
    till_status: TillStatusRepository
    mode_events: ModeEventRepository
    back_office: BackOfficeQueries
    day_closes: DayCloseRepository
    admissions: AdmissionRepository
    gate_scans: GateScanRepository
    vouchers: VoucherRepository
    customers: CustomerRepository
    events: EventRepository
    backends: BackendRepository
    card_payments: CardPaymentRepository

    def __init__(self, engine: Engine, store_id: int, *, write: bool = True) -> None:
        self.engine = engine
        self.store_id = store_id
        self.write = write
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None

    def __enter__(self) -> SqlUnitOfWork:
        connection = write_connection(self.engine) if self.write else self.engine.connect()
        self._connection = connection
        self._transaction = connection.begin()
        self.tills = TillRepository(connection, self.store_id)
        self.operations = OperationRepository(connection, self.store_id)
        self.tickets = TicketRepository(connection, self.store_id)
        self.receipts = ReceiptRepository(connection, self.store_id)
        self.flags = FlagRepository(connection, self.store_id)
        self.master_data = MasterDataRepository(connection, self.store_id)
        self.station_settings = StationSettingsRepository(connection, self.store_id)
        self.till_status = TillStatusRepository(connection, self.store_id)
        self.mode_events = ModeEventRepository(connection, self.store_id)
        self.back_office = BackOfficeQueries(connection, self.store_id)
        self.day_closes = DayCloseRepository(connection, self.store_id)
        self.admissions = AdmissionRepository(connection, self.store_id)
        self.gate_scans = GateScanRepository(connection, self.store_id)
        self.vouchers = VoucherRepository(connection, self.store_id)
        self.customers = CustomerRepository(connection, self.store_id)
        self.events = EventRepository(connection, self.store_id)
        self.backends = BackendRepository(connection, self.store_id)
        self.card_payments = CardPaymentRepository(connection, self.store_id)
        self.sync_reports = SyncReportRepository(connection, self.store_id)
        return self

    def commit(self) -> None:
        if self._transaction is None:
            raise RuntimeError("commit outside of 'with uow:'")
        self._transaction.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if self._transaction is not None and self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._connection is not None:
                self._connection.close()
            self._connection = None
            self._transaction = None
