"""A ticket's bookings become rows of ``ticket_bookings`` instead of a JSON copy of the
wire model in ``tickets.bookings``; the JSON of every existing ticket is moved into rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:10:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Money and percent are whole hundredths (0001); the JSON held them as decimal strings.
_HUNDRED = Decimal(100)
# The JSON's fields, in the columns' names (voided_by and voided_at were never in it).
_FIELDS = (
    "booking_id",
    "plu",
    "name",
    "quantity",
    "unit_price",
    "tax_code",
    "tax_percent",
    "operator_number",
    "till_number",
    "booked_at",
    "offline",
    "void_reason",
)

tickets = sa.table(
    "tickets",
    sa.column("store_id", sa.Integer()),
    sa.column("ticket_id", sa.String()),
    sa.column("bookings", sa.Text()),
)
ticket_bookings = sa.table(
    "ticket_bookings",
    sa.column("store_id", sa.Integer()),
    sa.column("ticket_id", sa.String()),
    sa.column("line", sa.Integer()),
    *(sa.column(name) for name in _FIELDS if name not in ("booked_at", "offline")),
    sa.column("booked_at", sa.DateTime(timezone=True)),
    sa.column("offline", sa.Boolean()),
)


def upgrade() -> None:
    op.create_table(
        "ticket_bookings",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("booking_id", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("plu", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("tax_code", sa.Text(), nullable=False),
        sa.Column("tax_percent", sa.BigInteger(), nullable=False),
        sa.Column("operator_number", sa.Integer(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("voided_by", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "store_id", "ticket_id", "booking_id", name=op.f("pk_ticket_bookings")
        ),
    )
    connection = op.get_bind()
    rows = list(_rows_of_json(connection))
    # Set-based: a few multi-row inserts, however many tickets the store has.
    for start in range(0, len(rows), 1000):
        connection.execute(ticket_bookings.insert(), rows[start : start + 1000])
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("bookings")


def _rows_of_json(connection: sa.Connection) -> Iterator[dict[str, Any]]:
    for ticket in connection.execute(sa.select(tickets)):
        for line, booking in enumerate(json.loads(ticket.bookings), start=1):
            row = {name: booking.get(name) for name in _FIELDS}
            row["unit_price"] = int(Decimal(str(row["unit_price"])) * _HUNDRED)
            row["tax_percent"] = int(Decimal(str(row["tax_percent"])) * _HUNDRED)
            # In UTC: SQLite keeps the wall time only, as the server writes it (0001).
            row["booked_at"] = datetime.fromisoformat(row["booked_at"]).astimezone(UTC)
            yield {"store_id": ticket.store_id, "ticket_id": ticket.ticket_id, "line": line, **row}


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("bookings", sa.Text(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    by_ticket: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for row in connection.execute(
        sa.select(ticket_bookings).order_by(ticket_bookings.c.ticket_id, ticket_bookings.c.line)
    ):
        booking = {name: getattr(row, name) for name in _FIELDS}
        for name in ("unit_price", "tax_percent"):
            booking[name] = str((Decimal(booking[name]) / _HUNDRED).quantize(Decimal("0.01")))
        booked_at = booking["booked_at"]
        if isinstance(booked_at, datetime):  # in UTC, spelled as pydantic wrote it
            utc = booked_at.replace(tzinfo=booked_at.tzinfo or UTC).astimezone(UTC)
            booked_at = utc.isoformat().replace("+00:00", "Z")
        booking["booked_at"] = booked_at
        by_ticket.setdefault((row.store_id, row.ticket_id), []).append(booking)
    for (store_id, ticket_id), bookings in by_ticket.items():
        connection.execute(
            tickets.update()
            .where(tickets.c.store_id == store_id, tickets.c.ticket_id == ticket_id)
            .values(bookings=json.dumps(bookings))
        )
    op.drop_table("ticket_bookings")
