"""Wire contracts between till, server and (later) fiscal operator: one definition each.

Events travel as the domain's own dataclasses, validated by pydantic; nothing here is a
database table.
"""

from autonom.contracts.errors import ErrorBody
from autonom.contracts.gate import GateScanIn, GateScanPublic
from autonom.contracts.heartbeat import (
    ActivityName,
    HeartbeatAck,
    HeartbeatReport,
    LinkName,
    ModeEventIn,
    ModeEventPublic,
    ModeName,
    StationSettingsPublic,
)
from autonom.contracts.master_data import (
    ItemIn,
    ItemPublic,
    MasterData,
    OperatorIn,
    OperatorPublic,
    TaxRatePublic,
)
from autonom.contracts.sync import (
    CONTRACT_VERSION,
    EVENT_ADAPTER,
    Operation,
    PushBatch,
    PushResult,
    TillPosition,
    TillRegistered,
    TillRegistration,
    WireEvent,
)
from autonom.contracts.sync_reports import SYNC_REPORT, SyncReportRequest
from autonom.contracts.tickets import BOOKINGS, BookingPublic, TicketPublic

__all__ = [
    "BOOKINGS",
    "CONTRACT_VERSION",
    "EVENT_ADAPTER",
    "SYNC_REPORT",
    "ActivityName",
    "BookingPublic",
    "ErrorBody",
    "GateScanIn",
    "GateScanPublic",
    "HeartbeatAck",
    "HeartbeatReport",
    "ItemIn",
    "ItemPublic",
    "LinkName",
    "MasterData",
    "ModeEventIn",
    "ModeEventPublic",
    "ModeName",
    "Operation",
    "OperatorIn",
    "OperatorPublic",
    "PushBatch",
    "PushResult",
    "StationSettingsPublic",
    "SyncReportRequest",
    "TaxRatePublic",
    "TicketPublic",
    "TillPosition",
    "TillRegistered",
    "TillRegistration",
    "WireEvent",
]
