"""The server brings its database to the latest schema by itself when it starts."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from autonom.server import DEFAULT_DB_URL
from autonom.server.adapters import database_url, prepare_database
from autonom.server.adapters.database import MIGRATIONS
from autonom.server.adapters.tables import metadata
from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import server_settings


def head_revision() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_fresh_database_is_migrated_on_start(db_url: str) -> None:
    with TestClient(create_app(server_settings(db_url))) as server:
        assert server.get("/api/v1/health").status_code == 200
    # A second start (or a second server process) finds the schema in place.
    with TestClient(create_app(server_settings(db_url))) as server:
        assert server.get("/api/v1/health").status_code == 200
    engine = create_engine(database_url(db_url))
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            assert version == [(head_revision(),)]
            tables = set(inspect(connection).get_table_names())
            assert set(metadata.tables) <= tables
            stores = connection.execute(text("SELECT store_id FROM stores")).all()
            assert stores == [(1,)]
            # The migrations create exactly the tables the code uses.
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_every_table_carries_the_store_id() -> None:
    for table in metadata.tables.values():
        assert "store_id" in table.columns, table.name


def test_default_database_is_created_with_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    engine = prepare_database(DEFAULT_DB_URL, store_id=1)
    engine.dispose()
    assert (tmp_path / "var" / "server" / "server.sqlite").is_file()


# The released migrations, byte for byte: a schema change is a new revision, never an edit
# of one that stores already ran (their databases would never see the change).
RELEASED = {
    "0001_first_schema.py": "3480c67874058d9d1b891ec692ad049faa35f6151beefd4e6d60da49b9086c28",
    "0002_heartbeat.py": "4ec5a9e868814b4cb1061d065390f1e94b8ac368708d31b74aa46ec4d8a27a10",
}


def test_released_migrations_are_never_edited() -> None:
    for name, digest in RELEASED.items():
        content = (MIGRATIONS / "versions" / name).read_bytes()
        assert hashlib.sha256(content).hexdigest() == digest, f"{name} was edited"
