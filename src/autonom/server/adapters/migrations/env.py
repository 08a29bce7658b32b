"""Alembic's environment, driven from code: ``autonom.server.adapters.database.migrate``
hands over an open connection (already inside a transaction), so no ``alembic.ini`` and
no URL are needed at run time."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from autonom.server.adapters.tables import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through autonom.server.adapters.database.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
