"""Devices behind adapters: receipt printers (ESC/POS to a file or over TCP 9100: receipts
and the till's reports) and the card-payment device (HTTP, docs/card-device.md)."""

from autonom.devices.card_device import (
    CardAuthorisation,
    CardChanges,
    CardDevice,
    CardDeviceState,
    HttpCardDevice,
)
from autonom.devices.printer import (
    PrinterUnavailable,
    ReceiptPrinter,
    StoreHeader,
    open_printer,
    receipt_text,
    report_text,
)

__all__ = [
    "CardAuthorisation",
    "CardChanges",
    "CardDevice",
    "CardDeviceState",
    "HttpCardDevice",
    "PrinterUnavailable",
    "ReceiptPrinter",
    "StoreHeader",
    "open_printer",
    "receipt_text",
    "report_text",
]
