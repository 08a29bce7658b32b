"""In-memory fakes of the service layer's interfaces (cosmicpython's FakeUnitOfWork): the
handlers' unit tests run on these, with no SQLite file; the adapters have their own tests
against real files."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from autonom.contracts import (
    MasterData,
    Operation,
    PushBatch,
    PushResult,
    TicketPublic,
    TillPosition,
)
from autonom.domain import (
    Event,
    Item,
    NumberRange,
    Operator,
    Receipt,
    Refusal,
    TaxRate,
    Ticket,
    TicketClosed,
    TicketStatus,
    errors,
)
from autonom.domain.errors import SEQUENCE_GAP
from autonom.domain.reports import FIRST_PERIOD, PeriodStart, ZReport
from autonom.till.adapters.outbox import RECEIPT_KIND, UnsentDocument
from autonom.till.adapters.repository import SnapshotInfo
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.domain import LogEntry, Mode, StationSettings
from autonom.till.domain.card_payments import CardIntent


@dataclass
class FixedMode:
    """A sales mode that never refuses: live (``offline=False``) or emergency."""

    offline: bool = False

    @contextmanager
    def selling(self) -> Iterator[bool]:
        yield self.offline


LIVE = FixedMode(offline=False)
EMERGENCY = FixedMode(offline=True)


class FakeTickets:
    def __init__(self, stored: dict[str, Ticket], shared: set[str] | None = None) -> None:
        self._stored = stored
        self._shared = shared if shared is not None else set()
        self.seen: list[Ticket] = []

    def add(self, ticket: Ticket) -> None:
        self.seen.append(ticket)

    def get(self, ticket_id: str) -> Ticket:
        if ticket_id not in self._stored:
            raise Refusal(errors.TICKET_NOT_FOUND, "There is no such ticket on this till.", 404)
        ticket = copy.deepcopy(self._stored[ticket_id])
        self.seen.append(ticket)
        return ticket

    def exists(self, ticket_id: str) -> bool:
        return ticket_id in self._stored

    def is_shared(self, ticket_id: str) -> bool:
        return ticket_id in self._shared

    def open_at_table(self, table: int) -> Ticket | None:
        for ticket in self._stored.values():
            if ticket.status is TicketStatus.OPEN and ticket.table == table:
                return self.get(ticket.ticket_id)
        return None

    def list_open(self) -> list[Ticket]:
        return [copy.deepcopy(t) for t in self._stored.values() if t.status is TicketStatus.OPEN]

    def count_local_open(self) -> int:
        return sum(
            1
            for t in self._stored.values()
            if t.status is TicketStatus.OPEN and (t.offline or any(b.offline for b in t.bookings))
        )

    def list_local_open(self) -> list[Ticket]:
        return [
            copy.deepcopy(t)
            for t in self._stored.values()
            if t.status is TicketStatus.OPEN and (t.offline or any(b.offline for b in t.bookings))
        ]

    def receipt_number_of(self, ticket_id: str) -> str | None:
        receipt = self._stored[ticket_id].receipt
        return receipt.number if receipt else None

    def left_elsewhere(self, shown: TicketPublic, *, at: datetime) -> None:
        stored = self._stored[shown.ticket_id]
        if stored.status is TicketStatus.OPEN:
            stored.status = TicketStatus(shown.status)

    def count_own_open(self, till_number: int) -> int:
        return sum(
            1
            for t in self._stored.values()
            if t.status is TicketStatus.OPEN and t.till_number == till_number and t.bookings
        )

    def adopt(self, shared: TicketPublic) -> Ticket:
        raise NotImplementedError("shared tables are tested against SQLite")

    def merge_from_server(self, shared: TicketPublic) -> int:
        raise NotImplementedError("shared tables are tested against SQLite")


@dataclass
class FakeMasterData:
    snapshot: MasterData | None = None
    fetched_at: datetime | None = None

    def _master(self) -> MasterData:
        return self.snapshot or MasterData(version=0, tax_rates=[], items=[], operators=[])

    def item(self, plu: str) -> Item:
        for i in self._master().items:
            if i.plu == plu:
                return Item(
                    plu=i.plu,
                    name=i.name,
                    price=i.price,
                    tax_code=i.tax_code,
                    active=i.active,
                    kind=i.kind,
                )
        raise Refusal(errors.UNKNOWN_ITEM, f"There is no item with PLU {plu!r}.", 404)

    def tax_rate(self, code: str) -> TaxRate:
        for r in self._master().tax_rates:
            if r.code == code:
                return TaxRate(code=r.code, percent=r.percent, name=r.name)
        raise Refusal(errors.UNKNOWN_TAX_RATE, f"Tax rate {code!r} is missing.")

    def operator(self, number: int) -> Operator:
        for o in self.operators():
            if o.number == number:
                return o
        raise Refusal(errors.UNKNOWN_OPERATOR, f"There is no operator {number}.", 404)

    def operators(self) -> list[Operator]:
        return [
            Operator(number=o.number, name=o.name, role=o.role, pin_hash=o.pin_hash)
            for o in self._master().operators
        ]

    def search_items(self, text: str) -> list[Item]:
        return [self.item(i.plu) for i in self._master().items if text in i.name or i.plu == text]

    def info(self) -> SnapshotInfo:
        master = self.snapshot
        if master is None:
            return SnapshotInfo(version=None, fetched_at=None, items=0, operators=0)
        return SnapshotInfo(
            master.version, self.fetched_at, len(master.items), len(master.operators)
        )

    def replace(self, master: MasterData, *, fetched_at: datetime) -> None:
        self.snapshot = master
        self.fetched_at = fetched_at


class FakeRanges:
    def __init__(self, stored: dict[int, NumberRange], till_number: int) -> None:
        self._stored = stored
        self._till = till_number
        self.pending: dict[int, NumberRange] = {}

    def get(self, form: int) -> NumberRange:
        return copy.deepcopy(self._stored.get(form, NumberRange(self._till, form, 0)))

    def save(self, number_range: NumberRange) -> None:
        self.pending[number_range.form] = number_range


class FakeReceipts:
    def __init__(self, stored: dict[str, Ticket]) -> None:
        self._stored = stored

    def _all(self) -> list[Receipt]:
        return [t.receipt for t in self._stored.values() if t.receipt is not None]

    def get(self, number: str) -> Receipt:
        for receipt in self._all():
            if receipt.number == number:
                return receipt
        raise Refusal(errors.BAD_RECEIPT_NUMBER, f"There is no receipt {number} here.", 404)

    def closed_between(self, start: datetime, end: datetime) -> list[Receipt]:
        return [r for r in self._all() if start <= r.closed_at < end]

    def after(self, through: Mapping[int, int]) -> list[Receipt]:
        start = PeriodStart(receipts_through=through)
        return sorted((r for r in self._all() if not start.covers(r)), key=lambda r: r.closed_at)


class FakeDayCloses:
    def __init__(self, stored: list[ZReport]) -> None:
        self._stored = stored
        self.pending: list[ZReport] = []

    def period_start(self) -> PeriodStart:
        return self._stored[-1].next_period() if self._stored else FIRST_PERIOD

    def add(self, report: ZReport) -> None:
        self.pending.append(report)

    def get(self, z_number: int) -> ZReport:
        for report in self._stored:
            if report.z_number == z_number:
                return report
        raise Refusal(errors.NOT_FOUND, f"There is no day close {z_number} on this till.", 404)

    def recent(self, limit: int = 100) -> list[ZReport]:
        return self._stored[::-1][:limit]


class FakeOutbox:
    def __init__(self, operations: list[Operation], sent: set[int]) -> None:
        self.operations = operations
        self.sent = sent

    def _unsent(self) -> list[Operation]:
        return [o for o in self.operations if o.seq not in self.sent]

    def unsent_count(self) -> int:
        return len(self._unsent())

    def unsent_receipt_count(self) -> int:
        return sum(1 for o in self._unsent() if o.event.kind == RECEIPT_KIND)

    def unsent_documents(self, limit: int = 500) -> list[UnsentDocument]:
        return [
            UnsentDocument(
                seq=o.seq,
                kind=o.event.kind,
                document_id=o.event.document_id,
                recorded_at=o.recorded_at,
                receipt_number=(
                    o.event.receipt_number if isinstance(o.event, TicketClosed) else None
                ),
                offline=bool(getattr(o.event, "offline", False)),
            )
            for o in self._unsent()[:limit]
        ]

    def span_since(self, at: datetime) -> tuple[int, int]:
        last = max((op.seq for op in self.operations), default=0)
        first = min((op.seq for op in self.operations if op.recorded_at >= at), default=last + 1)
        return first, last

    def unsent_receipt_numbers(self) -> set[str]:
        return {d.receipt_number for d in self.unsent_documents() if d.receipt_number}


class FakeCardPayments:
    """The ``card_payments`` table in memory; writes land in ``pending`` until commit."""

    def __init__(self, stored: dict[str, CardIntent], through: list[int]) -> None:
        self._stored = stored
        self._through = through
        self.pending: dict[str, CardIntent] = {}
        self.pending_through: int | None = None

    def _all(self) -> list[CardIntent]:
        return list((self._stored | self.pending).values())

    def add(self, intent: CardIntent) -> None:
        self.pending[intent.payment_id] = intent

    def save(self, intent: CardIntent) -> None:
        self.pending[intent.payment_id] = intent

    def get(self, payment_id: str) -> CardIntent | None:
        return (self._stored | self.pending).get(payment_id)

    def unfinished(self, ticket_id: str) -> CardIntent | None:
        found = [i for i in self._all() if i.ticket_id == ticket_id and i.unfinished]
        return found[-1] if found else None

    def outcome_unknown(self) -> list[CardIntent]:
        return [i for i in self._all() if i.outcome_unknown]

    def of_receipt(self, receipt_number: str) -> list[CardIntent]:
        return [i for i in self._all() if i.receipt_number == receipt_number]

    def recent(self, limit: int = 200) -> list[CardIntent]:
        return self._all()[::-1][:limit]

    def changes_through(self) -> int:
        return self._through[0] if self.pending_through is None else self.pending_through

    def save_changes_through(self, through: int) -> None:
        self.pending_through = through


@dataclass
class FakeUnitOfWork:
    """One fake till's storage; every ``with`` block is a transaction that keeps nothing
    unless ``commit`` is called. ``commits`` counts them; ``on_commit`` lets a test look
    at the moment of the commit."""

    till_number: int = 10
    master: FakeMasterData = field(default_factory=FakeMasterData)
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    stored: dict[str, Ticket] = field(default_factory=dict)
    shared: set[str] = field(default_factory=set)  # tickets adopted from the server
    stored_ranges: dict[int, NumberRange] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    sent: set[int] = field(default_factory=set)
    stored_day_closes: list[ZReport] = field(default_factory=list)
    commits: int = 0
    transactions: int = 0
    on_commit: list[object] = field(default_factory=list)
    card_intents: dict[str, CardIntent] = field(default_factory=dict)
    card_changes_through: list[int] = field(default_factory=lambda: [0])

    def __enter__(self) -> Self:
        self.transactions += 1
        self.recorded: list[Event] = []
        self.tickets = FakeTickets(self.stored, self.shared)
        self.master_data = self.master
        self.ranges = FakeRanges(self.stored_ranges, self.till_number)
        self.receipts = FakeReceipts(self.stored)
        self.outbox = FakeOutbox(self.operations, self.sent)
        self.day_closes = FakeDayCloses(self.stored_day_closes)
        self.card_payments = FakeCardPayments(self.card_intents, self.card_changes_through)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.tickets.seen = []  # not committed: forgotten, as a rollback
        self.recorded = []

    def now(self) -> datetime:
        return self.at

    def record(self, event: Event) -> None:
        self.recorded.append(event)

    def commit(self) -> None:
        for hook in self.on_commit:
            assert callable(hook)
            hook()
        for ticket in self.tickets.seen:
            for event in ticket.events:
                self._record(event)
            ticket.events.clear()
            self.stored[ticket.ticket_id] = copy.deepcopy(ticket)
        for event in self.recorded:
            self._record(event)
        self.recorded = []
        self.stored_ranges.update(self.ranges.pending)
        self.stored_day_closes.extend(self.day_closes.pending)
        self.card_intents.update(self.card_payments.pending)
        self.card_payments.pending = {}
        if self.card_payments.pending_through is not None:
            self.card_changes_through[0] = self.card_payments.pending_through
        self.commits += 1

    def _record(self, event: Event) -> None:
        seq = len(self.operations) + 1
        self.operations.append(
            Operation(seq=seq, op_id=uuid.uuid4(), recorded_at=self.at, event=event)
        )


@dataclass
class FakeStation:
    """The mode log's store in memory (what ``ModeKeeper`` writes and resumes from)."""

    mode: Mode = Mode.LIVE
    settings: StationSettings = field(default_factory=lambda: StationSettings(True, 30.0))
    log: list[LogEntry] = field(default_factory=list)

    def record(self, entry: LogEntry) -> int:
        self.log.append(entry)
        return len(self.log)

    def saved_mode(self) -> Mode:
        return self.mode

    def save_mode(self, mode: Mode) -> None:
        self.mode = mode

    def station_settings(self) -> StationSettings:
        return self.settings

    def save_station_settings(self, settings: StationSettings, at: datetime) -> None:
        self.settings = settings


@dataclass
class SequencedServer:
    """Applies operations whose seq follows its position, skips old ones, refuses gaps."""

    credential: str | None = "secret"
    reachable: bool = True
    lose_next_answer: bool = False
    applied: list[Operation] = field(default_factory=list)
    batches: list[list[int]] = field(default_factory=list)

    @property
    def applied_through(self) -> int:
        return self.applied[-1].seq if self.applied else 0

    def push(self, batch: PushBatch) -> PushResult:
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        self.batches.append([op.seq for op in batch.operations])
        new = [op for op in batch.operations if op.seq > self.applied_through]
        if new and new[0].seq != self.applied_through + 1:
            raise Refusal(SEQUENCE_GAP, "gap", 409, detail={"expected": self.applied_through + 1})
        self.applied.extend(new)
        result = PushResult(
            applied_through=self.applied_through,
            applied=len(new),
            skipped=len(batch.operations) - len(new),
        )
        if self.lose_next_answer:
            self.lose_next_answer = False
            raise ServerUnreachable("read timed out")  # applied, but the till never hears
        return result

    def position(self, log_id: UUID | None = None) -> TillPosition:
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        return TillPosition(till_number=10, applied_through=self.applied_through, log_id=log_id)
