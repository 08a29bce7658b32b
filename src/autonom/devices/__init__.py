"""Devices behind adapters: receipt printers (ESC/POS to a file or over TCP 9100)."""

from autonom.devices.printer import (
    PrinterUnavailable,
    ReceiptPrinter,
    StoreHeader,
    open_printer,
    receipt_text,
)

__all__ = [
    "PrinterUnavailable",
    "ReceiptPrinter",
    "StoreHeader",
    "open_printer",
    "receipt_text",
]
