"""Receipt printing: the readable receipt laid out once, and ESC/POS printers behind an adapter.

``receipt_text`` is the only place a receipt is laid out, ``report_text`` the only place a
report of the till (X, emergency mode, Z: R2.8) is, ``sync_report_text`` the sync report's
(R3.3); the cashier page shows their lines and
the printers print the same lines as ESC/POS bytes (python-escpos), so page and paper
always agree. A printer is chosen by a spec: ``file:PATH``, ``tcp:HOST:PORT`` or ``none``.
"""

from __future__ import annotations

import os
import socket
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Protocol

from autonom.domain import Booking, CardSlip, PaymentMethod, Receipt
from autonom.domain.admission import is_admission_number
from autonom.domain.card import CardPaymentState
from autonom.domain.reports import Report, ReportKind, ZReport
from autonom.domain.sync_report import SyncReport

__all__ = [
    "PrinterUnavailable",
    "ReceiptPrinter",
    "StoreHeader",
    "open_printer",
    "receipt_text",
    "report_text",
    "sync_report_text",
]

WIDTH = 42  # characters per line: 80 mm paper, Font A (512 dots / 12 dots per character)
CONNECT_TIMEOUT = 2.0  # seconds; a printer that does not answer by then is unavailable
WRITE_TIMEOUT = 5.0  # seconds; a receipt is a few kB, so a printer that stalls longer is stuck
AUTONOMOUS_MARK = "*** AUTONOMOUS - OFFLINE ***"  # R4.2
OFFLINE_BOOKING_MARK = "OFF"  # R3.2
NOT_AT_GATE_YET = "not valid at the gate until synced"  # R2.6
PAPER_CODE_PAGE = "CP858"  # PC858: code page 850 with the euro sign
STORED_OFFLINE_MARK = "Stored offline - result pending"  # R2.5: the bank decides later


@dataclass(frozen=True)
class StoreHeader:
    """What every receipt says about the store that issued it."""

    name: str
    address: str
    vat_id: str


class PrinterUnavailable(Exception):
    """The printer cannot be reached or written; the message says which one and why."""


class ReceiptPrinter(Protocol):
    def print_receipt(self, receipt: Receipt, header: StoreHeader, till_number: int) -> None:
        """Print one receipt, or raise PrinterUnavailable."""

    def print_lines(self, lines: Sequence[str]) -> None:
        """Print lines laid out elsewhere (a report: ``report_text``) as one job, or raise
        PrinterUnavailable."""


# -- layout ---------------------------------------------------------------------------


class _Style(Enum):
    NORMAL = "normal"
    TITLE = "title"  # the store name: bold, double height, centred
    TOTAL = "total"  # the total: bold, double height


@dataclass(frozen=True)
class _Line:
    text: str
    style: _Style = _Style.NORMAL


def receipt_text(receipt: Receipt, header: StoreHeader, till_number: int) -> list[str]:
    """The receipt as lines of at most 42 characters, exactly as they go on paper."""
    return [line.text for line in _layout(receipt, header, till_number)]


def _layout(receipt: Receipt, header: StoreHeader, till_number: int) -> list[_Line]:
    rule = _Line("-" * WIDTH)
    lines: list[_Line] = []
    lines += [_Line(t, _Style.TITLE) for t in _centred(header.name)]
    lines += [_Line(t) for t in _centred(header.address)]
    lines += [_Line(t) for t in _centred(f"VAT ID {header.vat_id}")]
    lines.append(rule)
    lines.append(_Line(_spread(f"Till {till_number}", f"Receipt {receipt.number}")))
    lines.append(_Line(_spread(_local(receipt.closed_at), f"Operator {receipt.operator_number}")))
    if receipt.table is not None:
        lines.append(_Line(f"Table {receipt.table}"))
    lines.append(rule)
    # Voided lines are left out: they are not sales, and the journal keeps them.
    for booking in receipt.lines:
        mark = f" {OFFLINE_BOOKING_MARK}" if booking.offline else ""
        right = f"{mark} {_clean(booking.tax_code)[:2]:>2} {_amount(booking.amount):>9}"
        lines.append(_Line(_spread(f"{booking.quantity} × {_clean(booking.name)}", right)))
        lines += _admission_lines(booking, offline=receipt.offline)
    lines.append(rule)
    lines.append(_Line(_spread("TOTAL", f"EUR {_amount(receipt.total)}"), _Style.TOTAL))
    lines.append(rule)
    lines.append(_Line(f"{'Tax':<10}{'Net':>10}{'VAT':>11}{'Gross':>11}"))
    for tax in receipt.taxes:
        rate = f"{_clean(tax.code)[:2]} {_percent(tax.percent)}"
        lines.append(
            _Line(f"{rate:<10}{_amount(tax.net):>10}{_amount(tax.tax):>11}{_amount(tax.gross):>11}")
        )
    lines.append(rule)
    for payment in receipt.payments:
        if payment.method is PaymentMethod.CASH:
            lines.append(_Line(_spread("Cash given", _amount(payment.tendered))))
            lines.append(_Line(_spread("Change", _amount(payment.change))))
        elif payment.method is PaymentMethod.VOUCHER:
            lines.append(
                _Line(
                    _spread(f"Voucher {_clean(payment.reference or '')}", _amount(payment.amount))
                )
            )
        elif payment.method is PaymentMethod.ACCOUNT:
            lines.append(
                _Line(
                    _spread(
                        f"On account {_clean(payment.reference or '')}", _amount(payment.amount)
                    )
                )
            )
        elif payment.card is None:
            lines.append(_Line(_spread("Card", _amount(payment.amount))))
        else:
            lines += _card_slip(payment.card, payment.amount)
    if receipt.offline:
        lines.append(rule)
        lines.append(_Line(AUTONOMOUS_MARK.center(WIDTH).rstrip()))
    lines.append(_Line(""))
    lines.append(_Line("Thank you".center(WIDTH).rstrip()))
    return lines

    return lines


