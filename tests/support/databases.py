"""Real databases for tests: a SQLite file in the test's folder, or a fresh database on
the PostgreSQL at 127.0.0.1:5432 that is dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/{name}"
BACKENDS = ("sqlite", "postgresql")


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database on ``backend``; it is gone afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite'}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}")
    name = f"autonom_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        drop_database(name)


def drop_database(name: str) -> None:
    """Drop a test database even while connections to it are still open."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
