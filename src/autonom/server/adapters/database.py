"""The one way the server opens its database: an engine per URL, SQLite set up for
durability and concurrent readers, and the Alembic migrations applied from code."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import Connection, make_url

from autonom.server.adapters.tables import stores

MIGRATIONS = Path(__file__).parent / "migrations"
# Execution option that makes a SQLite transaction take the write lock at BEGIN.
WRITE_OPTION = "autonom_write"
# One constant key: every server process migrating the same PostgreSQL waits on it.
_MIGRATION_LOCK = 0x6175_746F_6E6F_6D


def database_url(url: str) -> str:
    """Normalise a URL given by a person: ``postgresql://`` means psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_database_engine(url: str) -> Engine:
    """An engine for ``url``; for a SQLite file its folder is created and WAL turned on."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 3})


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is off; "begin" below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # The server acknowledges pushes; a till then forgets them, so a commit must survive
        # a power cut (invariant 3).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A writer takes the lock at BEGIN: two pushes then queue on busy_timeout instead of
        # failing when a read lock is upgraded; this serialises writes (the push's lock).
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions write (on SQLite: BEGIN IMMEDIATE)."""
    return engine.connect().execution_options(**{WRITE_OPTION: True})


@contextmanager
def _schema_transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction that server processes starting together take one at a time."""
    with (
        engine.connect().execution_options(**{WRITE_OPTION: True}) as connection,
        connection.begin(),
    ):
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        yield connection


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to Alembic's head (or to ``revision``, to test an upgrade), once
    even when several processes start together."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Alembic narrates every step at INFO; a server start needs none of it.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with _schema_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_store(engine: Engine, store_id: int) -> None:
    """Create the store's row (its master-data version) if this is its first start."""
    with _schema_transaction(engine) as connection:
        exists = connection.execute(
            select(stores.c.store_id).where(stores.c.store_id == store_id)
        ).first()
        if exists is None:
            connection.execute(
                stores.insert().values(
                    store_id=store_id, master_data_version=0, created_at=datetime.now(UTC)
                )
            )


def prepare_database(url: str, store_id: int) -> Engine:
    """Open the database at ``url``, migrate it to head and make sure the store exists."""
    engine = create_database_engine(url)
    migrate(engine)
    ensure_store(engine, store_id)
    return engine
