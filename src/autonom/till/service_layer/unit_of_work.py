"""What the till's handlers need of storage, as interfaces (cosmicpython): a write unit of
work (``TillUnitOfWork``) and a read-only one (``TillReadUnitOfWork``). The SQLite classes
in ``adapters.unit_of_work`` implement them; the handlers' unit tests run on in-memory
fakes (``tests/unit/till/fakes.py``).

A write unit of work is the only way a sale, a ticket or a receipt is written: ``with uow:
…; uow.commit()``; leaving the block without commit rolls back. A read-only one never
writes and never waits for a sale.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from autonom.contracts import MasterData, TicketPublic
from autonom.domain import Event, Item, NumberRange, Operator, Receipt, TaxRate, Ticket
from autonom.domain.admission import ScanResult
from autonom.domain.events import GateScanned
from autonom.domain.reports import PeriodStart, ZReport
from autonom.till.adapters.gate_scans import GateScan
from autonom.till.adapters.outbox import UnsentDocument
from autonom.till.adapters.repository import SnapshotInfo
from autonom.till.domain.card_payments import CardIntent


class Tickets(Protocol):
    """Tickets with their bookings and voids; ``get`` marks a ticket for the commit."""

    def add(self, ticket: Ticket) -> None: ...

    def get(self, ticket_id: str) -> Ticket: ...

    def exists(self, ticket_id: str) -> bool: ...

    def is_shared(self, ticket_id: str) -> bool:
        """True for a ticket adopted from the server (opened by another till)."""
        ...

    def open_at_table(self, table: int) -> Ticket | None: ...

    def list_open(self) -> list[Ticket]: ...

    def count_local_open(self) -> int: ...

    def list_local_open(self) -> list[Ticket]:
        """The open tickets holding emergency-mode work (R1.6), by table."""
        ...

    def count_own_open(self, till_number: int) -> int: ...

    def adopt(self, shared: TicketPublic) -> Ticket: ...

    def merge_from_server(self, shared: TicketPublic) -> int: ...

    def receipt_number_of(self, ticket_id: str) -> str | None:
        """The number of the receipt the ticket was closed with (here or elsewhere)."""
        ...

    def left_elsewhere(self, shown: TicketPublic, *, at: datetime) -> None:
        """The server holds this till's open ticket closed or moved (paid or moved on
        another till meanwhile): so it is here too, without a receipt of this till's."""
        ...


class MasterDataCopy(Protocol):
    """The till's copy of items, tax rates and operators (R2.2)."""

    def item(self, plu: str) -> Item: ...

    def tax_rate(self, code: str) -> TaxRate: ...

    def operator(self, number: int) -> Operator: ...

    def operators(self) -> list[Operator]: ...

    def search_items(self, text: str) -> list[Item]: ...

    def info(self) -> SnapshotInfo: ...

    def replace(self, master: MasterData, *, fetched_at: datetime) -> None: ...


class Ranges(Protocol):
    """The till's receipt number ranges, one per form (invariant 4)."""

    def get(self, form: int) -> NumberRange: ...

    def save(self, number_range: NumberRange) -> None: ...


class Receipts(Protocol):
    """Receipts as saved at close."""

    def get(self, number: str) -> Receipt: ...

    def closed_between(self, start: datetime, end: datetime) -> list[Receipt]: ...

    def after(self, through: Mapping[int, int]) -> list[Receipt]: ...


class UnsentOperations(Protocol):
    """What of the outbox the server has not confirmed yet (R2.7)."""

    def unsent_count(self) -> int: ...

    def unsent_receipt_count(self) -> int: ...

    def unsent_documents(self, limit: int = 500) -> list[UnsentDocument]: ...

    def unsent_by_kind(self) -> dict[str, int]: ...

    def unsent_receipt_numbers(self) -> set[str]: ...

    def span_since(self, at: datetime) -> tuple[int, int]:
        """The log's part recorded from ``at`` on: its first and last seq (R3.3)."""
        ...


class DayCloseHistory(Protocol):
    """The till's day closes as read (R2.8)."""

    def period_start(self) -> PeriodStart: ...

    def get(self, z_number: int) -> ZReport: ...

    def recent(self, limit: int = 100) -> list[ZReport]: ...


class DayCloses(DayCloseHistory, Protocol):
    """The till's day closes; ``add`` keeps one in the transaction that logs its event."""

    def add(self, report: ZReport) -> None: ...


class GateScans(Protocol):
    """The scans read at this till's gates, with the server's results (R2.6)."""

    def add(self, scan: GateScanned) -> None: ...

    def get(self, nonce: str) -> GateScan | None: ...

    def recent(self, limit: int) -> list[GateScan]: ...

    def pending(self, limit: int) -> list[GateScan]: ...

    def pending_count(self) -> int: ...

    def record_result(
        self, nonce: str, result: ScanResult, reason: str | None, registered_at: datetime
    ) -> None: ...


class CardPayments(Protocol):
    """The till's card payments: each intent and what became of it (R2.5)."""

    def add(self, intent: CardIntent) -> None: ...

    def save(self, intent: CardIntent) -> None: ...

    def get(self, payment_id: str) -> CardIntent | None: ...

    def unfinished(self, ticket_id: str) -> CardIntent | None: ...

    def outcome_unknown(self) -> list[CardIntent]: ...

    def awaiting_the_bank(self) -> int: ...

    def of_receipt(self, receipt_number: str) -> list[CardIntent]: ...

    def recent(self, limit: int = 200) -> list[CardIntent]: ...

    def changes_through(self) -> int: ...

    def save_changes_through(self, through: int) -> None: ...


class TillReadUnitOfWork(Protocol):
    """A consistent read of the till's data; never writes, never takes the sales lock."""

    # Read-only properties, so an implementation may narrow them (a SQLite repository).
    @property
    def tickets(self) -> Tickets: ...

    @property
    def master_data(self) -> MasterDataCopy: ...

    @property
    def receipts(self) -> Receipts: ...

    @property
    def outbox(self) -> UnsentOperations: ...

    @property
    def day_closes(self) -> DayCloseHistory: ...

    @property
    def gate_scans(self) -> GateScans: ...

    @property
    def card_payments(self) -> CardPayments: ...

    @property
    def till_number(self) -> int: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class TillUnitOfWork(TillReadUnitOfWork, Protocol):
    """One write transaction: the new events of the tickets touched are written with
    their journal entries and outbox rows by ``commit``, or not at all."""

    @property
    def ranges(self) -> Ranges: ...

    @property
    def day_closes(self) -> DayCloses: ...

    def now(self) -> datetime:
        """The time for this transaction's documents, never before the last operation's."""
        ...

    def record(self, event: Event) -> None:
        """Log the event of a document that is not a ticket, with the next commit."""
        ...

    def commit(self) -> None: ...
