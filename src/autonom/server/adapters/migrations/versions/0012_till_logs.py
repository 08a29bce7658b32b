"""Positions per till *and* log (issue 9, point 1): each till database has its own log id,
so a replaced or restored till continues as a new log instead of colliding with the old
one's sequences.

``till_positions`` becomes ``till_logs``: every till's position so far is its first log's
(a fresh log id, started when the till registered). Each operation names its log
(``operations.log_number``: 1, the till's first log, for every row already held), and a
sequence is unique per till and log. A log whose id the server made (every first log here,
and a till registering without one) is not ``claimed``: the first till database that pushes
under the till's credential with an id of its own claims it, so a till upgraded in place
continues its log. ``tills.credential_issued_at`` says when the till's credential was
issued (a new log opens only under a credential issued after the till's last log started).
``push_refusals`` keeps, per till, the last push the server refused, for the back office.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14 10:00:00.000000
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "till_logs",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("log_id", sa.String(length=36), nullable=False),
        sa.Column("log_number", sa.Integer(), nullable=False),
        sa.Column("claimed", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_through", sa.BigInteger(), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "till_number", "log_id", name=op.f("pk_till_logs")),
        sa.UniqueConstraint(
            "store_id",
            "till_number",
            "log_number",
            name=op.f("uq_till_logs_store_id_till_number_log_number"),
        ),
    )
    op.create_table(
        "push_refusals",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "till_number", name=op.f("pk_push_refusals")),
    )
    connection = op.get_bind()
    _first_logs(connection)

    with op.batch_alter_table("tills") as batch:
        batch.add_column(sa.Column("credential_issued_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE tills SET credential_issued_at = registered_at")
    with op.batch_alter_table("tills") as batch:
        batch.alter_column(
            "credential_issued_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )

    op.add_column("operations", sa.Column("log_number", sa.Integer(), nullable=True))
    op.execute("UPDATE operations SET log_number = 1")
    op.drop_index("ix_operations_document", table_name="operations")
    # Batch: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("operations") as batch:
        batch.alter_column("log_number", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_operations_store_id_till_number_seq", type_="unique")
        batch.create_unique_constraint(
            "uq_operations_store_id_till_number_log_number_seq",
            ["store_id", "till_number", "log_number", "seq"],
        )
    op.create_index("ix_operations_document", "operations", ["store_id", "document_id", "id"])
    op.drop_table("till_positions")


def _first_logs(connection: sa.Connection) -> None:
    """Every till the server knows (registered, positioned or with operations) gets its
    first log: a fresh id, the position it had, started when it registered."""
    tills = {
        (row.store_id, row.number): row.registered_at
        for row in connection.execute(sa.text("SELECT store_id, number, registered_at FROM tills"))
    }
    positions = {
        (row.store_id, row.till_number): (row.applied_through, row.last_push_at)
        for row in connection.execute(
            sa.text(
                "SELECT store_id, till_number, applied_through, last_push_at FROM till_positions"
            )
        )
    }
    pushed = {
        (row.store_id, row.till_number): row.through
        for row in connection.execute(
            sa.text(
                "SELECT store_id, till_number, max(seq) AS through FROM operations "
                "GROUP BY store_id, till_number"
            )
        )
    }
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite keeps the UTC wall time
    till_logs = sa.table(
        "till_logs",
        sa.column("store_id"),
        sa.column("till_number"),
        sa.column("log_id"),
        sa.column("log_number"),
        sa.column("claimed"),
        sa.column("started_at"),
        sa.column("applied_through"),
        sa.column("last_push_at"),
    )
    rows = []
    for key in sorted({*tills, *positions, *pushed}):
        applied_through, last_push_at = positions.get(key, (pushed.get(key, 0), None))
        rows.append(
            {
                "store_id": key[0],
                "till_number": key[1],
                "log_id": str(uuid.uuid4()),
                "log_number": 1,
                "claimed": False,
                "started_at": tills.get(key) or now,
                "applied_through": applied_through,
                "last_push_at": last_push_at,
            }
        )
    if rows:
        op.bulk_insert(till_logs, rows)


def downgrade() -> None:
    later = op.get_bind().execute(sa.text("SELECT count(*) FROM till_logs WHERE log_number > 1"))
    if later.scalar():
        # The old schema holds one log per till: going back would drop a later log's rows.
        raise RuntimeError("a till continued as a new log; this database cannot go below 0012")
    op.create_table(
        "till_positions",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("till_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("applied_through", sa.BigInteger(), nullable=False),
        sa.Column("last_push_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "till_number", name=op.f("pk_till_positions")),
    )
    op.execute(
        "INSERT INTO till_positions (store_id, till_number, applied_through, last_push_at) "
        "SELECT store_id, till_number, applied_through, last_push_at FROM till_logs"
    )
    op.drop_index("ix_operations_document", table_name="operations")
    with op.batch_alter_table("operations") as batch:
        batch.drop_constraint("uq_operations_store_id_till_number_log_number_seq", type_="unique")
        batch.create_unique_constraint(
            "uq_operations_store_id_till_number_seq", ["store_id", "till_number", "seq"]
        )
        batch.drop_column("log_number")
    op.create_index("ix_operations_document", "operations", ["store_id", "document_id", "id"])
    with op.batch_alter_table("tills") as batch:
        batch.drop_column("credential_issued_at")
    op.drop_table("push_refusals")
    op.drop_table("till_logs")
