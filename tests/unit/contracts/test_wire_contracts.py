"""The wire contracts: the booking's JSON shape deployed tills read, the contract version,
and a full push batch fitting under the body limit (issue 7, points 4 and 8)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from autonom.contracts import CONTRACT_VERSION, BookingPublic, Operation, PushBatch, TicketPublic
from autonom.contracts.sync import MAX_BATCH
from autonom.domain import Payment, PaymentMethod, Refusal, TaxLine, TicketClosed, limits
from autonom.domain.errors import CONTRACT_TOO_NEW
from autonom.web import MAX_BODY_BYTES
from tests.unit.domain.test_limits import AT, a_sale


def test_a_booking_on_the_wire_keeps_the_shape_deployed_tills_read() -> None:
    booking = TicketPublic.of(a_sale()).model_dump(mode="json")["bookings"][0]
    assert booking == {
        "booking_id": "b1",
        "plu": "200",
        "name": "Cheesecake",
        "quantity": 2,
        "unit_price": "4.20",
        "tax_code": "A",
        "tax_percent": "19.00",
        "operator_number": 1,
        "till_number": 10,
        "booked_at": "2026-11-20T12:00:00Z",
        "offline": False,
        "issued_number": None,  # contract 2: only added, every earlier key as it was
        "void_reason": "wrong item",
    }
    assert BookingPublic(**{**booking, "extra_from_a_newer_server": 1}).booking_id == "b1"


def test_a_push_without_a_contract_version_is_version_1() -> None:
    assert CONTRACT_VERSION == 4
    operation = {
        "seq": 1,
        "op_id": str(uuid.uuid4()),
        "recorded_at": AT.isoformat(),
        "event": {
            "kind": "ticket_opened",
            "ticket_id": "t1",
            "till_number": 10,
            "table": None,
            "operator_number": 1,
            "opened_at": AT.isoformat(),
            "offline": False,
        },
    }
    assert PushBatch.model_validate({"operations": [operation]}).contract == 1
    with pytest.raises(Refusal) as newer:
        PushBatch.model_validate(
            {"operations": [operation], "contract": CONTRACT_VERSION + 1, "new": 1}
        )
    assert newer.value.code == CONTRACT_TOO_NEW
    assert newer.value.status == 409


def test_the_largest_legitimate_push_batch_fits_under_the_body_limit() -> None:
    """Every text at its limit, every tax line and tender a receipt may have."""
    longest = "9" * limits.MAX_ID_LENGTH
    taxes = tuple(
        TaxLine(f"{i:02d}", Decimal("99.99"), limits.MAX_AMOUNT, limits.MAX_AMOUNT)
        for i in range(limits.MAX_TAX_LINES)
    )
    payments = tuple(
        Payment(PaymentMethod.CASH, limits.MAX_AMOUNT, limits.MAX_AMOUNT)
        for _ in range(limits.MAX_TENDERS)
    )
    closed = TicketClosed(
        ticket_id=longest,
        receipt_number="999999999-99",
        till_number=limits.MAX_TILL,
        operator_number=limits.MAX_OPERATOR,
        closed_at=AT,
        total=limits.MAX_AMOUNT,
        taxes=taxes,
        payments=payments,
        offline=True,
    )
    first = limits.MAX_SEQ - MAX_BATCH
    operations = [
        Operation(seq=first + i, op_id=uuid.uuid4(), recorded_at=AT, event=closed)
        for i in range(1, MAX_BATCH + 1)
    ]
    size = len(PushBatch(operations=operations).model_dump_json())
    assert size * 1.5 < MAX_BODY_BYTES


def test_a_real_sale_still_validates_as_a_push() -> None:
    events = a_sale().events
    operations = [
        Operation(seq=i, op_id=uuid.uuid4(), recorded_at=AT, event=e)
        for i, e in enumerate(events, start=1)
    ]
    wire = PushBatch(operations=operations).model_dump_json()
    assert [op.event for op in PushBatch.model_validate_json(wire).operations] == events
