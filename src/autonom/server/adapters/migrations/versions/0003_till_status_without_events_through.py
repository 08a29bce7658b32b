"""The till's status row stops keeping ``events_through``: the highest mode-event seq is
read from ``mode_events`` itself, so the fact is not kept twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch: SQLite rebuilds the table, PostgreSQL drops the column in place.
    with op.batch_alter_table("till_status") as batch:
        batch.drop_column("events_through")


def downgrade() -> None:
    with op.batch_alter_table("till_status") as batch:
        batch.add_column(
            sa.Column("events_through", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE till_status SET events_through = COALESCE((SELECT MAX(seq) FROM mode_events "
        "WHERE mode_events.store_id = till_status.store_id "
        "AND mode_events.till_number = till_status.till_number), 0)"
    )
