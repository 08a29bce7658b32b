"""Admissions and gate scans (R2.6): ``admissions`` holds every admission sold (a booking
numbered from a till's form 04) once the receipt that sold it arrived, with its state
(valid, used, voided); ``gate_scans`` every scan registered, once per nonce, with the
verdict it counts as.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admissions",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_number", sa.String(length=16), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("sold_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "number", name=op.f("pk_admissions")),
    )
    op.create_table(
        "gate_scans",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=20), nullable=False),
        sa.Column("admission_number", sa.String(length=16), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator_number", sa.Integer(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "nonce", name=op.f("pk_gate_scans")),
    )
    op.create_index("ix_gate_scans_registered", "gate_scans", ["store_id", "registered_at"])


def downgrade() -> None:
    op.drop_index("ix_gate_scans_registered", table_name="gate_scans")
    op.drop_table("gate_scans")
    op.drop_table("admissions")
