"""The sequence rules of the push, without a database: skip what is held, refuse a gap,
refuse another operation at a held sequence, refuse events of another till or range."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from autonom.contracts import Operation
from autonom.domain import Refusal, TicketClosed, TicketOpened
from autonom.server.domain import check_events, plan_push

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def opened(till: int = 10) -> TicketOpened:
    return TicketOpened(
        ticket_id="t1", till_number=till, table=None, operator_number=1, opened_at=AT, offline=False
    )


def closed(receipt_number: str, till: int = 10) -> TicketClosed:
    return TicketClosed(
        ticket_id="t1",
        receipt_number=receipt_number,
        till_number=till,
        operator_number=1,
        closed_at=AT,
        total=Decimal("2.40"),
        taxes=(),
        payments=(),
        offline=False,
    )


def log(*seqs: int) -> list[Operation]:
    return [Operation(seq=s, op_id=uuid.uuid4(), recorded_at=AT, event=opened()) for s in seqs]


def held(operations: list[Operation]) -> dict[int, str]:
    return {op.seq: str(op.op_id) for op in operations}


def test_first_batch_is_applied_whole() -> None:
    plan = plan_push(applied_through=0, operations=log(1, 2, 3), stored_op_ids={})
    assert [op.seq for op in plan.new] == [1, 2, 3]
    assert plan.skipped == ()


def test_held_operations_are_skipped_and_the_rest_applied() -> None:
    operations = log(3, 4, 5, 6)
    plan = plan_push(applied_through=4, operations=operations, stored_op_ids=held(operations[:2]))
    assert [op.seq for op in plan.skipped] == [3, 4]
    assert [op.seq for op in plan.new] == [5, 6]


def test_batch_starting_after_a_gap_is_refused_with_the_expected_sequence() -> None:
    with pytest.raises(Refusal) as refused:
        plan_push(applied_through=4, operations=log(6, 7), stored_op_ids={})
    assert refused.value.code == "SEQUENCE_GAP"
    assert refused.value.status == 409
    assert refused.value.detail == {"expected": 5}


def test_batch_with_a_hole_is_refused_with_where_the_server_stands() -> None:
    # Nothing of the batch is written, so the till must resend from 1, not from 3.
    with pytest.raises(Refusal) as refused:
        plan_push(applied_through=0, operations=log(1, 2, 4), stored_op_ids={})
    assert refused.value.code == "SEQUENCE_GAP"
    assert refused.value.detail == {"expected": 1}
    with pytest.raises(Refusal) as refused:
        plan_push(applied_through=4, operations=log(5, 6, 8), stored_op_ids={})
    assert refused.value.detail == {"expected": 5}


def test_other_operation_at_a_held_sequence_is_a_conflict() -> None:
    operations = log(1, 2)
    stored = held(operations) | {2: str(uuid.uuid4())}
    with pytest.raises(Refusal) as refused:
        plan_push(applied_through=2, operations=operations, stored_op_ids=stored)
    assert refused.value.code == "SEQUENCE_CONFLICT"


def test_events_must_be_the_pushing_tills_own() -> None:
    operation = Operation(seq=1, op_id=uuid.uuid4(), recorded_at=AT, event=opened(till=11))
    with pytest.raises(Refusal) as refused:
        check_events(till_number=10, operations=[operation])
    assert (refused.value.code, refused.value.status) == ("WRONG_TILL", 403)


@pytest.mark.parametrize("number", ["11000001-01", "nonsense", "10000001"])
def test_receipt_numbers_must_be_from_the_tills_range(number: str) -> None:
    operation = Operation(seq=1, op_id=uuid.uuid4(), recorded_at=AT, event=closed(number))
    with pytest.raises(Refusal) as refused:
        check_events(till_number=10, operations=[operation])
    assert (refused.value.code, refused.value.status) == ("FOREIGN_RANGE", 403)


def test_own_receipt_number_passes() -> None:
    for number in ("10000001-01", "10000007-02"):
        operation = Operation(seq=1, op_id=uuid.uuid4(), recorded_at=AT, event=closed(number))
        check_events(till_number=10, operations=[operation])
