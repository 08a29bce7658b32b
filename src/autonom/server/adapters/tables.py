"""The server's tables as SQLAlchemy Core ``Table``s; the migrations in ``migrations/`` create
them. Every table carries ``store_id`` (invariant 9), so a chain's stores can share or
partition one PostgreSQL.

Money and percentages are stored as whole hundredths (``TwoPlaces``) so that SQLite and
PostgreSQL hold exactly the same numbers and sums stay exact; times are stored in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

HUNDRED = Decimal(100)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class TwoPlaces(TypeDecorator[Decimal]):
    """A ``Decimal`` with two places (euros, percent), stored as a whole number of hundredths."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        hundredths = value * HUNDRED
        if hundredths != hundredths.to_integral_value():
            raise ValueError(f"{value} has more than two decimal places")
        return int(hundredths)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / HUNDRED).quantize(Decimal("0.01"))


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, always UTC; a naive value is taken to be UTC already."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time, read it back as UTC.
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
AutoId = BigInteger().with_variant(Integer(), "sqlite")

stores = Table(
    "stores",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("master_data_version", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

tills = Table(
    "tills",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(80), nullable=False),
    Column("credential_hash", String(64), nullable=False),
    Column("registered_at", UtcDateTime, nullable=False),
    # A new log opens only under a credential issued after the till's last log started.
    Column("credential_issued_at", UtcDateTime, nullable=False),
    Index("ix_tills_credential", "store_id", "credential_hash"),
)

# Each till database's log, with the highest sequence applied of it (docs/sync-protocol.md
# §4): a replaced till continues as a new log, numbered 1, 2, … per till. A log whose id the
# server made (a till registered without one, or before 0012) is not ``claimed`` yet.
till_logs = Table(
    "till_logs",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("till_number", Integer, primary_key=True, autoincrement=False),
    Column("log_id", String(36), primary_key=True),
    Column("log_number", Integer, nullable=False),
    Column("claimed", Boolean, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("applied_through", BigInteger, nullable=False),
    Column("last_push_at", UtcDateTime, nullable=True),
    UniqueConstraint("store_id", "till_number", "log_number"),
)

# The last push of each till the server refused: what the back office shows until it is
# mended (a later push applied).
push_refusals = Table(
    "push_refusals",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("till_number", Integer, primary_key=True, autoincrement=False),
    Column("code", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("refused_at", UtcDateTime, nullable=False),
)

operations = Table(
    "operations",
    metadata,
    # The id is the server's apply order: tickets are rebuilt by replaying in this order.
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("log_number", Integer, nullable=False),  # the till's log (till_logs) it belongs to
    Column("seq", BigInteger, nullable=False),
    Column("op_id", String(36), nullable=False),
    Column("kind", String(40), nullable=False),
    # The document the operation belongs to: a ticket's id, or a day close's, a scan's, …
    Column("document_id", String(64), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),
    UniqueConstraint("store_id", "till_number", "log_number", "seq"),
    UniqueConstraint("store_id", "op_id"),
    Index("ix_operations_document", "store_id", "document_id", "id"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("ticket_id", String(64), primary_key=True),
    Column("table_number", Integer, nullable=True),
    Column("till_number", Integer, nullable=False),
    Column("owner", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("total", TwoPlaces, nullable=False),
    Column("receipt_number", String(16), nullable=True),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    # A follow-up ticket (R3.2: lines no close covered) names the ticket it follows.
    Column("follows", String(64), nullable=True),
    Index("ix_tickets_table", "store_id", "status", "table_number"),
)

# The bookings of each ticket as the server rebuilt it, the domain ``Booking``'s fields;
# ``line`` keeps the order in which they were booked. No foreign key to ``tickets``: SQLite
# rebuilds a table to alter it (batch migrations), and its DROP would cascade to the rows.
ticket_bookings = Table(
    "ticket_bookings",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("ticket_id", String(64), primary_key=True),
    Column("booking_id", String(64), primary_key=True),
    Column("line", Integer, nullable=False),
    Column("plu", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("unit_price", TwoPlaces, nullable=False),
    Column("tax_code", Text, nullable=False),
    Column("tax_percent", TwoPlaces, nullable=False),
    Column("operator_number", Integer, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("booked_at", UtcDateTime, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("void_reason", Text, nullable=True),
    Column("voided_by", Integer, nullable=True),
    Column("voided_at", UtcDateTime, nullable=True),
    Column("issued_number", String(16), nullable=True),
)

receipts = Table(
    "receipts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("number", String(16), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("total", TwoPlaces, nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
    Column("offline", Boolean, nullable=False),
    # A reused number is still a sale (invariant 6): kept, marked, and flagged.
    Column("duplicate", Boolean, nullable=False, server_default=false()),
    Column("payload", Text, nullable=False),  # the TicketClosed event as JSON
    Index(
        "uq_receipts_number",
        "store_id",
        "number",
        unique=True,
        sqlite_where=text("NOT duplicate"),
        postgresql_where=text("NOT duplicate"),
    ),
    Index("ix_receipts_closed_at", "store_id", "closed_at"),
)

tax_rates = Table(
    "tax_rates",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(2), primary_key=True),
    Column("percent", TwoPlaces, nullable=False),
    Column("name", String(40), nullable=False),
)

items = Table(
    "items",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("plu", String(13), primary_key=True),
    Column("name", String(60), nullable=False),
    Column("price", TwoPlaces, nullable=False),
    Column("tax_code", String(2), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("kind", String(20), nullable=False, server_default="goods"),
    ForeignKeyConstraint(["store_id", "tax_code"], ["tax_rates.store_id", "tax_rates.code"]),
)

operators = Table(
    "operators",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(60), nullable=False),
    Column("role", String(10), nullable=False),
    Column("pin_hash", String(200), nullable=False),
)

flags = Table(
    "flags",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ticket_id", String(64), nullable=True),
    Column("code", String(40), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_flags_store", "store_id", "id"),
)

# The heartbeat (R1.1-R1.6): what each till reports, the changes it logged, and its station
# settings. A till without a ``station_settings`` row has the defaults of
# ``StationSettingsPublic``; a row may exist before its till registers.
station_settings = Table(
    "station_settings",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("till_number", Integer, primary_key=True, autoincrement=False),
    Column("emergency_allowed", Boolean, nullable=False),
    Column("auto_return_s", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

till_status = Table(
    "till_status",
    metadata,
    # The last report of each till; its row is locked while a report is received.
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("till_number", Integer, primary_key=True, autoincrement=False),
    Column("mode", String(30), nullable=False),
    Column("activity", String(10), nullable=False),
    Column("unsent_operations", Integer, nullable=False),
    Column("reported_at", UtcDateTime, nullable=False),
)

mode_events = Table(
    "mode_events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", UtcDateTime, nullable=False),  # the till's wall time of the change
    Column("link", String(20), nullable=False),
    Column("words", String(200), nullable=False),
    Column("state", String(30), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    # Also the index of "the till's events by seq": no second index on the same columns.
    UniqueConstraint("store_id", "till_number", "seq"),
)

# The tills' day closes with their Z reports (R2.8), as each till pushed them. A Z number
# that comes twice is still kept (invariant 6): marked, and flagged.
day_closes = Table(
    "day_closes",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("z_number", Integer, nullable=False),
    Column("document_id", String(64), nullable=False),
    Column("operator_number", Integer, nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),  # the till's time of the day close
    Column("period_start", UtcDateTime, nullable=True),
    Column("receipt_count", Integer, nullable=False),
    Column("sales_total", TwoPlaces, nullable=False),
    Column("grand_total", TwoPlaces, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("duplicate", Boolean, nullable=False, server_default=false()),
    Column("received_at", UtcDateTime, nullable=False),
    Column("payload", Text, nullable=False),  # the DayClosed event as JSON
    # Also the index of "a till's day closes by number".
    Index(
        "uq_day_closes_z_number",
        "store_id",
        "till_number",
        "z_number",
        unique=True,
        sqlite_where=text("NOT duplicate"),
        postgresql_where=text("NOT duplicate"),
    ),
)

# Admissions and gate scans (R2.6, docs/admissions.md). An admission is written when the
# receipt that sold it arrives; ``valid_from`` is then. ``state``: valid, used or voided;
# ``used_at``/``used_by``: the scan time and nonce of the scan that used it.
admissions = Table(
    "admissions",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("number", String(16), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("receipt_number", String(16), nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("sold_at", UtcDateTime, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("valid_from", UtcDateTime, nullable=False),
    Column("state", String(10), nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Column("used_by", String(64), nullable=True),
)

# Every scan registered, once per nonce, with the verdict it counts as.
gate_scans = Table(
    "gate_scans",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("nonce", String(64), primary_key=True),
    Column("till_number", Integer, nullable=False),
    Column("gate", String(20), nullable=False),
    Column("admission_number", String(16), nullable=False),
    Column("scanned_at", UtcDateTime, nullable=False),
    Column("operator_number", Integer, nullable=False),
    Column("offline", Boolean, nullable=False),
    Column("result", String(10), nullable=False),
    Column("reason", String(20), nullable=True),
    Column("used_at", UtcDateTime, nullable=True),
    Column("used_by", String(64), nullable=True),
    Column("registered_at", UtcDateTime, nullable=False),
    Index("ix_gate_scans_registered", "store_id", "registered_at"),
)

# The functions that need the server (R2.4, docs/server-functions.md). A voucher is
# registered when the receipt that sold it arrives; a redemption holds part of its value
# for a ticket until that ticket's receipt arrives (``state``: held, used, released).
vouchers = Table(
    "vouchers",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("number", String(16), primary_key=True),
    Column("value", TwoPlaces, nullable=False),
    Column("remaining", TwoPlaces, nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("receipt_number", String(16), nullable=False),
    Column("sold_at", UtcDateTime, nullable=False),
)

voucher_redemptions = Table(
    "voucher_redemptions",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("redemption_id", String(64), primary_key=True),
    Column("voucher_number", String(16), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("amount", TwoPlaces, nullable=False),
    Column("state", String(10), nullable=False),
    Column("asked_at", UtcDateTime, nullable=False),
    Column("settled_at", UtcDateTime, nullable=True),
    Column("receipt_number", String(16), nullable=True),
    Index("ix_voucher_redemptions_ticket", "store_id", "ticket_id", "state"),
)

customers = Table(
    "customers",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("name", String(60), nullable=False),
    Column("credit_limit", TwoPlaces, nullable=False),
    Column("balance", TwoPlaces, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

account_charges = Table(
    "account_charges",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("store_id", Integer, nullable=False),
    Column("customer_number", Integer, nullable=False),
    Column("receipt_number", String(16), nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("amount", TwoPlaces, nullable=False),
    Column("charged_at", UtcDateTime, nullable=False),
    Index("ix_account_charges_customer", "store_id", "customer_number", "id"),
)

# An event's seats: ``sold`` counts the seats held and sold, never more than ``capacity``.
events = Table(
    "events",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("plu", String(13), primary_key=True),
    Column("capacity", Integer, nullable=False),
    Column("sold", Integer, nullable=False),
)

event_seats = Table(
    "event_seats",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("booking_id", String(64), primary_key=True),
    Column("plu", String(13), nullable=False),
    Column("ticket_id", String(64), nullable=False),
    Column("till_number", Integer, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("state", String(10), nullable=False),  # held, sold, released
    Column("held_at", UtcDateTime, nullable=False),
    Index("ix_event_seats_ticket", "store_id", "ticket_id", "state"),
)

# The backends behind the server that the back office marked down (a row per backend ever
# marked; no row is up). Every heartbeat answer lists the down ones.
backends = Table(
    "backends",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(30), primary_key=True),
    Column("up", Boolean, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Card payments (R2.5): every card payment on a receipt as the till's slip said it
# (approved, or stored offline), and the bank's later verdict on a stored one. A payment
# known only from its verdict (its close never reached the server) lacks the card's facts.
card_payments = Table(
    "card_payments",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("payment_id", String(64), primary_key=True),
    Column("ticket_id", String(64), nullable=True),
    Column("till_number", Integer, nullable=False),
    Column("receipt_number", String(16), nullable=False),
    Column("amount", TwoPlaces, nullable=False),
    Column("card_type", String(20), nullable=True),
    Column("masked_pan", String(19), nullable=True),
    Column("state", String(10), nullable=False),  # stored | approved | declined
    Column("approval_code", String(12), nullable=True),
    Column("stored_offline", Boolean, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("settled_at", UtcDateTime, nullable=True),
    Index("ix_card_payments_state", "store_id", "state"),
)

# The sync reports (R3.3): what each reintegration of a till did — tickets moved 1:1,
# merged, owners changed, OFF bookings, conflicts for a person — built on the server when
# the till has pushed everything, kept as the report it printed (``payload``: its JSON).
sync_reports = Table(
    "sync_reports",
    metadata,
    Column("store_id", Integer, primary_key=True, autoincrement=False),
    Column("report_id", String(36), primary_key=True),
    Column("till_number", Integer, nullable=False),
    Column("first_seq", BigInteger, nullable=False),
    Column("through_seq", BigInteger, nullable=False),
    Column("since", UtcDateTime, nullable=False),  # the till's time its outage began
    Column("made_at", UtcDateTime, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Index("ix_sync_reports_made", "store_id", "made_at"),
)
