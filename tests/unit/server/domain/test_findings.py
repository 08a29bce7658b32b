"""What the server flags for a person while it applies a push, judged without a database
(invariant 6: the event is applied all the same). A ticket's own flags are judged on its
whole history (``project_family``, tests/unit/server/domain/test_projection.py); these are
the ones judged per operation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from autonom.domain import TicketClosed
from autonom.server.domain import receipt_findings

AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CLOSED = TicketClosed(
    ticket_id="t1",
    receipt_number="10000001-01",
    till_number=10,
    operator_number=1,
    closed_at=AT,
    total=Decimal("4.80"),
    taxes=(),
    payments=(),
    offline=True,
)


def test_a_new_receipt_number_raises_nothing() -> None:
    assert receipt_findings(CLOSED, receipt_number_used=False) == []


def test_a_reused_receipt_number_is_flagged_and_the_message_names_it() -> None:
    (finding,) = receipt_findings(CLOSED, receipt_number_used=True)
    assert finding.code == "RECEIPT_NUMBER_REUSED"
    assert "10000001-01" in finding.message
