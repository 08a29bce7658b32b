"""Checking a catalog file row by row before anything is stored."""

from __future__ import annotations

import io
from decimal import Decimal

from autonom.server.service_layer import Catalog, read_catalog


def read(text: str, known: tuple[str, ...] = ()) -> tuple[Catalog, list[tuple[int, str]]]:
    catalog, bad = read_catalog(io.StringIO(text), known_tax_codes=set(known))
    return catalog, [(b.line, b.reason) for b in bad]


def test_rows_define_items_and_tax_rates() -> None:
    catalog, bad = read(
        "plu,name,price,tax_code,tax_percent,tax_name\n"
        "100,Espresso,2.40,A,19.00,Standard rate\n"
        '101,Cappuccino,"3,40",A,,\n'
    )
    assert bad == []
    assert [(i.plu, i.price) for i in catalog.items] == [
        ("100", Decimal("2.40")),
        ("101", Decimal("3.40")),
    ]
    [rate] = catalog.tax_rates.values()
    assert (rate.code, rate.percent, rate.name) == ("A", Decimal("19.00"), "Standard rate")


def test_known_tax_rate_needs_no_definition() -> None:
    _, bad = read("plu,name,price,tax_code\n100,Espresso,2.40,A\n", known=("A",))
    assert bad == []


def test_every_bad_row_is_named_by_its_line() -> None:
    _, bad = read(
        "plu,name,price,tax_code,tax_percent,tax_name\n"
        "100,Espresso,2.40,A,19.00,Standard rate\n"
        "101,Cappuccino,-3.40,A,,\n"
        "102,Latte,3.999,A,,\n"
        "100,Espresso again,2.50,A,,\n"
        "103,Tea,2.00,Q,,\n"
        "104,Cake,4.00,A,7.00,Reduced\n"
        "10 5,Water,1.00,A,,\n"
        "106,Juice,abc,A,,\n"
    )
    lines = [line for line, _ in bad]
    assert lines == [3, 4, 5, 6, 7, 8, 9]
    reasons = dict(bad)
    assert "more than zero" in reasons[3]
    assert "two decimal places" in reasons[4]
    assert "line 2" in reasons[5]
    assert "Q is unknown" in reasons[6]
    assert "19.00" in reasons[7]
    assert reasons[8].startswith("plu")


def test_missing_columns_are_reported_on_the_header() -> None:
    _, bad = read("plu,name,price\n100,Espresso,2.40\n")
    assert bad[0][0] == 1
    assert "tax_code" in bad[0][1]


def test_row_with_extra_cells_is_bad() -> None:
    _, bad = read("plu,name,price,tax_code\n100,Espresso,2.40,A,surplus\n", known=("A",))
    assert [line for line, _ in bad] == [2]


def test_a_row_may_name_the_items_kind_and_a_wrong_kind_is_named() -> None:
    catalog, bad = read(
        "plu,name,price,tax_code,kind\n"
        "100,Espresso,2.40,A,\n"
        "800,Day admission,12.00,A,admission\n"
        "900,Gift voucher,20.00,A,voucher\n"
        "901,Mystery,1.00,A,gift\n",
        known=("A",),
    )
    assert [(i.plu, i.kind.value) for i in catalog.items] == [
        ("100", "goods"),
        ("800", "admission"),
        ("900", "voucher"),
    ]
    assert [line for line, _ in bad] == [5]
    assert "kind" in bad[0][1]
