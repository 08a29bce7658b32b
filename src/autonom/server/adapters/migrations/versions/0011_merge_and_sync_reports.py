"""Reintegration (R3.2, R3.3): a follow-up ticket names the ticket it follows
(``tickets.follows``), and the sync report of each reintegration is kept
(``sync_reports``).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: every ticket of an older server follows none. SQLite adds it in
    # place (no batch rebuild), so ticket_bookings and the rest stay as they are.
    op.add_column("tickets", sa.Column("follows", sa.String(length=64), nullable=True))
    op.create_table(
        "sync_reports",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "report_id", name=op.f("pk_sync_reports")),
    )
    op.create_index("ix_sync_reports_made", "sync_reports", ["store_id", "made_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_reports_made", table_name="sync_reports")
    op.drop_table("sync_reports")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("follows")
