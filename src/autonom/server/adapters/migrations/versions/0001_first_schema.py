"""The first schema: tills, operations, tickets, receipts, master data, flags.

Money and percentages are whole hundredths (BigInteger); times are UTC.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 00:54:59.480886
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every table carries store_id (invariant 9).
    op.create_table(
        "flags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
    )
    op.create_index("ix_flags_store", "flags", ["store_id", "id"], unique=False)
    op.create_table(
        "operations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint("store_id", "op_id", name=op.f("uq_operations_store_id_op_id")),
        sa.UniqueConstraint(
            "store_id", "till_number", "seq", name=op.f("uq_operations_store_id_till_number_seq")
        ),
    )
    op.create_index(
        "ix_operations_ticket", "operations", ["store_id", "ticket_id", "id"], unique=False
    )
    op.create_table(
        "operators",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("pin_hash", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "number", name=op.f("pk_operators")),
    )
    op.create_table(
        "receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("duplicate", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
    )
    op.create_index("ix_receipts_closed_at", "receipts", ["store_id", "closed_at"], unique=False)
    op.create_index(
        "uq_receipts_number",
        "receipts",
        ["store_id", "number"],
        unique=True,
        sqlite_where=sa.text("NOT duplicate"),
        postgresql_where=sa.text("NOT duplicate"),
    )
    op.create_table(
        "stores",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("master_data_version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_stores")),
    )
    op.create_table(
        "tax_rates",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("percent", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "code", name=op.f("pk_tax_rates")),
    )
    op.create_table(
        "tickets",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("table_number", sa.Integer(), nullable=True),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("owner", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("receipt_number", sa.String(length=16), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bookings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "ticket_id", name=op.f("pk_tickets")),
    )
    op.create_index(
        "ix_tickets_table", "tickets", ["store_id", "status", "table_number"], unique=False
    )
    op.create_table(
        "till_positions",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("applied_through", sa.BigInteger(), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "till_number", name=op.f("pk_till_positions")),
    )
    op.create_table(
        "tills",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("credential_hash", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "number", name=op.f("pk_tills")),
    )
    op.create_index("ix_tills_credential", "tills", ["store_id", "credential_hash"], unique=False)
    op.create_table(
        "items",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plu", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("tax_code", sa.String(length=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id", "tax_code"],
            ["tax_rates.store_id", "tax_rates.code"],
            name=op.f("fk_items_store_id_tax_code_tax_rates"),
        ),
        sa.PrimaryKeyConstraint("store_id", "plu", name=op.f("pk_items")),
    )


def downgrade() -> None:
    op.drop_table("items")
    op.drop_index("ix_tills_credential", table_name="tills")
    op.drop_table("tills")
    op.drop_table("till_positions")
    op.drop_index("ix_tickets_table", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("tax_rates")
    op.drop_table("stores")
    op.drop_index(
        "uq_receipts_number",
        table_name="receipts",
        sqlite_where=sa.text("NOT duplicate"),
        postgresql_where=sa.text("NOT duplicate"),
    )
    op.drop_index("ix_receipts_closed_at", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("operators")
    op.drop_index("ix_operations_ticket", table_name="operations")
    op.drop_table("operations")
    op.drop_index("ix_flags_store", table_name="flags")
    op.drop_table("flags")
