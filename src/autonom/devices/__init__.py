"""Devices behind adapters: receipt printers (ESC/POS to a file or over TCP 9100), which
print receipts and the till's reports."""

from autonom.devices.printer import (
    PrinterUnavailable,
    ReceiptPrinter,
    StoreHeader,
    open_printer,
    receipt_text,
    report_text,
)

__all__ = [
    "PrinterUnavailable",
    "ReceiptPrinter",
    "StoreHeader",
    "open_printer",
    "receipt_text",
    "report_text",
]
