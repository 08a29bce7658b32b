"""Importing a catalog (items and tax rates) from a CSV file: every row is checked first,
and either all of it is stored in one transaction or nothing is."""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from autonom.contracts import ItemPublic, TaxRatePublic
from autonom.domain import Item, ItemKind, Refusal, TaxRate
from autonom.domain.money import parse_amount
from autonom.server.adapters import SqlUnitOfWork

REQUIRED_COLUMNS = ("plu", "name", "price", "tax_code")
OPTIONAL_COLUMNS = ("tax_percent", "tax_name")


@dataclass(frozen=True)
class BadRow:
    """A row that cannot be imported: its line in the file and why, for a person to fix."""

    line: int
    reason: str


@dataclass
class Catalog:
    """The checked content of a catalog file."""

    tax_rates: dict[str, TaxRate] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class ImportSummary:
    items_added: int
    items_updated: int
    tax_rates_added: int
    tax_rates_updated: int
    master_data_version: int


def read_catalog(
    lines: Iterable[str], *, known_tax_codes: Collection[str]
) -> tuple[Catalog, list[BadRow]]:
    """Check every row of a catalog CSV; the catalog is only usable when no row is bad.

    ``known_tax_codes`` are the rates the store has already; a row with ``tax_percent``
    defines or changes its rate.
    """
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        columns = ",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        return Catalog(), [BadRow(1, f"the header lacks {', '.join(missing)}; expected {columns}")]
    reader.fieldnames = header
    catalog = Catalog()
    bad: list[BadRow] = []
    plu_lines: dict[str, int] = {}
    tax_code_lines: list[tuple[int, str]] = []
    for row in reader:
        line = reader.line_num
        try:
            item, rate = _read_row(row)
        except ValueError as problem:
            bad.append(BadRow(line, str(problem)))
            continue
        if item.plu in plu_lines:
            bad.append(BadRow(line, f"PLU {item.plu} is already on line {plu_lines[item.plu]}"))
            continue
        plu_lines[item.plu] = line
        if rate is not None:
            defined = catalog.tax_rates.setdefault(rate.code, rate)
            if defined != rate:
                bad.append(
                    BadRow(
                        line,
                        f"tax rate {rate.code} is {rate.percent} % '{rate.name}' here but "
                        f"{defined.percent} % '{defined.name}' on an earlier line",
                    )
                )
                continue
        catalog.items.append(item)
        tax_code_lines.append((line, item.tax_code))
    for line, code in tax_code_lines:
        if code not in catalog.tax_rates and code not in known_tax_codes:
            bad.append(
                BadRow(line, f"tax rate {code} is unknown; give tax_percent and tax_name once")
            )
    return catalog, sorted(bad, key=lambda b: b.line)


def _read_row(row: dict[str | None, str | None]) -> tuple[Item, TaxRate | None]:
    """One row as an item and, when it defines one, a tax rate; ValueError says what is wrong."""
    if None in row:
        raise ValueError("the row has more columns than the header")
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    try:
        price = parse_amount(cells["price"], allow_zero=False)
    except Refusal as refusal:
        raise ValueError(f"price: {refusal.message}") from None
    try:
        item = ItemPublic(
            plu=cells["plu"],
            name=cells["name"],
            price=price,
            tax_code=cells["tax_code"],
            kind=cells.get("kind") or ItemKind.GOODS,
        )
    except ValidationError as invalid:
        raise ValueError(_first_error(invalid)) from None
    rate = None
    percent_text = cells.get("tax_percent", "")
    if percent_text:
        try:
            percent = parse_amount(percent_text)
        except Refusal as refusal:
            raise ValueError(f"tax_percent: {refusal.message}") from None
        try:
            public = TaxRatePublic(
                code=item.tax_code,
                percent=percent,
                name=cells.get("tax_name") or f"{percent} %",
            )
        except ValidationError as invalid:
            raise ValueError(_first_error(invalid)) from None
        rate = TaxRate(code=public.code, percent=public.percent, name=public.name)
    elif cells.get("tax_name"):
        raise ValueError("tax_name is given without tax_percent")
    return (
        Item(
            plu=item.plu, name=item.name, price=item.price, tax_code=item.tax_code, kind=item.kind
        ),
        rate,
    )


def _first_error(invalid: ValidationError) -> str:
    error = invalid.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}"


def known_tax_codes(*, uow: SqlUnitOfWork) -> set[str]:
    """The codes of the store's tax rates, which a catalog may refer to without defining."""
    with uow:
        return {rate.code for rate in uow.master_data.tax_rates()}


def store_catalog(
    *, uow: SqlUnitOfWork, catalog: Catalog, on_item: Callable[[], None] | None = None
) -> ImportSummary:
    """Upsert a checked catalog's tax rates and items in one transaction."""
    rates_added = items_added = 0
    with uow:
        for rate in catalog.tax_rates.values():
            rates_added += uow.master_data.put_tax_rate(rate)
        for item in catalog.items:
            items_added += uow.master_data.put_item(item)
            if on_item is not None:
                on_item()
        version = uow.master_data.bump_version()
        uow.commit()
    return ImportSummary(
        items_added=items_added,
        items_updated=len(catalog.items) - items_added,
        tax_rates_added=rates_added,
        tax_rates_updated=len(catalog.tax_rates) - rates_added,
        master_data_version=version,
    )
