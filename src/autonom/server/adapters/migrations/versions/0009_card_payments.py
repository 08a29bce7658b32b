"""Card payments (R2.5): each card payment on a receipt as its till's slip said it
(approved, or stored offline), and the bank's later verdict on a stored one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Money as whole hundredths (TwoPlaces), times in UTC, store_id on every table.
    op.create_table(
        "card_payments",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("payment_id", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=True),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("card_type", sa.String(length=20), nullable=True),
        sa.Column("masked_pan", sa.String(length=19), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("approval_code", sa.String(length=12), nullable=True),
        sa.Column("stored_offline", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "payment_id", name=op.f("pk_card_payments")),
    )
    op.create_index("ix_card_payments_state", "card_payments", ["store_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_card_payments_state", table_name="card_payments")
    op.drop_table("card_payments")
