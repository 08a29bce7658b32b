"""The card-payment device emulator (``autonom card-device``, docs/card-device.md): a
terminal driven by one till, with an emulated bank link, online authorisation and offline
store-and-forward in its own SQLite file (R2.5). The till reaches it only through
``autonom.devices.card_device``."""

from autonom.card_device.app import create_app
from autonom.card_device.terminal import CardDeviceSettings

__all__ = ["CardDeviceSettings", "create_app"]
