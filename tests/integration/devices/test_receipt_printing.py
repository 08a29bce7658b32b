"""Printing receipts as real ESC/POS bytes: to a spool file and to a network printer."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from autonom.devices import PrinterUnavailable, StoreHeader, open_printer, receipt_text
from autonom.domain import Item, NumberRange, PaymentMethod, Receipt, TaxRate, Tender, Ticket
from tests.support.escpos_printer import PrinterEmulator, silent_printer

AT = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HEADER = StoreHeader(name="Café Autonom", address="Hauptstraße 1, Berlin", vat_id="DE123456789")
STANDARD = TaxRate("A", Decimal("19"), "standard")
ESPRESSO = Item("100", "Espresso", Decimal("2.40"), "A")

INIT = b"\x1b@"  # ESC @
CUT = b"\x1dV"  # GS V, followed by the cut mode
SELECT_PC858 = b"\x1bt\x13"  # ESC t 19: code page 858 (850 with the euro sign)


def espresso_receipt(number_range: NumberRange, *, offline: bool = False) -> Receipt:
    ticket = Ticket.open(ticket_id="t-1", table=3, till_number=10, operator_number=1, at=AT)
    ticket.book(
        ESPRESSO,
        STANDARD,
        2,
        booking_id="b-1",
        operator_number=1,
        till_number=10,
        at=AT,
        offline=offline,
    )
    return ticket.close(
        [Tender(PaymentMethod.CASH, Decimal("5.00"))],
        number_range.issue(),
        operator_number=1,
        till_number=10,
        at=AT,
        offline=offline,
    )


def assert_one_escpos_receipt(job: bytes, receipt: Receipt) -> None:
    assert job.startswith(INIT)
    assert receipt.number.encode() in job
    last_cut = job.rfind(CUT)
    assert last_cut > 0
    assert len(job) - last_cut == 3, "the job ends with GS V m"
    assert job.count(INIT) == 1


def test_a_receipt_printed_to_a_file_is_escpos_that_starts_clean_and_ends_with_a_cut(
    tmp_path: Path,
) -> None:
    spool = tmp_path / "till-10" / "printer" / "receipts.escpos"
    receipt = espresso_receipt(NumberRange(10, 1))

    open_printer(f"file:{spool}").print_receipt(receipt, HEADER, till_number=10)

    job = spool.read_bytes()
    assert_one_escpos_receipt(job, receipt)
    for text in (b"TOTAL", b"4.80", b"0.77"):
        assert text in job


def test_every_text_line_of_the_page_is_on_the_paper(tmp_path: Path) -> None:
    spool = tmp_path / "receipts.escpos"
    receipt = espresso_receipt(NumberRange(10, 2), offline=True)

    open_printer(f"file:{spool}").print_receipt(receipt, HEADER, till_number=10)

    job = spool.read_bytes()
    assert job.startswith(INIT + SELECT_PC858)
    assert job.count(b"\x1bt") == 1, "one code page for the whole receipt"
    for line in receipt_text(receipt, HEADER, till_number=10):
        assert line.strip().encode("cp858") in job
    assert "Café Autonom".encode("cp858") in job
    assert "2 × Espresso".encode("cp858") in job
    assert b"AUTONOMOUS" in job


def test_characters_the_printer_cannot_print_become_question_marks(tmp_path: Path) -> None:
    spool = tmp_path / "receipts.escpos"
    sushi = Item("500", "寿司 ☕ Crème", Decimal("2.40"), "A")
    ticket = Ticket.open(ticket_id="t-1", table=None, till_number=10, operator_number=1, at=AT)
    ticket.book(sushi, STANDARD, 1, booking_id="b-1", operator_number=1, till_number=10, at=AT)
    receipt = ticket.close(
        [Tender(PaymentMethod.CARD, Decimal("2.40"))],
        NumberRange(10, 1).issue(),
        operator_number=1,
        till_number=10,
        at=AT,
    )

    open_printer(f"file:{spool}").print_receipt(receipt, HEADER, till_number=10)

    job = spool.read_bytes()
    assert "1 × ?? ? Crème".encode("cp858") in job, "one column per character, as on the page"
    assert "寿司".encode("gb18030") not in job
    assert job.count(b"\x1bt") == 1


def test_receipts_are_appended_to_the_file_one_after_another(tmp_path: Path) -> None:
    spool = tmp_path / "receipts.escpos"
    printer = open_printer(f"file:{spool}")
    numbers = NumberRange(10, 1)
    first, second = espresso_receipt(numbers), espresso_receipt(numbers)

    printer.print_receipt(first, HEADER, till_number=10)
    printer.print_receipt(second, HEADER, till_number=10)

    job = spool.read_bytes()
    assert job.count(INIT) == 2
    assert job.index(first.number.encode()) < job.index(second.number.encode())
    assert job.index(b"10000001-01") < job.rindex(INIT) < job.index(b"10000002-01")


def test_a_file_that_cannot_be_written_makes_the_printer_unavailable(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the spool folder should be")

    printer = open_printer(f"file:{blocked}/receipts.escpos")

    with pytest.raises(PrinterUnavailable, match="not-a-directory"):
        printer.print_receipt(espresso_receipt(NumberRange(10, 1)), HEADER, till_number=10)


def test_a_network_printer_gets_the_same_bytes_as_the_file(tmp_path: Path) -> None:
    spool = tmp_path / "receipts.escpos"
    receipt = espresso_receipt(NumberRange(10, 1))
    open_printer(f"file:{spool}").print_receipt(receipt, HEADER, till_number=10)

    with PrinterEmulator() as printer:
        open_printer(f"tcp:127.0.0.1:{printer.port}").print_receipt(receipt, HEADER, 10)
        [job] = printer.wait_for_jobs(1)

    assert_one_escpos_receipt(job, receipt)
    assert job == spool.read_bytes()
    assert printer.received() == job


def test_each_receipt_is_its_own_job_on_the_network_printer() -> None:
    numbers = NumberRange(10, 1)
    with PrinterEmulator() as emulator:
        printer = open_printer(f"tcp:127.0.0.1:{emulator.port}")
        first, second = espresso_receipt(numbers), espresso_receipt(numbers)
        printer.print_receipt(first, HEADER, till_number=10)
        printer.print_receipt(second, HEADER, till_number=10)
        jobs = emulator.wait_for_jobs(2)

    numbers_per_job = [
        [r.number for r in (first, second) if r.number.encode() in job] for job in jobs
    ]
    assert sorted(numbers_per_job) == [[first.number], [second.number]]
    for job in jobs:
        assert job.startswith(INIT)
        assert job.rfind(CUT) == len(job) - 3


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nobody listens there now


@pytest.mark.timeout(10)
def test_a_printer_that_is_switched_off_is_reported_not_waited_for() -> None:
    port = closed_port()
    printer = open_printer(f"tcp:127.0.0.1:{port}")

    with pytest.raises(PrinterUnavailable, match=f"127.0.0.1:{port}.*refused"):
        printer.print_receipt(espresso_receipt(NumberRange(10, 1)), HEADER, till_number=10)


@pytest.mark.timeout(15)
def test_a_printer_that_never_answers_is_given_up_after_the_connect_timeout() -> None:
    with silent_printer() as port:
        printer = open_printer(f"tcp:127.0.0.1:{port}")

        with pytest.raises(PrinterUnavailable, match="did not answer within 2 s"):
            printer.print_receipt(espresso_receipt(NumberRange(10, 1)), HEADER, till_number=10)


def test_a_till_without_a_printer_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    open_printer("none").print_receipt(espresso_receipt(NumberRange(10, 1)), HEADER, 10)

    assert list(tmp_path.iterdir()) == []
