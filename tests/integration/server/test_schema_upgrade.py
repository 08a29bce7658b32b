"""A store's database made by any released server upgrades to the latest schema with its
rows intact, and the upgraded server takes pushes and heartbeats at once (SQLite and
PostgreSQL). Released migrations are never edited: history only grows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, inspect, text

from autonom.domain import Ticket
from autonom.server.adapters import SqlUnitOfWork, prepare_database
from autonom.server.adapters.database import MIGRATIONS, create_database_engine, migrate
from autonom.server.adapters.tables import metadata
from autonom.server.entrypoints.api import create_app
from autonom.server.service_layer.tills import credential_hash
from tests.integration.server.till_log import (
    TillLog,
    heartbeat,
    mode_event,
    push,
    server_settings,
)

CREDENTIAL = "credential-of-till-10-from-an-older-server"
AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def earlier_revisions() -> list[str]:
    """Every migration before head, oldest first."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    return [r.revision for r in reversed(list(script.walk_revisions())) if r.revision != head]


@pytest.fixture(params=earlier_revisions())
def revision(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def old_engine(db_url: str, revision: str) -> Iterator[Engine]:
    engine = create_database_engine(db_url)
    migrate(engine, revision)
    yield engine
    engine.dispose()


class OldRows:
    """Rows as the server at an older revision wrote them, in raw SQL of that schema."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        self.inspector = inspect(connection)

    def has_column(self, table: str, column: str) -> bool:
        if table not in self.inspector.get_table_names():
            return False
        return column in {c["name"] for c in self.inspector.get_columns(table)}

    def time(self, at: datetime) -> Any:
        """A point in time as that server stored it: SQLite the UTC wall time."""
        at = at.astimezone(UTC)
        return at.replace(tzinfo=None) if self.sqlite else at

    def insert(self, table: str, **values: Any) -> None:
        values = {k: self.time(v) if isinstance(v, datetime) else v for k, v in values.items()}
        names = ", ".join(values)
        params = ", ".join(f":{name}" for name in values)
        self.connection.execute(text(f"INSERT INTO {table} ({names}) VALUES ({params})"), values)


def hundredths(amount: Decimal) -> int:
    return int(amount * 100)


def booking_json(ticket: Ticket) -> str:
    """The bookings as the released server kept them: a JSON list of the wire model, the
    second one voided."""
    bookings = [
        {
            "booking_id": b.booking_id,
            "plu": b.plu,
            "name": b.name,
            "quantity": b.quantity,
            "unit_price": str(b.unit_price),
            "tax_code": b.tax_code,
            "tax_percent": str(b.tax_percent),
            "operator_number": b.operator_number,
            "till_number": b.till_number,
            "booked_at": b.booked_at.isoformat().replace("+00:00", "Z"),
            "offline": b.offline,
            "void_reason": "wrong item" if line == 2 else None,
        }
        for line, b in enumerate(ticket.bookings, start=1)
    ]
    return json.dumps(bookings)


def fill_old_database(engine: Engine, till: TillLog) -> tuple[Ticket, list[dict[str, Any]]]:
    """A store that sold one ticket on till 10, flagged something and, where the schema
    has the heartbeat, reported a mode and two mode events."""
    ticket = till.sale(table=3, items=2)
    operations = till.operations()
    receipt = ticket.receipt
    assert receipt is not None
    with engine.begin() as connection:
        rows = OldRows(connection)
        rows.insert("stores", store_id=1, master_data_version=2, created_at=AT)
        rows.insert("tax_rates", store_id=1, code="A", percent=1900, name="Standard rate")
        rows.insert(
            "items", store_id=1, plu="100", name="Espresso", price=240, tax_code="A", active=True
        )
        rows.insert(
            "tills",
            store_id=1,
            number=10,
            name="Till 10",
            credential_hash=credential_hash(CREDENTIAL),
            registered_at=AT,
        )
        rows.insert(
            "till_positions",
            store_id=1,
            till_number=10,
            applied_through=len(operations),
            last_push_at=till.now,
        )
        # Until 0005 an operation named its ticket; since then the document it belongs to.
        document = "document_id" if rows.has_column("operations", "document_id") else "ticket_id"
        for op in operations:
            rows.insert(
                "operations",
                store_id=1,
                till_number=10,
                seq=op["seq"],
                op_id=op["op_id"],
                kind=op["event"]["kind"],
                **{document: ticket.ticket_id},
                recorded_at=till.now,
                applied_at=till.now,
                payload=json.dumps(op["event"]),
            )
        # Until 0004 a ticket kept its bookings as JSON; since then as rows.
        json_bookings = rows.has_column("tickets", "bookings")
        rows.insert(
            "tickets",
            store_id=1,
            ticket_id=ticket.ticket_id,
            table_number=3,
            till_number=10,
            owner=ticket.owner,
            status="closed",
            total=hundredths(receipt.total),
            receipt_number=receipt.number,
            opened_at=ticket.opened_at,
            closed_at=receipt.closed_at,
            **({"bookings": booking_json(ticket)} if json_bookings else {}),
        )
        if not json_bookings:
            for line, b in enumerate(ticket.bookings, start=1):
                rows.insert(
                    "ticket_bookings",
                    store_id=1,
                    ticket_id=ticket.ticket_id,
                    booking_id=b.booking_id,
                    line=line,
                    plu=b.plu,
                    name=b.name,
                    quantity=b.quantity,
                    unit_price=hundredths(b.unit_price),
                    tax_code=b.tax_code,
                    tax_percent=hundredths(b.tax_percent),
                    operator_number=b.operator_number,
                    till_number=b.till_number,
                    booked_at=b.booked_at,
                    offline=b.offline,
                    void_reason="wrong item" if line == 2 else None,
                    voided_by=b.operator_number if line == 2 else None,
                    voided_at=b.booked_at if line == 2 else None,
                )
        rows.insert(
            "receipts",
            store_id=1,
            number=receipt.number,
            ticket_id=ticket.ticket_id,
            till_number=10,
            total=hundredths(receipt.total),
            closed_at=receipt.closed_at,
            offline=False,
            duplicate=False,
            payload=json.dumps(operations[-1]["event"]),
        )
        rows.insert(
            "flags",
            store_id=1,
            till_number=10,
            seq=1,
            ticket_id=ticket.ticket_id,
            code="UNKNOWN_TICKET",
            message="Till 10 booked on a ticket the server never saw opened.",
            created_at=AT,
        )
        if rows.has_column("till_status", "mode"):
            rows.insert(
                "station_settings",
                store_id=1,
                till_number=10,
                emergency_allowed=False,
                auto_return_s=90,
                updated_at=AT,
            )
            status = {"mode": "emergency", "activity": "idle", "unsent_operations": 0}
            if rows.has_column("till_status", "events_through"):
                status["events_through"] = 2
            rows.insert("till_status", store_id=1, till_number=10, reported_at=AT, **status)
            for seq, words in ((1, "OFFLINE NO PING"), (2, "EMERGENCY MODE")):
                rows.insert(
                    "mode_events",
                    store_id=1,
                    till_number=10,
                    seq=seq,
                    at=AT,
                    link="server",
                    words=words,
                    state="emergency",
                    received_at=AT,
                )
    return ticket, operations


def test_database_of_every_earlier_revision_upgrades_with_its_rows_and_takes_pushes(
    db_url: str, revision: str, old_engine: Engine
) -> None:
    till = TillLog(10)
    till.credential = CREDENTIAL
    old_ticket, operations_held = fill_old_database(old_engine, till)
    had_heartbeat = revision >= "0002"

    engine = prepare_database(db_url, store_id=1)
    try:
        with SqlUnitOfWork(engine, 1, write=False) as uow:
            ticket = uow.tickets.get(old_ticket.ticket_id)
            assert ticket is not None
            assert (ticket.status, ticket.table, ticket.total) == (
                "closed",
                3,
                old_ticket.total,
            )
            # The JSON copy became rows, in booking order, with their money and times.
            assert [b.booking_id for b in ticket.bookings] == [
                b.booking_id for b in old_ticket.bookings
            ]
            first, second = ticket.bookings
            assert (first.unit_price, first.tax_percent) == (Decimal("2.40"), Decimal("19.00"))
            assert first.booked_at == old_ticket.bookings[0].booked_at
            assert (first.void_reason, second.void_reason) == (None, "wrong item")
            history = uow.operations.history_of([old_ticket.ticket_id])
            assert len(history[old_ticket.ticket_id]) == till.seq
            assert ticket.follows is None  # 0011: no older ticket follows another
            assert uow.sync_reports.recent(till_number=None) == []
            assert [r.number for r in uow.back_office.receipts(till_number=10, day=None)] == [
                old_ticket.receipt.number if old_ticket.receipt else None
            ]
            assert [f.code for f in uow.back_office.flags()] == ["UNKNOWN_TICKET"]
            (till_record,) = uow.back_office.tills()
            assert till_record.applied_through == till.seq
            # 0012: the position is the till's first log's, its operations that log's; the
            # log's id the server made, so the till upgraded in place claims it.
            first_log = uow.tills.log(10)
            assert first_log is not None
            assert (first_log.log_number, first_log.claimed) == (1, False)
            assert (till_record.log_number, till_record.last_refusal) == (1, None)
            assert uow.operations.op_ids_at(10, 1, [1, till.seq]) == {
                1: operations_held[0]["op_id"],
                till.seq: operations_held[-1]["op_id"],
            }
            if had_heartbeat:
                assert till_record.mode == "emergency"
                assert till_record.station_settings.auto_return_s == 90
                assert [e.seq for e in uow.mode_events.list(10, limit=10)] == [2, 1]
            # The schema upgraded is the schema the code expects, to the last column.
            context = MigrationContext.configure(
                uow.tickets.connection, opts={"compare_type": True}
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()

    with TestClient(create_app(server_settings(db_url))) as server:
        new_ticket = till.sale(table=5)
        answer = push(server, till, till.operations())
        assert answer.status_code == 200, answer.text
        assert answer.json()["applied_through"] == till.seq
        shared = server.get(f"/api/v1/tickets/{new_ticket.ticket_id}", headers=till.auth)
        assert shared.status_code == 200, shared.text
        assert len(shared.json()["bookings"]) == 2
        # The till upgraded in place (its database got a log id of its own) goes on.
        till.sale()
        upgraded = {"contract": 4, "log_id": str(uuid.uuid4()), "operations": till.operations()}
        answer = server.post("/api/v1/tills/10/operations", json=upgraded, headers=till.auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["applied_through"] == till.seq
        answer = heartbeat(server, till, mode_event(3), mode_event(4, "ONLINE"), mode="live")
        assert answer.status_code == 200, answer.text
        assert answer.json()["events_through"] == 4
    engine = prepare_database(db_url, store_id=1)
    try:
        with SqlUnitOfWork(engine, 1, write=False) as uow:
            (till_record,) = uow.back_office.tills()
            assert (till_record.applied_through, till_record.mode) == (till.seq, "live")
            assert len(uow.mode_events.list(10, limit=10)) == (4 if had_heartbeat else 2)
    finally:
        engine.dispose()


def test_a_store_rolled_back_to_the_json_bookings_gets_them_back_as_rows(db_url: str) -> None:
    till = TillLog(10)
    engine = create_database_engine(db_url)
    try:
        migrate(engine, "0003")
        old_ticket, _ = fill_old_database(engine, till)
        migrate(engine)
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0003")
            (bookings,) = connection.execute(text("SELECT bookings FROM tickets")).one()
        assert json.loads(bookings) == json.loads(booking_json(old_ticket))
        migrate(engine)
        with SqlUnitOfWork(engine, 1, write=False) as uow:
            ticket = uow.tickets.get(old_ticket.ticket_id)
        assert ticket is not None
        assert [b.void_reason for b in ticket.bookings] == [None, "wrong item"]
    finally:
        engine.dispose()
