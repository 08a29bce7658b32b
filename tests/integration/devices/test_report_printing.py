"""The till's reports printed as real ESC/POS (R2.8): through the Reports service of a till on
a real SQLite file, to the printer emulator on TCP and to a spool file, decoded back line by
line."""

from __future__ import annotations

from pathlib import Path

from autonom.domain import PaymentMethod
from autonom.till.bootstrap import Till
from autonom.till.service_layer.commands import Tendered
from tests.integration.till.conftest import ANNA, make_till
from tests.support.escpos_printer import PrinterEmulator

INIT = b"\x1b@"  # ESC @
SELECT_PC858 = b"\x1bt\x13"  # ESC t 19
CUT = b"\x1dV"


def sell(till: Till, plu: str, quantity: int = 1) -> None:
    ticket = till.selling.open_ticket(ANNA, None)
    till.selling.book(ANNA, ticket.ticket_id, plu, quantity)
    till.selling.pay(ANNA, ticket.ticket_id, [Tendered(PaymentMethod.CASH)], print_receipt=False)


def text_of(job: bytes) -> list[str]:
    """The printed text of one job: the ESC/POS commands around it taken off."""
    assert job.startswith(INIT + SELECT_PC858)
    assert job.rfind(CUT) == len(job) - 3, "the job ends with GS V m"
    body = job[len(INIT + SELECT_PC858) : job.rfind(CUT)]
    *lines, feed = body.decode("cp858").split("\n")  # each line ends in LF; then the feed
    assert feed.startswith("\x1bd"), "ESC d n: the paper is fed to the cutter"
    return lines


def test_the_z_report_printed_on_a_network_printer_reads_as_on_the_page(tmp_path: Path) -> None:
    with PrinterEmulator() as printer:
        till = make_till(tmp_path / "till-10", printer=f"tcp:127.0.0.1:{printer.port}")
        try:
            sell(till, "100", 2)
            sell(till, "200")
            z = till.reports.day_close(ANNA)
            problem = till.reports.print(z)
            [job] = printer.wait_for_jobs(1)
            page = till.reports.lines(z)
        finally:
            till.stop()

    assert problem is None
    printed = text_of(job)
    assert printed == page
    assert "Z REPORT - DAY CLOSE 0001" in job.decode("cp858")
    assert "Autonom demo café".encode("cp858") in job, "the accent on the paper's code page"
    assert any(line.split() == ["TOTAL", "EUR", "6.70"] for line in printed)


def test_x_and_offline_reports_go_to_the_spool_file_one_job_each(tmp_path: Path) -> None:
    spool = tmp_path / "till-10" / "receipts.escpos"
    till = make_till(tmp_path / "till-10", printer=f"file:{spool}")
    try:
        sell(till, "102")
        x = till.reports.x_report()
        offline = till.reports.offline_report()
        assert till.reports.print(x) is None
        assert till.reports.print(offline) is None
        x_lines, offline_lines = till.reports.lines(x), till.reports.lines(offline)
    finally:
        till.stop()

    data = spool.read_bytes()
    assert data.count(INIT) == 2
    first, second = (INIT + job for job in data.split(INIT)[1:])
    assert text_of(first) == x_lines
    assert text_of(second) == offline_lines
    assert "X REPORT (INTERIM)" in first.decode("cp858")
    assert "REPORT OF EMERGENCY MODE" in second.decode("cp858")


def test_a_printer_that_is_off_keeps_the_day_close_and_says_why(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the spool folder should be")
    till = make_till(tmp_path / "till-10", printer=f"file:{blocked}/receipts.escpos")
    try:
        sell(till, "100")
        z = till.reports.day_close(ANNA)
        problem = till.reports.print(z)
        kept = till.reports.day_closes()
    finally:
        till.stop()

    assert problem is not None
    assert "not-a-directory" in problem
    assert [k.z_number for k in kept] == [1]
