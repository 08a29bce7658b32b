"""Wiring of one till: the settings, the store, the server link, the background threads,
the printer and the cashier's use cases (``Selling``). ``TillSettings`` is the one settings
object; ``bootstrap`` builds a ``Till``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from autonom.devices.card_device import HttpCardDevice
from autonom.devices.printer import ReceiptPrinter, StoreHeader, open_printer
from autonom.domain.numbering import check_till_number
from autonom.till.adapters.server_link import ServerLink
from autonom.till.adapters.station import LOG_DIR, StationStore
from autonom.till.adapters.store import TillStore
from autonom.till.adapters.unit_of_work import Clock, SqliteReadUnitOfWork, SqliteUnitOfWork
from autonom.till.domain import SERVER_LINK, DetectorSettings
from autonom.till.service_layer.capabilities import BackendBoard, Capabilities
from autonom.till.service_layer.card_payments import CardPayments
from autonom.till.service_layer.gate import Gate
from autonom.till.service_layer.heartbeat import Heartbeat
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.reintegration import Reintegration
from autonom.till.service_layer.reports import Reports
from autonom.till.service_layer.selling import (
    SNAPSHOT_STALE_AFTER,
    Selling,
    count_local_open_tickets,
)
from autonom.till.service_layer.server_functions import EventSeating, ServerFunctions
from autonom.till.service_layer.snapshot import REFRESH_INTERVAL, SnapshotKeeper
from autonom.till.service_layer.sync_reports import SyncReports
from autonom.till.service_layer.uploader import Uploader

DEFAULT_HEADER = StoreHeader(
    name="Autonom demo café", address="1 Market Square, Springfield", vat_id="DE000000000"
)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TillSettings:
    """Everything a till is started with (``autonom till …``)."""

    number: int
    server_url: str
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8010
    printer: str = "file:receipts.escpos"
    enrolment_code: str | None = None
    name: str = ""
    store_header: StoreHeader = field(default=DEFAULT_HEADER)
    snapshot_interval: float = REFRESH_INTERVAL
    snapshot_stale_after: timedelta = SNAPSHOT_STALE_AFTER  # the page warns past this age
    server_link: DetectorSettings = SERVER_LINK
    operator_url: str | None = None  # the fiscal operator's base URL, watched when given
    card_device: str | None = None  # the card device's base URL (R2.5); none: no card payments

    def printer_spec(self) -> str:
        """The printer spec with a relative ``file:`` path placed inside the data dir."""
        kind, _, rest = self.printer.partition(":")
        if kind.strip().lower() == "file" and rest.strip() and not Path(rest).is_absolute():
            return f"file:{self.data_dir / rest}"
        return self.printer


@dataclass
class Till:
    """A running till: what the entrypoints call."""

    settings: TillSettings
    store: TillStore
    link: ServerLink
    uploader: Uploader
    snapshot: SnapshotKeeper
    station: StationStore
    modes: ModeKeeper
    heartbeat: Heartbeat
    printer: ReceiptPrinter
    clock: Clock
    selling: Selling
    backends: BackendBoard  # which backends are down, as the server and the devices say
    reports: Reports  # X report, report of emergency mode, day close (R2.8)
    gate: Gate  # scans of admissions at this till's gates (R2.6)
    server_functions: ServerFunctions  # vouchers, accounts, the settlement: asked live (R2.4)
    card_payments: CardPayments  # card payments through the card device (R2.5)
    sync_reports: SyncReports  # the report of each reintegration, printed here (R3.3)

    @property
    def number(self) -> int:
        return self.store.till_number

    def unit_of_work(self) -> SqliteUnitOfWork:
        """A write transaction (the sales lock, ``BEGIN IMMEDIATE``)."""
        return SqliteUnitOfWork(self.store, self.clock)

    def reading(self) -> SqliteReadUnitOfWork:
        """A read-only transaction on this thread's read connection (no lock)."""
        return SqliteReadUnitOfWork(self.store)

    def start(self) -> None:
        self.uploader.start()
        self.snapshot.start()
        self.heartbeat.start()
        self.card_payments.start()

    def stop(self) -> None:
        self.card_payments.stop()
        self.heartbeat.stop()
        self.snapshot.stop()
        self.uploader.stop()
        self.link.close()
        self.station.close()
        self.store.close()


