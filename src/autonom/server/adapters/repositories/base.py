"""What every repository shares: the unit of work's connection, one store (invariant 9),
the dialect's INSERT … ON CONFLICT, and the bulk insert of many rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import sql
from sqlalchemy import ColumnElement, Connection, Table, any_, literal, select
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


def bulk_insert(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (each with the same columns) in one go, inside the connection's
    transaction: on PostgreSQL by ``COPY … FROM STDIN`` on the same psycopg connection (the
    columns' types convert each value as a bound parameter would be), elsewhere by one
    executemany. A row that breaks a constraint fails the whole insert, as an INSERT would."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    processors = [(name, table.c[name].type.bind_processor(connection.dialect)) for name in names]
    copy_rows = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection inside the unit of work
    with driver.cursor() as cursor, cursor.copy(copy_rows) as copy:
        for row in rows:
            copy.write_row(
                [
                    row[name] if convert is None else convert(row[name])
                    for name, convert in processors
                ]
            )


class Repository:
    """A repository works on the unit of work's connection and on one store."""

    def __init__(self, connection: Connection, store_id: int) -> None:
        self.connection = connection
        self.store_id = store_id

    def _is_postgresql(self) -> bool:
        return self.connection.dialect.name == "postgresql"

    def _one_of(self, column: ColumnElement[Any], values: Iterable[Any]) -> ColumnElement[bool]:
        """``column IN values``. On PostgreSQL ``column = ANY(<one array parameter>)``: the
        statement's text is the same for any number of values, so it is parsed once, not
        once per push (an IN list of 500 parameters costs more to send than to run)."""
        wanted = sorted(set(values))
        if self._is_postgresql():
            return column == any_(literal(wanted, postgresql.ARRAY(column.type)))
        return column.in_(wanted)
