"""A store manager imports the catalog from a CSV file: everything or, if a row is bad,
nothing — with every bad row named by its line."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from autonom.cli import app as cli
from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import ADMIN, server_settings

GOOD = """plu,name,price,tax_code,tax_percent,tax_name
100,Espresso,2.40,A,19.00,Standard rate
101,Cappuccino,"3,40",A,,
300,Croissant,2.10,B,7.00,Reduced rate
"""

BAD = """plu,name,price,tax_code,tax_percent,tax_name
100,Espresso,2.40,A,19.00,Standard rate
101,Cappuccino,-3.40,A,,
102,Latte,3.999,A,,
100,Espresso again,2.50,A,,
103,,3.00,A,,
104,Tea,2.00,Q,,
"""


def import_file(db_url: str, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["catalog", "import", str(path), "--db", db_url])
    return result.exit_code, result.output


def catalog_on_server(db_url: str) -> tuple[list[tuple[str, str, str]], list[str]]:
    with TestClient(create_app(server_settings(db_url))) as server:
        items = server.get("/api/v1/items", headers=ADMIN).json()
        rates = server.get("/api/v1/tax-rates", headers=ADMIN).json()
    return (
        [(i["plu"], i["price"], i["tax_code"]) for i in items],
        [f"{r['code']} {r['percent']}" for r in rates],
    )


def test_good_catalog_is_imported(db_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(GOOD, encoding="utf-8")
    code, output = import_file(db_url, catalog)
    assert code == 0, output
    assert "Items: 3 added, 0 updated" in output
    assert "Tax rates: 2 added, 0 updated" in output
    items, rates = catalog_on_server(db_url)
    assert items == [("100", "2.40", "A"), ("101", "3.40", "A"), ("300", "2.10", "B")]
    assert rates == ["A 19.00", "B 7.00"]
    # The same file again changes nothing but says so; rates already known need no percent.
    catalog.write_text("plu,name,price,tax_code\n100,Espresso,2.50,A\n", encoding="utf-8")
    code, output = import_file(db_url, catalog)
    assert code == 0, output
    assert "Items: 0 added, 1 updated" in output
    assert catalog_on_server(db_url)[0][0] == ("100", "2.50", "A")


def test_bad_catalog_imports_nothing_and_names_every_bad_line(db_url: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(BAD, encoding="utf-8")
    code, output = import_file(db_url, catalog)
    assert code == 1
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in output, output
    assert "line 2:" not in output
    assert "nothing was imported" in output
    assert catalog_on_server(db_url) == ([], [])
