"""The server's adapters: tables, migrations, repositories and the unit of work."""

from autonom.server.adapters.database import (
    create_database_engine,
    database_url,
    migrate,
    prepare_database,
)
from autonom.server.adapters.repositories import (
    AdmissionRecord,
    DayCloseRecord,
    FlagRecord,
    ReceiptRecord,
    RefusalRecord,
    SyncReportRecord,
    TillRecord,
)
from autonom.server.adapters.unit_of_work import SqlUnitOfWork

__all__ = [
    "AdmissionRecord",
    "DayCloseRecord",
    "FlagRecord",
    "ReceiptRecord",
    "RefusalRecord",
    "SqlUnitOfWork",
    "SyncReportRecord",
    "TillRecord",
    "create_database_engine",
    "database_url",
    "migrate",
    "prepare_database",
]
