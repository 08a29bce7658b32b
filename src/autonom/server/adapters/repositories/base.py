"""What every repository shares: the unit of work's connection, one store (invariant 9),
and the dialect's INSERT … ON CONFLICT."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.dialects import postgresql, sqlite


def dialect_insert(connection: Connection, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT (both engines spell it the same)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(connection: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert or update by primary key; True when the row was new."""
    key = {c.name: values[c.name] for c in table.primary_key.columns}
    where = [table.c[name] == value for name, value in key.items()]
    existed = connection.execute(select(*table.primary_key.columns).where(*where)).first()
    statement = dialect_insert(connection, table).values(**values)
    changes = {k: v for k, v in values.items() if k not in key}
    connection.execute(statement.on_conflict_do_update(index_elements=list(key), set_=changes))
    return existed is None


class Repository:
    """A repository works on the unit of work's connection and on one store."""

    def __init__(self, connection: Connection, store_id: int) -> None:
        self.connection = connection
        self.store_id = store_id

    def _is_postgresql(self) -> bool:
        return self.connection.dialect.name == "postgresql"