_REPORT_TITLES = {
    ReportKind.X: "X REPORT (INTERIM)",
    ReportKind.OFFLINE: "REPORT OF EMERGENCY MODE",
    ReportKind.Z: "Z REPORT - DAY CLOSE",
}
_METHOD_NAMES = {PaymentMethod.CASH: "Cash", PaymentMethod.CARD: "Card"}


def report_text(report: Report, header: StoreHeader) -> list[str]:
    """A report of the till (X, emergency mode, Z) as lines of at most 42 characters,
    exactly as they go on paper."""
    rule = "-" * WIDTH
    figures = report.figures
    lines = [*_centred(header.name), *_centred(header.address)]
    lines.append(rule)
    title = _REPORT_TITLES[report.kind]
    if isinstance(report, ZReport):
        title = f"{title} {report.z_number:04d}"
    lines.append(title.center(WIDTH).rstrip())
    lines.append(_spread(f"Till {report.till_number}", _local(report.made_at)))
    since = _local(report.period_start) if report.period_start else "the first receipt"
    lines.append(_spread("Since", since))
    if isinstance(report, ZReport):
        lines.append(_spread("Closed by", f"Operator {report.operator_number}"))
    lines.append(rule)
    lines.append(_spread("Receipts", str(figures.receipt_count)))
    lines.append(_spread("  in the emergency range", str(figures.emergency_count)))
    for numbers in figures.receipt_ranges:
        lines.append(_spread(f"  form {numbers.form:02d}", numbers.first_receipt))
        lines.append(_spread("    to", numbers.last_receipt))
    if isinstance(report, ZReport) and report.null:
        lines.append("NULL Z: NO RECEIPTS SINCE THE LAST ONE".center(WIDTH).rstrip())
    lines.append(rule)
    lines.append(_spread("TOTAL", f"EUR {_amount(figures.sales_total)}"))
    lines.append(rule)
    for tax in figures.tax_totals:
        rate = f"{_clean(tax.code)[:2]} {_percent(tax.percent)}"
        lines.append(_spread(f"Tax {rate}", f"gross {_amount(tax.gross_total)}"))
        net, vat = _amount(tax.net_total), _amount(tax.tax_total)
        lines.append(_spread(f"  net {net}", f"VAT {vat}"))
    if figures.tax_totals:
        lines.append(rule)
    for payment in figures.payment_totals:
        name = _METHOD_NAMES.get(payment.method, payment.method.value.capitalize())
        lines.append(_spread(f"{name} ({payment.count})", _amount(payment.amount_total)))
        if payment.method is PaymentMethod.CARD and figures.stored_card_count:
            stored = f"  stored offline ({figures.stored_card_count})"
            lines.append(_spread(stored, _amount(figures.stored_card_total)))
    lines.append(_spread(f"Voided lines ({figures.void_count})", _amount(figures.void_total)))
    if report.kind is ReportKind.OFFLINE:
        lines.append(rule)
        lines.append(_spread("Operations not yet sent", str(report.unsent_count or 0)))
        if report.unsent_receipts:
            lines.append("Unsent receipts:")
            lines += textwrap.wrap(" ".join(report.unsent_receipts), WIDTH)
    if isinstance(report, ZReport):
        lines.append(rule)
        lines.append(_spread("Grand total", f"EUR {_amount(report.grand_total)}"))
        if report.offline:
            lines.append(AUTONOMOUS_MARK.center(WIDTH).rstrip())
            lines.append("queued, sent when the server is back".center(WIDTH).rstrip())
    return lines


