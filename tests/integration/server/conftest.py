"""The server under test: built with ``create_app`` on a real SQLite file and on the real
PostgreSQL, driven through HTTP with FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import server_settings
from tests.support.databases import database_url


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def server(db_url: str) -> Iterator[TestClient]:
    """A running server app on a fresh database, as the back office and tills reach it."""
    with TestClient(create_app(server_settings(db_url))) as client:
        yield client
