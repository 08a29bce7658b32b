"""Master data: tax rates, items and operators."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from autonom.domain.errors import BAD_PIN, Refusal


@dataclass(frozen=True)
class TaxRate:
    """A VAT rate, referred to by a short code printed on receipts (``A`` = 19 %)."""

    code: str
    percent: Decimal
    name: str


class ItemKind(StrEnum):
    """What booking an item means. Goods are just sold; a voucher and an admission ticket
    each get a number of their own when booked (``numbering.Form``: the till's own range,
    so they sell offline); an event ticket (a seat of a dated event) needs the server."""

    GOODS = "goods"
    VOUCHER = "voucher"
    ADMISSION = "admission"
    EVENT_TICKET = "event_ticket"


@dataclass(frozen=True)
class Item:
    """Something a till can book: PLU, name, gross unit price, its tax rate code and kind."""

    plu: str
    name: str
    price: Decimal
    tax_code: str
    active: bool = True
    kind: ItemKind = ItemKind.GOODS


class Role(StrEnum):
    CASHIER = "cashier"
    MANAGER = "manager"
    ADMIN = "admin"


_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """Hash a PIN with scrypt; the result ``scrypt$<salt hex>$<hash hex>`` is what is stored."""
    check_pin_format(pin)
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_pin_format(pin: str) -> None:
    """A PIN is 4 to 8 digits."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise Refusal(BAD_PIN, "A PIN is 4 to 8 digits.")


@dataclass(frozen=True)
class Operator:
    """A person who works a till; the PIN is only ever kept hashed."""

    number: int
    name: str
    role: Role
    pin_hash: str

    def pin_matches(self, pin: str) -> bool:
        """Compare in constant time; a malformed PIN simply does not match."""
        try:
            scheme, salt_hex, digest_hex = self.pin_hash.split("$")
        except ValueError:
            return False
        if scheme != "scrypt" or not (pin.isascii() and pin.isdigit()):
            return False
        digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
        return hmac.compare_digest(digest.hex(), digest_hex)