def sync_report_text(report: SyncReport, header: StoreHeader) -> list[str]:
    """The sync report of a reintegration (R3.3) as lines of at most 42 characters, as they
    go on the front-office printer and on the back-office page: what moved 1:1, what was
    merged and who owns it now, the OFF bookings (those on open tickets one by one: a
    re-booked duplicate is voided with "void due to emergency mode"), the conflicts."""
    rule = "-" * WIDTH
    lines = [*_centred(header.name), rule, "SYNC REPORT".center(WIDTH).rstrip()]
    lines.append(_spread(f"Till {report.till_number}", _local(report.made_at)))
    lines.append(_spread("Outage since", _local(report.since)))
    lines.append(_spread("Operations", f"{report.first_seq}-{report.through_seq}"))
    lines.append(rule)
    lines.append(f"MOVED 1:1 ({len(report.moved)} open)")
    for ticket in report.moved:
        lines.append(_spread(f"  {_where(ticket.table)}", _amount(ticket.total)))
    lines.append(
        _spread(f"  receipts ({report.offline_receipts})", _amount(report.offline_receipts_total))
    )
    lines.append(f"MERGED ({len(report.merged)})")
    for merge in report.merged:
        lines.append(
            _spread(f"  {_where(merge.table)}: {merge.lines} line(s)", _amount(merge.total))
        )
        lines.append(f"    owner now operator {merge.owner}")
    lines.append(f"OWNERS CHANGED ({len(report.owners_changed)})")
    for change in report.owners_changed:
        lines.append(f"  {_where(change.table)}: operator {change.owner}")
    lines.append(rule)
    lines.append(
        _spread(
            f"{OFFLINE_BOOKING_MARK} bookings ({report.off_bookings})", _amount(report.off_total)
        )
    )
    if report.off_on_open_tickets:
        lines.append("  on open tickets (duplicates? void them")
        lines.append('  with "void due to emergency mode"):')
    for booking in report.off_on_open_tickets:
        what = f"  {_where(booking.table)} {booking.quantity} x {_clean(booking.name)}"
        lines.append(_spread(what, f"{_amount(booking.amount)} {OFFLINE_BOOKING_MARK}"))
    lines.append(rule)
    lines.append(f"CONFLICTS FOR A PERSON ({len(report.conflicts)})")
    for conflict in report.conflicts:
        lines.append(f"  {conflict.code}")
        lines += textwrap.wrap(
            _clean(conflict.message), WIDTH, initial_indent="    ", subsequent_indent="    "
        )
    if not report.conflicts:
        lines.append("  none")
    return lines


def _where(table: int | None) -> str:
    return f"Table {table}" if table is not None else "Counter"


def _local(moment: datetime) -> str:
    # The till's local time: the page and the paper show what the clock on the wall says.
    return moment.astimezone().strftime("%d.%m.%Y %H:%M:%S")


def _admission_lines(booking: Booking, *, offline: bool) -> list[_Line]:
    """An admission's number, which the gate reads; sold offline, the gate cannot know it
    until the till has synced (R2.6)."""
    if not is_admission_number(booking.issued_number):
        return []
    lines = [_Line(f"  Admission {booking.issued_number}")]
    if offline:
        lines.append(_Line(f"  {NOT_AT_GATE_YET}"))
    return lines


def _card_slip(slip: CardSlip, amount: Decimal) -> list[_Line]:
    """A card payment with the device's answer (R2.5): the card, and the approval code or
    that it was stored offline with the bank's verdict to come."""
    card = f"Card {slip.card_type.label} ****{slip.masked_pan[-4:]}"
    lines = [_Line(_spread(card, _amount(amount)))]
    if slip.state is CardPaymentState.STORED:
        lines.append(_Line(f"  {STORED_OFFLINE_MARK}"))
    elif slip.approval_code:
        lines.append(_Line(f"  Approval code {_clean(slip.approval_code)}"))
    return lines


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _percent(value: Decimal) -> str:
    # 19 → "19%", 7.5 → "7.5%"; never "1.9E+1%".
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _clean(text: str) -> str:
    """One printable line: control characters (a newline in an item name) become spaces."""
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).strip()


def _centred(text: str) -> list[str]:
    wrapped = textwrap.wrap(_clean(text), WIDTH) or [""]
    return [part.center(WIDTH).rstrip() for part in wrapped]


def _spread(left: str, right: str) -> str:
    """``left`` and ``right`` on one line; ``left`` is shortened, never the amount."""
    right = right[:WIDTH]
    room = WIDTH - len(right) - 1
    if room < 1:
        return right
    left = left[:room]
    return f"{left}{' ' * (WIDTH - len(left) - len(right))}{right}"


# -- ESC/POS ----------------------------------------------------------------------------


