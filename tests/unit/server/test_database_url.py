"""Opening the server's database from a URL a person typed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import create_engine

from autonom.server.adapters import database_url
from autonom.server.adapters.tables import TwoPlaces


def test_postgresql_urls_use_psycopg_3() -> None:
    assert database_url("postgresql://u@h:5432/db") == "postgresql+psycopg://u@h:5432/db"
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert (
        database_url("sqlite:///var/server/server.sqlite") == "sqlite:///var/server/server.sqlite"
    )


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://"])
def test_money_is_stored_as_exact_hundredths(url: str) -> None:
    dialect = create_engine(url).dialect
    column = TwoPlaces()
    stored = column.process_bind_param(Decimal("99999.99"), dialect)
    assert stored == 9_999_999
    assert column.process_result_value(stored, dialect) == Decimal("99999.99")
    with pytest.raises(ValueError, match="two decimal places"):
        column.process_bind_param(Decimal("1.005"), dialect)
