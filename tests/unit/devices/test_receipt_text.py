"""The printed receipt: what a customer reads on paper and a cashier sees on the page."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.devices import StoreHeader, receipt_text
from autonom.domain import (
    Form,
    Item,
    NumberRange,
    PaymentMethod,
    Receipt,
    TaxRate,
    Tender,
    Ticket,
)

AT = datetime(2026, 11, 21, 12, 0, 5, tzinfo=UTC)
STANDARD = TaxRate("A", Decimal("19"), "standard")
REDUCED = TaxRate("B", Decimal("7"), "reduced")
RATES = {"A": STANDARD, "B": REDUCED}
ESPRESSO = Item("100", "Espresso", Decimal("2.40"), "A")
CROISSANT = Item("200", "Croissant", Decimal("1.90"), "B")
CAKE = Item("300", "Cheesecake", Decimal("3.90"), "B")
HEADER = StoreHeader(
    name="Café Autonom", address="Hauptstraße 1, 10115 Berlin", vat_id="DE123456789"
)


class Sale:
    """A ticket on till 10, built with the real domain, one step per cashier action."""

    def __init__(self, *, table: int | None = None, offline: bool = False) -> None:
        self.offline = offline
        self.ticket = Ticket.open(
            ticket_id="t-1", table=table, till_number=10, operator_number=7, at=AT, offline=offline
        )

    def book(self, item: Item, quantity: int = 1, *, offline: bool | None = None) -> str:
        booking = self.ticket.book(
            item,
            RATES[item.tax_code],
            quantity,
            booking_id=f"b-{len(self.ticket.bookings) + 1}",
            operator_number=7,
            till_number=10,
            at=AT,
            offline=self.offline if offline is None else offline,
        )
        return booking.booking_id

    def void(self, booking_id: str) -> None:
        self.ticket.void(booking_id, "typo", operator_number=7, till_number=10, at=AT)

    def pay(self, *tenders: Tender, last_number: int = 4) -> Receipt:
        form = Form.EMERGENCY_RECEIPT if self.offline else Form.RECEIPT
        return self.ticket.close(
            tenders,
            NumberRange(10, form, last_number).issue(),
            operator_number=7,
            till_number=10,
            at=AT,
            offline=self.offline,
        )


def cash(amount: str) -> Tender:
    return Tender(PaymentMethod.CASH, Decimal(amount))


def card(amount: str) -> Tender:
    return Tender(PaymentMethod.CARD, Decimal(amount))


def line_with(lines: list[str], text: str) -> str:
    found = [line for line in lines if text in line]
    assert len(found) == 1, f"expected one line with {text!r} in {lines}"
    return found[0]


@pytest.fixture
def berlin_time() -> Iterator[None]:
    """Run the test as a till whose clock is set to Berlin time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_a_cash_sale_shows_store_till_number_operator_lines_total_taxes_and_change(
    berlin_time: None,
) -> None:
    sale = Sale(table=5)
    sale.book(ESPRESSO, 2)
    sale.book(CROISSANT)
    receipt = sale.pay(cash("10.00"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert lines[0].strip() == "Café Autonom"
    assert lines[1].strip() == "Hauptstraße 1, 10115 Berlin"
    assert "DE123456789" in lines[2]
    assert line_with(lines, "Till 10").endswith("Receipt 10000005-01")
    # 12:00:05 UTC is 13:00:05 on a till in Berlin in November.
    assert line_with(lines, "21.11.2026").split() == ["21.11.2026", "13:00:05", "Operator", "7"]
    assert line_with(lines, "Table").strip() == "Table 5"
    assert line_with(lines, "Espresso").split() == ["2", "×", "Espresso", "A", "4.80"]
    assert line_with(lines, "Croissant").split() == ["1", "×", "Croissant", "B", "1.90"]
    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "6.70"]
    assert line_with(lines, "A 19%").split() == ["A", "19%", "4.03", "0.77", "4.80"]
    assert line_with(lines, "B 7%").split() == ["B", "7%", "1.78", "0.12", "1.90"]
    assert line_with(lines, "Cash given").split() == ["Cash", "given", "10.00"]
    assert line_with(lines, "Change").split() == ["Change", "3.30"]
    assert not any("Card" in line for line in lines)
    assert not any("AUTONOMOUS" in line or "OFF" in line.split() for line in lines)


def test_amounts_are_right_aligned_with_two_decimals() -> None:
    sale = Sale()
    sale.book(ESPRESSO, 5)
    receipt = sale.pay(cash("20"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert line_with(lines, "Espresso").endswith(" 12.00")
    assert line_with(lines, "TOTAL").endswith(" 12.00")
    assert line_with(lines, "Cash given").endswith(" 20.00")
    assert line_with(lines, "Change").endswith(" 8.00")
    assert all(len(line) == 42 for line in lines if line.endswith(("12.00", "20.00", "8.00")))


def test_a_counter_sale_has_no_table_line() -> None:
    sale = Sale()
    sale.book(CROISSANT)
    receipt = sale.pay(cash("1.90"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert not any("Table" in line for line in lines)
    assert line_with(lines, "Change").split() == ["Change", "0.00"]


def test_a_card_and_cash_sale_shows_both_payments() -> None:
    sale = Sale()
    sale.book(ESPRESSO, 2)
    sale.book(CAKE)
    receipt = sale.pay(card("5.00"), cash("5.00"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "8.70"]
    assert line_with(lines, "Card").split() == ["Card", "5.00"]
    assert line_with(lines, "Cash given").split() == ["Cash", "given", "5.00"]
    assert line_with(lines, "Change").split() == ["Change", "1.30"]


def test_a_voided_line_is_not_printed_as_a_sale() -> None:
    sale = Sale()
    sale.book(ESPRESSO)
    cake = sale.book(CAKE)
    sale.void(cake)
    receipt = sale.pay(cash("2.40"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert not any("Cheesecake" in line for line in lines)
    assert not any("3.90" in line for line in lines)
    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "2.40"]
    assert not any(line.startswith("B ") for line in lines), "no tax line for a voided rate"


def test_bookings_made_in_emergency_mode_are_marked_off() -> None:
    sale = Sale(table=12)
    sale.book(ESPRESSO)
    sale.book(CROISSANT, offline=True)
    receipt = sale.pay(cash("5.00"))

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert "OFF" not in line_with(lines, "Espresso").split()
    assert line_with(lines, "Croissant").split() == ["1", "×", "Croissant", "OFF", "B", "1.90"]


def test_a_receipt_closed_in_emergency_mode_carries_the_autonomous_mark() -> None:
    sale = Sale(offline=True)
    sale.book(ESPRESSO)
    receipt = sale.pay(cash("2.40"), last_number=0)

    lines = receipt_text(receipt, HEADER, till_number=10)

    assert line_with(lines, "Receipt").endswith("10000001-02")
    assert "AUTONOMOUS" in line_with(lines, "AUTONOMOUS")
    assert line_with(lines, "Espresso").split() == ["1", "×", "Espresso", "OFF", "A", "2.40"]


def test_no_line_is_wider_than_the_paper_even_with_long_names_and_large_amounts() -> None:
    header = StoreHeader(
        name="Konditorei und Kaffeehaus zur alten Stadtmühle am Marktplatz",
        address="Große Bahnhofstraße 123a, Hinterhaus, 3. Obergeschoss, 12345 Irgendwo",
        vat_id="DE" + "9" * 40,
    )
    long_name = Item(
        "400", "Hausgemachte Schwarzwälder Kirschtorte\nmit Sahne", Decimal("999.99"), "B"
    )
    sale = Sale(table=9999, offline=True)
    sale.book(long_name, 99, offline=True)
    sale.book(ESPRESSO, 400)
    receipt = sale.pay(card("1000.00"), cash("99999.99"), last_number=999_998)

    lines = receipt_text(receipt, header, till_number=999)

    assert all(len(line) <= 42 for line in lines), [line for line in lines if len(line) > 42]
    assert all("\n" not in line for line in lines)
    cake = line_with(lines, "Hausgemachte")
    assert cake.startswith("99 × Hausgemachte")
    assert cake.split()[-3:] == ["OFF", "B", "98999.01"], "the name is cut, never the amount"
    assert line_with(lines, "TOTAL").split() == ["TOTAL", "EUR", "99959.01"]
    assert line_with(lines, "Receipt").split() == ["Till", "999", "Receipt", "10999999-02"]
    assert "Stadtmühle" in " ".join(lines[:3]), "a long store name wraps instead of being cut"
