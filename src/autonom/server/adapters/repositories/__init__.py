"""Repositories: the only code that knows the tables, one module per concern. Each works
on the unit of work's connection and on one store (invariant 9), and speaks in domain
objects, contracts or small records, never in rows."""

from autonom.server.adapters.repositories.back_office import (
    BackOfficeQueries,
    FlagRecord,
    ReceiptRecord,
    RefusalRecord,
    TillRecord,
)
from autonom.server.adapters.repositories.card_payments import (
    CardPaymentRecord,
    CardPaymentRepository,
)
from autonom.server.adapters.repositories.day_closes import DayCloseRecord, DayCloseRepository
from autonom.server.adapters.repositories.gate import (
    AdmissionRecord,
    AdmissionRepository,
    GateScanRepository,
)
from autonom.server.adapters.repositories.heartbeat import (
    ModeEventRepository,
    StationSettingsRepository,
    TillStatusRepository,
)
from autonom.server.adapters.repositories.master_data import MasterDataRepository
from autonom.server.adapters.repositories.server_functions import (
    BackendRecord,
    BackendRepository,
    CustomerRepository,
    EventRepository,
    VoucherRepository,
)
from autonom.server.adapters.repositories.sync import (
    FlagRepository,
    OperationRepository,
    ReceiptRepository,
    TicketRepository,
    TillRepository,
)
from autonom.server.adapters.repositories.sync_reports import (
    SyncReportRecord,
    SyncReportRepository,
)

__all__ = [
    "AdmissionRecord",
    "AdmissionRepository",
    "BackOfficeQueries",
    "BackendRecord",
    "BackendRepository",
    "CardPaymentRecord",
    "CardPaymentRepository",
    "CustomerRepository",
    "DayCloseRecord",
    "DayCloseRepository",
    "EventRepository",
    "FlagRecord",
    "FlagRepository",
    "GateScanRepository",
    "MasterDataRepository",
    "ModeEventRepository",
    "OperationRepository",
    "ReceiptRecord",
    "ReceiptRepository",
    "RefusalRecord",
    "StationSettingsRepository",
    "SyncReportRecord",
    "SyncReportRepository",
    "TicketRepository",
    "TillRecord",
    "TillRepository",
    "TillStatusRepository",
    "VoucherRepository",
]
