"""Operations belong to documents, not only to tickets: ``operations.ticket_id`` becomes
``document_id`` (a ticket's id for its events; a day close's, a gate scan's … own id for
theirs), with its index. Items get their kind (goods, voucher, admission, event ticket)
and a booking the number issued to it (a voucher's, an admission's).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_operations_ticket", table_name="operations")
    # Batch: SQLite rebuilds the table, PostgreSQL renames the column in place.
    with op.batch_alter_table("operations") as batch:
        batch.alter_column("ticket_id", new_column_name="document_id")
    op.create_index("ix_operations_document", "operations", ["store_id", "document_id", "id"])
    op.add_column("items", sa.Column("kind", sa.String(20), nullable=False, server_default="goods"))
    op.add_column("ticket_bookings", sa.Column("issued_number", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ticket_bookings") as batch:
        batch.drop_column("issued_number")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("kind")
    op.drop_index("ix_operations_document", table_name="operations")
    with op.batch_alter_table("operations") as batch:
        batch.alter_column("document_id", new_column_name="ticket_id")
    op.create_index("ix_operations_ticket", "operations", ["store_id", "ticket_id", "id"])
