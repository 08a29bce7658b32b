"""Choosing a till's printer by a spec: ``file:PATH``, ``tcp:HOST:PORT`` or ``none``."""

from __future__ import annotations

from pathlib import Path

import pytest

from autonom.devices import open_printer
from autonom.devices.printer import _FilePrinter, _NetworkPrinter, _NoPrinter


def test_a_file_spec_names_the_file_receipts_are_appended_to() -> None:
    printer = open_printer("file:var/till-10/receipts.escpos")
    assert printer == _FilePrinter(Path("var/till-10/receipts.escpos"))


def test_a_file_path_may_itself_contain_colons() -> None:
    assert open_printer("file:/tmp/a:b.escpos") == _FilePrinter(Path("/tmp/a:b.escpos"))


def test_a_tcp_spec_names_a_network_printer() -> None:
    assert open_printer("tcp:192.168.1.50:9100") == _NetworkPrinter("192.168.1.50", 9100)
    assert open_printer("tcp:printer.local:9100") == _NetworkPrinter("printer.local", 9100)


def test_a_tcp_spec_accepts_a_bracketed_ipv6_address() -> None:
    assert open_printer("tcp:[::1]:9100") == _NetworkPrinter("::1", 9100)


def test_none_means_a_till_without_a_printer() -> None:
    assert isinstance(open_printer("none"), _NoPrinter)
    assert isinstance(open_printer(" NONE "), _NoPrinter)


def test_opening_a_network_printer_does_not_connect_yet() -> None:
    # A till must start even when its printer is off; only printing may fail.
    assert open_printer("tcp:203.0.113.1:9100") == _NetworkPrinter("203.0.113.1", 9100)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("", "Unknown printer spec"),
        ("lpt1", "Unknown printer spec"),
        ("usb:04b8:0202", "Unknown printer spec"),
        ("none:x", "Unknown printer spec"),
        ("file:", "names no file"),
        ("file:   ", "names no file"),
        ("tcp:", "needs a host and a port"),
        ("tcp:192.168.1.50", "needs a host and a port"),
        ("tcp::9100", "needs a host and a port"),
        ("tcp:printer:abc", "needs a host and a port"),
        ("tcp:printer:0", "needs a host and a port"),
        ("tcp:printer:65536", "needs a host and a port"),
        ("tcp:printer:-1", "needs a host and a port"),
    ],
)
def test_a_wrong_spec_is_refused_with_a_clear_message(spec: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        open_printer(spec)
    assert repr(spec) in str(refused.value), "the message quotes what was typed"
