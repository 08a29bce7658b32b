"""The heartbeat: station settings per till, the last report of each till, its mode events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every table carries store_id (invariant 9).
    op.create_table(
        "station_settings",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("emergency_allowed", sa.Boolean(), nullable=False),
        sa.Column("auto_return_s", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "till_number", name=op.f("pk_station_settings")),
    )
    op.create_table(
        "till_status",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("mode", sa.String(length=30), nullable=False),
        sa.Column("activity", sa.String(length=10), nullable=False),
        sa.Column("unsent_operations", sa.Integer(), nullable=False),
        sa.Column("events_through", sa.BigInteger(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "till_number", name=op.f("pk_till_status")),
    )
    op.create_table(
        "mode_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link", sa.String(length=20), nullable=False),
        sa.Column("words", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mode_events")),
        sa.UniqueConstraint(
            "store_id", "till_number", "seq", name=op.f("uq_mode_events_store_id_till_number_seq")
        ),
    )


def downgrade() -> None:
    op.drop_table("mode_events")
    op.drop_table("till_status")
    op.drop_table("station_settings")
