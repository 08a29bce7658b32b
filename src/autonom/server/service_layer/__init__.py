"""The server's handlers: plain functions taking keyword arguments and a unit of work."""

from autonom.server.service_layer.card_payments import list_card_payments
from autonom.server.service_layer.catalog import (
    BadRow,
    Catalog,
    ImportSummary,
    known_tax_codes,
    read_catalog,
    store_catalog,
)
from autonom.server.service_layer.day_closes import find_day_closes
from autonom.server.service_layer.gate import (
    find_gate_scans,
    list_admissions,
    scan_at_gate,
)
from autonom.server.service_layer.heartbeat import (
    TillHistory,
    mode_events,
    put_station_settings,
    receive_heartbeat,
    station_settings,
    till_history,
    till_overview,
)
from autonom.server.service_layer.master_data import (
    items,
    master_data,
    operators,
    tax_rates,
    upsert_item,
    upsert_operator,
    upsert_tax_rate,
)
from autonom.server.service_layer.queries import (
    day_report,
    find_receipts,
    find_tickets,
    get_ticket,
    list_flags,
)
from autonom.server.service_layer.sync import push
from autonom.server.service_layer.sync_reports import (
    get_sync_report,
    list_sync_reports,
    make_sync_report,
)
from autonom.server.service_layer.tills import (
    authenticate_till,
    check_same_till,
    record_push_refusal,
    register_till,
    renew_credential,
    secrets_match,
    till_position,
)

__all__ = [
    "BadRow",
    "Catalog",
    "ImportSummary",
    "TillHistory",
    "authenticate_till",
    "check_same_till",
    "day_report",
    "find_day_closes",
    "find_gate_scans",
    "find_receipts",
    "find_tickets",
    "get_sync_report",
    "get_ticket",
    "items",
    "known_tax_codes",
    "list_admissions",
    "list_card_payments",
    "list_flags",
    "list_sync_reports",
    "make_sync_report",
    "master_data",
    "mode_events",
    "operators",
    "push",
    "put_station_settings",
    "read_catalog",
    "receive_heartbeat",
    "record_push_refusal",
    "register_till",
    "renew_credential",
    "scan_at_gate",
    "secrets_match",
    "station_settings",
    "store_catalog",
    "tax_rates",
    "till_history",
    "till_overview",
    "till_position",
    "upsert_item",
    "upsert_operator",
    "upsert_tax_rate",
]
