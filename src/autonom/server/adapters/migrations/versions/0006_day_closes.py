"""The tills' day closes with their Z reports (R2.8): ``day_closes``, one row per day close
a till pushed, unique per till and Z number unless marked ``duplicate``.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_closes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("z_number", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=64), nullable=False),
        sa.Column("operator_number", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_count", sa.Integer(), nullable=False),
        sa.Column("sales_total", sa.BigInteger(), nullable=False),
        sa.Column("grand_total", sa.BigInteger(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("duplicate", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_closes")),
    )
    op.create_index(
        "uq_day_closes_z_number",
        "day_closes",
        ["store_id", "till_number", "z_number"],
        unique=True,
        sqlite_where=sa.text("NOT duplicate"),
        postgresql_where=sa.text("NOT duplicate"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_day_closes_z_number",
        table_name="day_closes",
        sqlite_where=sa.text("NOT duplicate"),
        postgresql_where=sa.text("NOT duplicate"),
    )
    op.drop_table("day_closes")
