"""The server's handlers: plain functions taking keyword arguments and a unit of work."""

from autonom.server.service_layer.catalog import (
    BadRow,
    Catalog,
    ImportSummary,
    known_tax_codes,
    read_catalog,
    store_catalog,
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
    find_receipts,
    find_tickets,
    get_ticket,
    list_flags,
)
from autonom.server.service_layer.sync import push
from autonom.server.service_layer.tills import (
    authenticate_till,
    check_same_till,
    list_tills,
    register_till,
    renew_credential,
    till_position,
)

__all__ = [
    "BadRow",
    "Catalog",
    "ImportSummary",
    "authenticate_till",
    "check_same_till",
    "find_receipts",
    "find_tickets",
    "get_ticket",
    "items",
    "known_tax_codes",
    "list_flags",
    "list_tills",
    "master_data",
    "operators",
    "push",
    "read_catalog",
    "register_till",
    "renew_credential",
    "store_catalog",
    "tax_rates",
    "till_position",
    "upsert_item",
    "upsert_operator",
    "upsert_tax_rate",
]