def bootstrap(
    settings: TillSettings,
    *,
    clock: Clock = utc_now,
    server_transport: httpx.BaseTransport | None = None,
) -> Till:
    """Open the till's store and build its parts; ``Till.start`` starts the threads.
    ``server_transport`` carries the server link's requests (only tests pass one: an
    in-process server, a partition)."""
    number = check_till_number(settings.number)
    store = TillStore(settings.data_dir, till_number=number, server_url=settings.server_url)
    link = ServerLink(
        settings.server_url, number, credential=store.credential(), transport=server_transport
    )
    uploader = Uploader(store.path, link)
    store.after_commit(uploader.wake)

    def unit_of_work() -> SqliteUnitOfWork:
        return SqliteUnitOfWork(store, clock)

    def reading() -> SqliteReadUnitOfWork:
        return SqliteReadUnitOfWork(store)

    snapshot = SnapshotKeeper(
        store,
        link,
        unit_of_work,
        clock=clock,
        enrolment_code=settings.enrolment_code,
        name=settings.name or f"till {number}",
        interval=settings.snapshot_interval,
        on_registered=uploader.wake,
        on_credential_installed=uploader.credential_installed,
    )
    station = StationStore(store.path, settings.data_dir / LOG_DIR, number)
    modes = ModeKeeper(
        station, clock, count_local_open_tickets=lambda: count_local_open_tickets(reading())
    )
    backends = BackendBoard()
    printer = open_printer(settings.printer_spec())
    sync_reports = SyncReports(
        reading=reading,
        station=station,
        server=link,
        printer=printer,
        header=settings.store_header,
        wake=uploader.wake,
    )
    uploader.after_push(sync_reports.deliver)  # R3.3: asked and printed after the last push
    heartbeat = Heartbeat(
        modes,
        station,
        uploader,
        link,
        server_url=settings.server_url,
        settings=settings.server_link,
        operator_url=settings.operator_url,
        backends=backends,
        on_reintegrated=sync_reports.due,
    )
    capabilities = Capabilities(modes, backends)
    card_payments = CardPayments(
        unit_of_work=unit_of_work,
        reading=reading,
        capabilities=capabilities,
        modes=modes,
        backends=backends,
        device=HttpCardDevice(settings.card_device) if settings.card_device else None,
        till_number=number,
    )
    selling = Selling(
        unit_of_work=unit_of_work,
        reading=reading,
        modes=modes,
        capabilities=capabilities,
        tables=link,
        link_state=snapshot.state,
        upload_state=uploader.state,
        printer=printer,
        header=settings.store_header,
        till_number=number,
        clock=clock,
        snapshot_stale_after=settings.snapshot_stale_after,
        event_seats=EventSeating(reading, link, clock),
        card_payments=card_payments,
        reintegration=Reintegration(unit_of_work=unit_of_work, reading=reading, tables=link),
    )
    reports = Reports(
        unit_of_work=unit_of_work,
        reading=reading,
        mode=modes,
        capabilities=capabilities,
        printer=printer,
        header=settings.store_header,
        till_number=number,
        clock=clock,
    )
    gate = Gate(
        unit_of_work=unit_of_work,
        reading=reading,
        capabilities=selling.capabilities,
        server=link,
        offline=lambda: modes.sales_offline,
        ask_server=lambda: selling.shared_tables() is not None,
    )
    uploader.after_push(gate.refresh_results)  # results arrive after the push of the scans
    return Till(
        settings=settings,
        store=store,
        link=link,
        uploader=uploader,
        snapshot=snapshot,
        station=station,
        modes=modes,
        heartbeat=heartbeat,
        printer=printer,
        clock=clock,
        selling=selling,
        backends=backends,
        reports=reports,
        gate=gate,
        server_functions=ServerFunctions(selling, link),
        card_payments=card_payments,
        sync_reports=sync_reports,
    )