def _escpos_bytes(lines: Sequence[_Line]) -> bytes:
    """Initialise, the lines (of ``receipt_text``, ``report_text``) with their styles, cut."""
    # Imported here: python-escpos takes a quarter of a second to import, and only a
    # till that prints needs it.
    from escpos.printer import Dummy

    printer = Dummy()
    printer.hw("INIT")  # ESC @: a printer left in an odd mode by someone else starts clean
    # One code page for the whole receipt (ESC t 19): it holds ×, €, umlauts and accents, and
    # anything else prints as "?" in one column, so no line outgrows the paper. Left to guess,
    # python-escpos switches pages mid-line and sends Chinese as raw GB18030.
    printer.charcode(PAPER_CODE_PAGE)
    for line in lines:
        if line.style is _Style.NORMAL:
            printer.textln(line.text)
            continue
        align = "center" if line.style is _Style.TITLE else "left"
        text = line.text.strip() if line.style is _Style.TITLE else line.text
        printer.set(align=align, bold=True, double_height=True)
        printer.textln(text)
        printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()
    output: bytes = printer.output
    return output


# -- printers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _FilePrinter:
    """Appends each receipt's ESC/POS bytes to a file (a spool, or a printer device file)."""

    path: Path

    def print_receipt(self, receipt: Receipt, header: StoreHeader, till_number: int) -> None:
        self._send(_escpos_bytes(_layout(receipt, header, till_number)))

    def print_lines(self, lines: Sequence[str]) -> None:
        self._send(_escpos_bytes([_Line(text) for text in lines]))

    def _send(self, data: bytes) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as spool:
                spool.write(data)
                spool.flush()
                os.fsync(spool.fileno())
        except OSError as error:
            raise PrinterUnavailable(
                f"Cannot write to the printer file {self.path}: {error.strerror or error}."
            ) from error


@dataclass(frozen=True)
class _NetworkPrinter:
    """A network ESC/POS printer (raw TCP, usually port 9100); one connection per receipt."""

    host: str
    port: int

    def print_receipt(self, receipt: Receipt, header: StoreHeader, till_number: int) -> None:
        self._send(_escpos_bytes(_layout(receipt, header, till_number)))

    def print_lines(self, lines: Sequence[str]) -> None:
        self._send(_escpos_bytes([_Line(text) for text in lines]))

    def _send(self, data: bytes) -> None:
        where = f"{self.host}:{self.port}"
        try:
            conn = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT)
        except TimeoutError as error:
            raise PrinterUnavailable(
                f"The printer at {where} did not answer within {CONNECT_TIMEOUT:g} s; "
                "is it switched on and connected?"
            ) from error
        except ConnectionRefusedError as error:
            raise PrinterUnavailable(
                f"The printer at {where} refused the connection; is it switched on?"
            ) from error
        except OSError as error:
            raise PrinterUnavailable(
                f"Cannot reach the printer at {where}: {error.strerror or error}."
            ) from error
        with conn:
            try:
                conn.settimeout(WRITE_TIMEOUT)
                conn.sendall(data)
                # Half-close so the printer sees the end of the job before the socket goes.
                conn.shutdown(socket.SHUT_WR)
            except TimeoutError as error:
                raise PrinterUnavailable(
                    f"The printer at {where} stopped taking data (paper out or cover open?)."
                ) from error
            except OSError as error:
                raise PrinterUnavailable(
                    f"The printer at {where} dropped the receipt: {error.strerror or error}."
                ) from error


class _NoPrinter:
    """A till without a printer: receipts are shown on the page only."""

    def print_receipt(self, receipt: Receipt, header: StoreHeader, till_number: int) -> None:
        return None

    def print_lines(self, lines: Sequence[str]) -> None:
        return None


def open_printer(spec: str) -> ReceiptPrinter:
    """The printer named by ``file:PATH``, ``tcp:HOST:PORT`` or ``none``; ValueError otherwise.

    Nothing is opened yet: each receipt opens the file or connection it needs.
    """
    kind, _, rest = spec.strip().partition(":")
    kind = kind.lower()
    if kind == "none" and not rest:
        return _NoPrinter()
    if kind == "file":
        if not rest.strip():
            raise ValueError(
                f"Printer spec {spec!r} names no file; write it like file:receipts.escpos."
            )
        return _FilePrinter(Path(rest))
    if kind == "tcp":
        host, _, port_text = rest.rpartition(":")
        host = host.strip().removeprefix("[").removesuffix("]")  # tcp:[::1]:9100
        if not host or not port_text.strip().isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(
                f"Printer spec {spec!r} needs a host and a port from 1 to 65535, "
                "like tcp:192.168.1.50:9100."
            )
        return _NetworkPrinter(host, int(port_text))
    raise ValueError(
        f"Unknown printer spec {spec!r}; use file:PATH, tcp:HOST:PORT (usually port 9100) or none."
    )
