"""Repositories: the only code that knows the tables, one module per concern. Each works
on the unit of work's connection and on one store (invariant 9), and speaks in domain
objects, contracts or small records, never in rows."""

from autonom.server.adapters.repositories.back_office import (
    BackOfficeQueries,
    FlagRecord,
    ReceiptRecord,
    TillRecord,
)
from autonom.server.adapters.repositories.card_payments import (
    CardPaymentRecord,
    CardPaymentRepository,
)
from autonom.server.adapters.repositories.heartbeat import (
    ModeEventRepository,
    StationSettingsRepository,
    TillStatusRepository,
)
from autonom.server.adapters.repositories.master_data import MasterDataRepository
from autonom.server.adapters.repositories.sync import (
    FlagRepository,
    OperationRepository,
    ReceiptRepository,
    TicketRepository,
    TillRepository,
)

__all__ = [
    "BackOfficeQueries",
    "CardPaymentRecord",
    "CardPaymentRepository",
    "FlagRecord",
    "FlagRepository",
    "MasterDataRepository",
    "ModeEventRepository",
    "OperationRepository",
    "ReceiptRecord",
    "ReceiptRepository",
    "StationSettingsRepository",
    "TicketRepository",
    "TillRecord",
    "TillRepository",
    "TillStatusRepository",
]
