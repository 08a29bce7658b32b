"""Reading and writing the till's tables: tickets, master-data snapshot, number ranges,
receipts. Every method runs inside the caller's transaction (the unit of work's)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import TypeAdapter

from autonom.contracts import MasterData, TicketPublic
from autonom.domain import (
    Booking,
    BookingAdded,
    BookingsMovedIn,
    BookingsMovedOut,
    BookingVoided,
    Event,
    Item,
    ItemKind,
    NumberRange,
    Operator,
    OwnerChanged,
    Receipt,
    ReceiptNumber,
    Refusal,
    Role,
    TaxRate,
    Ticket,
    TicketClosed,
    TicketOpened,
    TicketStatus,
    errors,
)
from autonom.domain.events import BookingFacts, booking_facts

RECEIPT_DOCUMENT: TypeAdapter[Receipt] = TypeAdapter(Receipt)
BOOKING_ROW: TypeAdapter[Booking] = TypeAdapter(Booking)
# The bookings table names its columns as the fields of BookingFacts (code, not input).
BOOKING_COLUMNS = (*(f.name for f in fields(BookingFacts)), "ticket_id", "foreign_booking")
INSERT_BOOKING = (
    f"INSERT INTO bookings ({', '.join(BOOKING_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' * len(BOOKING_COLUMNS))})"
)
SEARCH_LIMIT = 48


def to_text(moment: datetime) -> str:
    """Times are stored as ISO 8601 in UTC, so text order is time order."""
    return moment.astimezone(UTC).isoformat()


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- tickets -------------------------------------------------------------------------


class TicketRepository:
    """Tickets with their bookings and voids. ``seen`` are the tickets whose new events the
    unit of work writes on commit."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.seen: list[Ticket] = []

    def add(self, ticket: Ticket) -> None:
        """A ticket opened on this till; its TicketOpened event creates the row on commit."""
        self.seen.append(ticket)

    def get(self, ticket_id: str) -> Ticket:
        """The ticket, or TICKET_NOT_FOUND."""
        ticket = self._load(ticket_id)
        if ticket is None:
            raise Refusal(errors.TICKET_NOT_FOUND, "There is no such ticket on this till.", 404)
        self.seen.append(ticket)
        return ticket

    def exists(self, ticket_id: str) -> bool:
        query = "SELECT 1 FROM tickets WHERE ticket_id = ?"
        return self._conn.execute(query, (ticket_id,)).fetchone() is not None

    def is_shared(self, ticket_id: str) -> bool:
        """True for a ticket adopted from the server (opened by another till)."""
        row = self._conn.execute(
            "SELECT shared FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        return bool(row and row["shared"])

    def open_at_table(self, table: int) -> Ticket | None:
        row = self._conn.execute(
            "SELECT ticket_id FROM tickets WHERE status = 'open' AND table_number = ? "
            "ORDER BY opened_at LIMIT 1",
            (table,),
        ).fetchone()
        return self.get(row["ticket_id"]) if row else None

    def list_open(self) -> list[Ticket]:
        rows = self._conn.execute(
            "SELECT ticket_id FROM tickets WHERE status = 'open' "
            "ORDER BY table_number IS NULL, table_number, opened_at"
        ).fetchall()
        return [t for t in (self._load(r["ticket_id"]) for r in rows) if t is not None]

    def count_local_open(self) -> int:
        """Open tickets that hold emergency-mode work: opened offline or booked offline
        (R1.6: what keeps a till in emergency mode until they are closed or synced)."""
        count: int = self._conn.execute(
            "SELECT count(*) FROM tickets t WHERE t.status = 'open' AND (t.offline = 1 "
            "OR EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.ticket_id "
            "AND b.offline = 1))"
        ).fetchone()[0]
        return count

    def list_local_open(self) -> list[Ticket]:
        """The open tickets ``count_local_open`` counts, by table (counter tickets last)."""
        rows = self._conn.execute(
            "SELECT ticket_id FROM tickets t WHERE t.status = 'open' AND (t.offline = 1 "
            "OR EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.ticket_id "
            "AND b.offline = 1)) ORDER BY table_number IS NULL, table_number, opened_at"
        ).fetchall()
        return [t for t in (self._load(r["ticket_id"]) for r in rows) if t is not None]

    def receipt_number_of(self, ticket_id: str) -> str | None:
        """The number of the receipt the ticket was closed with (here or elsewhere)."""
        row = self._conn.execute(
            "SELECT receipt_number FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        return row["receipt_number"] if row else None

    def left_elsewhere(self, shown: TicketPublic, *, at: datetime) -> None:
        """The server holds this open ticket closed (paid on another till, its receipt
        number kept) or moved: so it is here, with no receipt of this till's. Not this
        till's operation: nothing goes to the journal or the outbox."""
        status = TicketStatus.CLOSED if shown.status == "closed" else TicketStatus.MOVED
        self._conn.execute(
            "UPDATE tickets SET status = ?, receipt_number = ?, closed_at = ? "
            "WHERE ticket_id = ? AND status = 'open'",
            (status.value, shown.receipt_number, to_text(at), shown.ticket_id),
        )

    def count_own_open(self, till_number: int) -> int:
        """Open tickets opened on this till that hold a line, booked or voided (what a day
        close waits for, R2.8; an empty ticket holds nothing to cut in half)."""
        count: int = self._conn.execute(
            "SELECT count(*) FROM tickets t WHERE t.status = 'open' AND t.till_number = ? "
            "AND EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.ticket_id)",
            (till_number,),
        ).fetchone()[0]
        return count

    def adopt(self, shared: TicketPublic) -> Ticket:
        """Store a ticket another till opened, as the server shows it. Its bookings are not
        this till's operations, so nothing goes to the journal or the outbox."""
        self._conn.execute(
            "INSERT INTO tickets (ticket_id, till_number, owner, table_number, opened_at, "
            "offline, status, shared) VALUES (?, ?, ?, ?, ?, 0, 'open', 1)",
            (
                shared.ticket_id,
                shared.till_number,
                shared.owner,
                shared.table,
                to_text(shared.opened_at),
            ),
        )
        self.merge_from_server(shared)
        return self.get(shared.ticket_id)

    def merge_from_server(self, shared: TicketPublic) -> int:
        """Copy in bookings and voids the server knows and this till does not; return how
        many lines changed. A line another till moved is followed: one the server shows
        here but this till holds on another ticket comes here; another till's line the
        server no longer shows here (moved away) leaves. This till's own lines are kept as
        they are (unsent ones are not on the server yet)."""
        changed = 0
        on_server = {b.booking_id for b in shared.bookings}
        for row in self._conn.execute(
            "SELECT b.booking_id FROM bookings b LEFT JOIN voids v USING (booking_id) "
            "WHERE b.ticket_id = ? AND b.foreign_booking = 1 AND v.booking_id IS NULL",
            (shared.ticket_id,),
        ).fetchall():
            if row["booking_id"] not in on_server:
                self._conn.execute(
                    "DELETE FROM bookings WHERE booking_id = ?", (row["booking_id"],)
                )
                changed += 1
        for b in shared.bookings:
            known = self._conn.execute(
                "SELECT ticket_id FROM bookings WHERE booking_id = ?", (b.booking_id,)
            ).fetchone()
            if known is None:
                self._insert_booking(b.added_to(shared.ticket_id), foreign=True)
                changed += 1
            elif known["ticket_id"] != shared.ticket_id:
                self._move_booking(b, shared.ticket_id)
                changed += 1
            if b.void_reason is not None:
                cursor = self._conn.execute(
                    "INSERT OR IGNORE INTO voids (booking_id, reason) VALUES (?, ?)",
                    (b.booking_id, b.void_reason),
                )
                changed += cursor.rowcount
        return changed

    def write_event(self, ticket: Ticket, event: Event) -> None:
        """Persist what one event changed (called by the unit of work on commit)."""
        if isinstance(event, TicketOpened):
            self._conn.execute(
                "INSERT INTO tickets (ticket_id, till_number, owner, table_number, opened_at, "
                "offline, status) VALUES (?, ?, ?, ?, ?, ?, 'open')",
                (
                    event.ticket_id,
                    event.till_number,
                    event.operator_number,
                    event.table,
                    to_text(event.opened_at),
                    int(event.offline),
                ),
            )
        elif isinstance(event, BookingAdded):
            self._insert_booking(event, foreign=False)
        elif isinstance(event, BookingVoided):
            self._conn.execute(
                "INSERT INTO voids (booking_id, reason, operator_number, voided_at) "
                "VALUES (?, ?, ?, ?)",
                (event.booking_id, event.reason, event.operator_number, to_text(event.voided_at)),
            )
        elif isinstance(event, TicketClosed):
            self._write_close(ticket, event)
        elif isinstance(event, BookingsMovedIn):
            for facts in event.bookings:
                self._move_booking(facts, event.ticket_id)
        elif isinstance(event, OwnerChanged):
            self._conn.execute(
                "UPDATE tickets SET owner = ? WHERE ticket_id = ?", (event.owner, event.ticket_id)
            )
        elif isinstance(event, BookingsMovedOut) and ticket.status is TicketStatus.MOVED:
            self._conn.execute(
                "UPDATE tickets SET status = 'moved', closed_at = ? WHERE ticket_id = ?",
                (to_text(event.moved_at), event.ticket_id),
            )

    def _move_booking(self, facts: BookingFacts, ticket_id: str) -> None:
        """Put a booking on ``ticket_id``: its row is written anew (keeping whose it is), so
        it comes last on its new ticket, as the replay of the move puts it. (A voided one,
        which only a server's merge can bring here, keeps its row: its void refers to it.)"""
        row = self._conn.execute(
            "SELECT b.foreign_booking, v.booking_id AS voided FROM bookings b "
            "LEFT JOIN voids v USING (booking_id) WHERE b.booking_id = ?",
            (facts.booking_id,),
        ).fetchone()
        if row is not None and row["voided"] is not None:
            self._conn.execute(
                "UPDATE bookings SET ticket_id = ? WHERE booking_id = ?",
                (ticket_id, facts.booking_id),
            )
            return
        self._conn.execute("DELETE FROM bookings WHERE booking_id = ?", (facts.booking_id,))
        added = BookingAdded(ticket_id=ticket_id, **booking_facts(facts))
        self._insert_booking(added, foreign=bool(row and row["foreign_booking"]))

    def _insert_booking(self, added: BookingAdded, *, foreign: bool) -> None:
        """The one insert of a booking: this till's own, or (``foreign``) one another till
        booked that came with a shared ticket. Columns are named as the fields."""
        values = [_column_value(v) for v in booking_facts(added).values()]
        self._conn.execute(INSERT_BOOKING, (*values, added.ticket_id, int(foreign)))

    def _write_close(self, ticket: Ticket, event: TicketClosed) -> None:
        assert ticket.receipt is not None
        self._conn.execute(
            "UPDATE tickets SET status = 'closed', receipt_number = ?, closed_at = ? "
            "WHERE ticket_id = ?",
            (event.receipt_number, to_text(event.closed_at), event.ticket_id),
        )
        self._conn.executemany(
            "INSERT INTO payments (ticket_id, position, method, amount, tendered, reference) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (event.ticket_id, i, p.method.value, str(p.amount), str(p.tendered), p.reference)
                for i, p in enumerate(event.payments, start=1)
            ],
        )
        number = ReceiptNumber.parse(event.receipt_number)
        self._conn.execute(
            "INSERT INTO receipts (number, ticket_id, form, running, closed_at, total, "
            "offline, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.receipt_number,
                event.ticket_id,
                number.form,
                number.running,
                to_text(event.closed_at),
                str(event.total),
                int(event.offline),
                RECEIPT_DOCUMENT.dump_json(ticket.receipt).decode(),
            ),
        )

    def _load(self, ticket_id: str) -> Ticket | None:
        row = self._conn.execute(
            "SELECT * FROM tickets WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        if row is None:
            return None
        booking_rows = self._conn.execute(
            "SELECT b.*, v.reason AS void_reason, v.operator_number AS voided_by, "
            "v.voided_at AS voided_at FROM bookings b "
            "LEFT JOIN voids v ON v.booking_id = b.booking_id "
            "WHERE b.ticket_id = ? ORDER BY b.id",
            (ticket_id,),
        ).fetchall()
        ticket = Ticket(
            ticket_id=row["ticket_id"],
            till_number=row["till_number"],
            owner=row["owner"],
            opened_at=from_text(row["opened_at"]),
            table=row["table_number"],
            offline=bool(row["offline"]),
            bookings=[_booking(b) for b in booking_rows],
            status=TicketStatus(row["status"]),
        )
        if ticket.status is TicketStatus.CLOSED:
            document = self._conn.execute(
                "SELECT document FROM receipts WHERE ticket_id = ?", (ticket_id,)
            ).fetchone()
            if document is not None:
                ticket.receipt = RECEIPT_DOCUMENT.validate_json(document["document"])
        return ticket


def _booking(row: sqlite3.Row) -> Booking:
    """A booking row (with its void, if any) as the domain's ``Booking``."""
    return BOOKING_ROW.validate_python(dict(zip(row.keys(), tuple(row), strict=True)))


def _column_value(value: object) -> object:
    """A field's value as the till's SQLite keeps it: money as text, times as UTC text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return to_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


# -- master-data snapshot --------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    version: int | None
    fetched_at: datetime | None
    items: int
    operators: int


class MasterDataSnapshot:
    """The till's copy of items, tax rates and operators (R2.2); read on every sale."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def item(self, plu: str) -> Item:
        row = self._conn.execute("SELECT * FROM items WHERE plu = ?", (plu,)).fetchone()
        if row is None:
            raise Refusal(
                errors.UNKNOWN_ITEM,
                f"There is no item with PLU {plu!r}; search by name or refresh the master data.",
                404,
            )
        return _item(row)

    def tax_rate(self, code: str) -> TaxRate:
        row = self._conn.execute("SELECT * FROM tax_rates WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise Refusal(
                errors.UNKNOWN_TAX_RATE,
                f"Tax rate {code!r} is missing from this till's master data; refresh it.",
            )
        return TaxRate(code=row["code"], percent=Decimal(row["percent"]), name=row["name"])

    def operator(self, number: int) -> Operator:
        row = self._conn.execute("SELECT * FROM operators WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise Refusal(errors.UNKNOWN_OPERATOR, f"There is no operator {number}.", 404)
        return _operator(row)

    def operators(self) -> list[Operator]:
        rows = self._conn.execute("SELECT * FROM operators ORDER BY number").fetchall()
        return [_operator(r) for r in rows]

    def search_items(self, text: str, *, limit: int = SEARCH_LIMIT) -> list[Item]:
        """Active items whose PLU starts with, or whose name contains, ``text``."""
        text = text.strip()
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._conn.execute(
            "SELECT * FROM items WHERE active = 1 AND (? = '' OR plu LIKE ? ESCAPE '\\' "
            "OR name LIKE ? ESCAPE '\\') ORDER BY plu = ? DESC, name LIMIT ?",
            (text, f"{escaped}%", f"%{escaped}%", text, limit),
        ).fetchall()
        return [_item(r) for r in rows]

    def info(self) -> SnapshotInfo:
        identity = self._conn.execute(
            "SELECT master_data_version, master_data_at FROM till_identity WHERE id = 1"
        ).fetchone()
        items = self._conn.execute("SELECT count(*) FROM items").fetchone()[0]
        operators = self._conn.execute("SELECT count(*) FROM operators").fetchone()[0]
        fetched = identity["master_data_at"] if identity else None
        return SnapshotInfo(
            version=identity["master_data_version"] if identity else None,
            fetched_at=from_text(fetched) if fetched else None,
            items=items,
            operators=operators,
        )

    def replace(self, master: MasterData, *, fetched_at: datetime) -> None:
        """Swap the whole snapshot for the server's (within the caller's transaction)."""
        self._conn.execute("DELETE FROM items")
        self._conn.execute("DELETE FROM tax_rates")
        self._conn.execute("DELETE FROM operators")
        self._conn.executemany(
            "INSERT INTO tax_rates (code, percent, name) VALUES (?, ?, ?)",
            [(r.code, str(r.percent), r.name) for r in master.tax_rates],
        )
        self._conn.executemany(
            "INSERT INTO items (plu, name, price, tax_code, active, kind) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i.plu, i.name, str(i.price), i.tax_code, int(i.active), i.kind.value)
                for i in master.items
            ],
        )
        self._conn.executemany(
            "INSERT INTO operators (number, name, role, pin_hash) VALUES (?, ?, ?, ?)",
            [(o.number, o.name, o.role.value, o.pin_hash) for o in master.operators],
        )
        self._conn.execute(
            "UPDATE till_identity SET master_data_version = ?, master_data_at = ? WHERE id = 1",
            (master.version, to_text(fetched_at)),
        )


def _item(row: sqlite3.Row) -> Item:
    return Item(
        plu=row["plu"],
        name=row["name"],
        price=Decimal(row["price"]),
        tax_code=row["tax_code"],
        active=bool(row["active"]),
        kind=ItemKind(row["kind"]),
    )


def _operator(row: sqlite3.Row) -> Operator:
    return Operator(
        number=row["number"], name=row["name"], role=Role(row["role"]), pin_hash=row["pin_hash"]
    )


# -- number ranges and receipts ----------------------------------------------------------


class NumberRanges:
    """The till's receipt ranges, one per form; ``save`` writes ``last`` in the open
    transaction, together with the receipt that carries the number (invariant 4)."""

    def __init__(self, conn: sqlite3.Connection, till_number: int) -> None:
        self._conn = conn
        self._till = till_number

    def get(self, form: int) -> NumberRange:
        row = self._conn.execute(
            "SELECT last FROM number_ranges WHERE till = ? AND form = ?", (self._till, form)
        ).fetchone()
        return NumberRange(till=self._till, form=form, last=row["last"] if row else 0)

    def save(self, number_range: NumberRange) -> None:
        self._conn.execute(
            "INSERT INTO number_ranges (till, form, last) VALUES (?, ?, ?) "
            "ON CONFLICT (till, form) DO UPDATE SET last = excluded.last",
            (number_range.till, number_range.form, number_range.last),
        )


class ReceiptRepository:
    """Receipts as saved at close: enough to show and reprint them exactly."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, number: str) -> Receipt:
        row = self._conn.execute(
            "SELECT document FROM receipts WHERE number = ?", (number,)
        ).fetchone()
        if row is None:
            raise Refusal(errors.BAD_RECEIPT_NUMBER, f"There is no receipt {number} here.", 404)
        return RECEIPT_DOCUMENT.validate_json(row["document"])

    def closed_between(self, start: datetime, end: datetime) -> list[Receipt]:
        rows = self._conn.execute(
            "SELECT document FROM receipts WHERE closed_at >= ? AND closed_at < ? "
            "ORDER BY closed_at DESC, number DESC",
            (to_text(start), to_text(end)),
        ).fetchall()
        return [RECEIPT_DOCUMENT.validate_json(r["document"]) for r in rows]

    def after(self, through: Mapping[int, int]) -> list[Receipt]:
        """The receipts numbered after ``through`` (per form, the last running number a day
        close counted), oldest first: the receipts of the current period."""
        forms = [r["form"] for r in self._conn.execute("SELECT form FROM number_ranges")]
        found: list[tuple[str, str, str]] = []
        for form in forms:
            rows = self._conn.execute(
                "SELECT closed_at, number, document FROM receipts WHERE form = ? AND running > ?",
                (form, through.get(form, 0)),
            )
            found += [(r["closed_at"], r["number"], r["document"]) for r in rows]
        return [RECEIPT_DOCUMENT.validate_json(document) for *_, document in sorted(found)]

    def numbers(self, form: int) -> list[int]:
        """The running numbers issued in ``form``, ascending (for checks and tests)."""
        rows = self._conn.execute(
            "SELECT running FROM receipts WHERE form = ? ORDER BY running", (form,)
        ).fetchall()
        return [r["running"] for r in rows]
