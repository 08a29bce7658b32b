"""The functions that need the server (R2.4): vouchers and their redemptions, customer
accounts and their charges, the seats of events, and the backends marked down.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _store() -> sa.Column[int]:
    return sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False)


def _moment(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # Every table carries store_id (invariant 9); money is whole hundredths (BigInteger).
    op.create_table(
        "vouchers",
        _store(),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=16), nullable=False),
        _moment("sold_at"),
        sa.PrimaryKeyConstraint("store_id", "number", name=op.f("pk_vouchers")),
    )
    op.create_table(
        "voucher_redemptions",
        _store(),
        sa.Column("redemption_id", sa.String(length=64), nullable=False),
        sa.Column("voucher_number", sa.String(length=16), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        _moment("asked_at"),
        _moment("settled_at", nullable=True),
        sa.Column("receipt_number", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("store_id", "redemption_id", name=op.f("pk_voucher_redemptions")),
    )
    op.create_index(
        "ix_voucher_redemptions_ticket",
        "voucher_redemptions",
        ["store_id", "ticket_id", "state"],
    )
    op.create_table(
        "customers",
        _store(),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("credit_limit", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        _moment("updated_at"),
        sa.PrimaryKeyConstraint("store_id", "number", name=op.f("pk_customers")),
    )
    op.create_table(
        "account_charges",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("customer_number", sa.Integer(), nullable=False),
        sa.Column("receipt_number", sa.String(length=16), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        _moment("charged_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_charges")),
    )
    op.create_index(
        "ix_account_charges_customer", "account_charges", ["store_id", "customer_number", "id"]
    )
    op.create_table(
        "events",
        _store(),
        sa.Column("plu", sa.String(length=13), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("sold", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("store_id", "plu", name=op.f("pk_events")),
    )
    op.create_table(
        "event_seats",
        _store(),
        sa.Column("booking_id", sa.String(length=64), nullable=False),
        sa.Column("plu", sa.String(length=13), nullable=False),
        sa.Column("ticket_id", sa.String(length=64), nullable=False),
        sa.Column("till_number", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        _moment("held_at"),
        sa.PrimaryKeyConstraint("store_id", "booking_id", name=op.f("pk_event_seats")),
    )
    op.create_index("ix_event_seats_ticket", "event_seats", ["store_id", "ticket_id", "state"])
    op.create_table(
        "backends",
        _store(),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("up", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        _moment("changed_at"),
        sa.PrimaryKeyConstraint("store_id", "name", name=op.f("pk_backends")),
    )


def downgrade() -> None:
    op.drop_table("backends")
    op.drop_index("ix_event_seats_ticket", table_name="event_seats")
    op.drop_table("event_seats")
    op.drop_table("events")
    op.drop_index("ix_account_charges_customer", table_name="account_charges")
    op.drop_table("account_charges")
    op.drop_table("customers")
    op.drop_index("ix_voucher_redemptions_ticket", table_name="voucher_redemptions")
    op.drop_table("voucher_redemptions")
    op.drop_table("vouchers")
