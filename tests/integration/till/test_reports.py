"""The till's reports and day close on a real SQLite file (R2.8): the Z numbers are gapless
across a restart, a day close is refused with nothing written while tickets are open, and a
day close in emergency mode is marked offline and queued after the receipts it counts."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import DayClosed, PaymentMethod, Refusal, errors
from autonom.till.bootstrap import Till
from autonom.till.domain import Choice, Health, Mode, Reason, Verdict
from autonom.till.service_layer.commands import Tendered
from tests.integration.till.conftest import ANNA, make_till


def sell(till: Till, *plus: str) -> str:
    ticket = till.selling.open_ticket(ANNA, None)
    for plu in plus or ("100",):
        till.selling.book(ANNA, ticket.ticket_id, plu, 1)
    closed = till.selling.pay(ANNA, ticket.ticket_id, [Tendered(PaymentMethod.CASH)])
    return closed.receipt.number


def rows(data_dir: Path, query: str) -> list[tuple[object, ...]]:
    """Read the till's file itself, as a person with sqlite3 would."""
    with sqlite3.connect(f"file:{data_dir / 'till.sqlite'}?mode=ro", uri=True) as db:
        return list(db.execute(query))


def test_z_numbers_are_gapless_across_a_restart_and_each_counts_its_own_receipts(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "till-10"
    till = make_till(data_dir)
    try:
        monday = [sell(till, "100"), sell(till, "102", "200")]
        first = till.reports.day_close(ANNA)
    finally:
        till.stop()
    till = make_till(data_dir, master_data=False)  # the till switched off and on again
    try:
        interim = till.reports.x_report()
        tuesday = sell(till, "200")
        second = till.reports.day_close(ANNA)
        null = till.reports.day_close(ANNA)
        listed = till.reports.day_closes()
    finally:
        till.stop()

    assert (first.z_number, second.z_number, null.z_number) == (1, 2, 3)
    assert [z.z_number for z in listed] == [3, 2, 1]
    assert first.figures.receipt_count == 2
    assert first.figures.receipt_ranges[0].first_receipt == monday[0]
    assert first.figures.receipt_ranges[0].last_receipt == monday[1]
    assert interim.figures.receipt_count == 0
    assert interim.period_start == first.closed_at
    assert second.figures.receipt_count == 1
    assert second.figures.receipt_ranges[0].first_receipt == tuesday
    assert second.period_start == first.closed_at
    assert null.null
    assert [first.grand_total, second.grand_total, null.grand_total] == [
        first.figures.sales_total,
        first.figures.sales_total + second.figures.sales_total,
        first.figures.sales_total + second.figures.sales_total,
    ]
    assert rows(data_dir, "SELECT z_number FROM day_closes ORDER BY z_number") == [(1,), (2,), (3,)]
    logged = rows(data_dir, "SELECT kind, document_id FROM outbox WHERE kind = 'day_closed'")
    assert [document for _, document in logged] == [
        first.document_id,
        second.document_id,
        null.document_id,
    ]


def test_open_tickets_refuse_the_day_close_and_nothing_is_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "till-10"
    till = make_till(data_dir)
    try:
        sell(till)
        table = till.selling.open_ticket(ANNA, 4)
        till.selling.book(ANNA, table.ticket_id, "100", 2)
        till.selling.open_ticket(ANNA, None)  # empty: holds nothing to cut in half
        before = rows(data_dir, "SELECT count(*) FROM journal")
        with pytest.raises(Refusal) as refused:
            till.reports.day_close(ANNA)
        after = rows(data_dir, "SELECT count(*) FROM journal")
        nothing = rows(data_dir, "SELECT count(*) FROM day_closes")
        till.selling.pay(ANNA, table.ticket_id, [Tendered(PaymentMethod.CASH)])
        closed = till.reports.day_close(ANNA)
    finally:
        till.stop()

    assert refused.value.code == errors.OPEN_TICKETS
    assert refused.value.status == 409
    assert refused.value.detail == {"open_tickets": 1}
    assert before == after
    assert nothing == [(0,)]
    assert closed.z_number == 1
    assert closed.figures.receipt_count == 2


def test_a_day_close_in_emergency_mode_is_marked_offline_and_queued_after_its_receipts(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "till-10"
    till = make_till(data_dir)
    till.station.save_mode(Mode.EMERGENCY)  # emergency mode, as a restart resumes it
    till.stop()
    till = make_till(data_dir, master_data=False)
    try:
        assert till.modes.state is Mode.EMERGENCY
        offline = [sell(till, "100"), sell(till, "200", "102")]
        report = till.reports.offline_report()
        z = till.reports.day_close(ANNA)
        after = till.reports.offline_report()
        unsent = till.selling.unsent_documents()
        unsent_day_closes = till.reports.unsent_day_closes()
    finally:
        till.stop()

    assert all(number.endswith("-02") for number in offline)
    assert report.figures.receipt_count == report.figures.emergency_count == 2
    assert report.unsent_count == 3 + 4  # open, book, close; open, book, book, close
    assert set(report.unsent_receipts) == set(offline)
    assert z.offline
    assert z.figures.emergency_count == 2
    assert after.figures.receipt_count == 0, "the next period starts after the day close"
    assert unsent[-1].kind == "day_closed"
    assert unsent[-1].document_id == z.document_id
    assert unsent[-1].recorded_at == z.closed_at, "queued with its date and time"
    assert unsent_day_closes == {z.document_id}
    [(payload,)] = rows(data_dir, "SELECT event FROM outbox WHERE kind = 'day_closed'")
    event = EVENT_ADAPTER.validate_json(str(payload))
    assert isinstance(event, DayClosed)
    assert event == z.event()


def test_an_undecided_outage_refuses_the_day_close_as_it_refuses_a_receipt(
    tmp_path: Path,
) -> None:
    till = make_till(tmp_path / "till-10")
    try:
        sell(till)
        till.modes.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), time.monotonic())
        with pytest.raises(Refusal) as refused:
            till.reports.day_close(ANNA)
        nothing = till.reports.day_closes()
        till.selling.choose(Choice.EMERGENCY)
        z = till.reports.day_close(ANNA)
    finally:
        till.stop()

    assert refused.value.code == errors.OUTAGE_UNDECIDED
    assert nothing == []
    assert (z.z_number, z.offline, z.figures.receipt_count) == (1, True, 1)
