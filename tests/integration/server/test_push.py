"""A till pushes its operation log: applied in order, exactly once, refused whole when it
does not fit (gap, conflict, another till's events or receipt numbers)."""

from __future__ import annotations

import dataclasses
import uuid

from fastapi.testclient import TestClient

from autonom.domain import BookingAdded, BookingVoided, ReceiptNumber, TicketClosed
from autonom.server.domain import follow_up_id
from tests.integration.server.till_log import ADMIN, CAKE, event_of, push, register


def receipts(server: TestClient) -> list[dict[str, object]]:
    answer = server.get("/api/v1/receipts", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    result: list[dict[str, object]] = answer.json()
    return result


def position(server: TestClient, till_number: int, auth: dict[str, str]) -> int:
    answer = server.get(f"/api/v1/tills/{till_number}/position", headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json()["till_number"] == till_number
    applied: int = answer.json()["applied_through"]
    return applied


def test_registered_till_pushes_and_reads_its_position(server: TestClient) -> None:
    till = register(server, 10)
    assert position(server, 10, till.auth) == 0
    till.sale(table=4, items=2)  # open, 2 bookings, close
    answer = push(server, till, till.operations())
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"applied_through": 4, "applied": 4, "skipped": 0}
    assert position(server, 10, till.auth) == 4
    [receipt] = receipts(server)
    assert receipt["number"] == "10000001-01"
    assert receipt["total"] == "4.80"
    of_day = server.get("/api/v1/receipts", params={"date": "2026-11-20"}, headers=ADMIN)
    assert [r["number"] for r in of_day.json()] == ["10000001-01"]
    next_day = server.get("/api/v1/receipts", params={"date": "2026-11-21"}, headers=ADMIN)
    assert next_day.json() == []
    tills = server.get("/api/v1/tills", headers=ADMIN).json()
    assert [(t["till_number"], t["applied_through"]) for t in tills] == [(10, 4)]
    assert tills[0]["last_push_at"] is not None


def test_resent_batch_is_applied_once(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    assert push(server, till, operations).json()["applied"] == 4
    again = push(server, till, operations)  # the answer was lost; the till sends it again
    assert again.status_code == 200, again.text
    assert again.json() == {"applied_through": 4, "applied": 0, "skipped": 4}
    # A batch that overlaps the held part and goes on is applied from where it stands.
    till.sale(items=1)
    overlapping = operations[2:] + till.operations()
    answer = push(server, till, overlapping)
    assert answer.json() == {"applied_through": 7, "applied": 3, "skipped": 2}
    assert [r["number"] for r in receipts(server)] == ["10000001-01", "10000002-01"]


def test_gap_is_refused_with_the_expected_sequence(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    answer = push(server, till, operations[2:])  # operations 1 and 2 never arrived
    assert answer.status_code == 409
    assert answer.json()["code"] == "SEQUENCE_GAP"
    assert answer.json()["detail"] == {"expected": 1}
    assert position(server, 10, till.auth) == 0
    holey = push(server, till, [operations[0], operations[2]])  # a hole inside the batch
    assert holey.status_code == 409
    assert holey.json()["code"] == "SEQUENCE_GAP"
    assert receipts(server) == []
    assert push(server, till, operations).json()["applied_through"] == 4


def test_other_operation_at_a_held_sequence_is_a_conflict(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    push(server, till, operations)
    rewritten = [dict(op) for op in operations]
    rewritten[1]["op_id"] = str(uuid.uuid4())  # e.g. a till restored from an old backup
    till.sale()
    answer = push(server, till, rewritten + till.operations())
    assert answer.status_code == 409
    assert answer.json()["code"] == "SEQUENCE_CONFLICT"
    assert position(server, 10, till.auth) == 4
    assert len(receipts(server)) == 1


def test_same_operation_at_a_new_sequence_is_a_conflict(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    push(server, till, operations)
    replayed = dict(operations[3], seq=5)
    answer = push(server, till, [replayed])
    assert answer.status_code == 409
    assert answer.json()["code"] == "SEQUENCE_CONFLICT"
    assert position(server, 10, till.auth) == 4


def test_event_of_another_till_is_refused_and_nothing_written(server: TestClient) -> None:
    till = register(server, 10)
    register(server, 11)
    till.sale()
    operations = till.operations()
    operations[1]["event"]["till_number"] = 11
    answer = push(server, till, operations)
    assert answer.status_code == 403
    assert answer.json()["code"] == "WRONG_TILL"
    assert position(server, 10, till.auth) == 0
    assert server.get("/api/v1/tickets", headers=ADMIN).json() == []


def test_receipt_from_another_range_is_refused_and_nothing_written(server: TestClient) -> None:
    till = register(server, 10)
    ticket = till.open()
    till.book(ticket)
    till.close(ticket, number=ReceiptNumber(11, 1, 1))  # till 11's range
    answer = push(server, till, till.operations())
    assert answer.status_code == 403
    assert answer.json()["code"] == "FOREIGN_RANGE"
    assert position(server, 10, till.auth) == 0
    assert receipts(server) == []
    assert server.get("/api/v1/tickets", headers=ADMIN).json() == []


def test_unreadable_receipt_number_is_a_foreign_range(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    operations[-1]["event"]["receipt_number"] = "R-17"
    answer = push(server, till, operations)
    assert answer.status_code == 403
    assert answer.json()["code"] == "FOREIGN_RANGE"
    assert receipts(server) == []


def test_close_of_unknown_ticket_is_accepted_and_flagged(server: TestClient) -> None:
    till = register(server, 10)
    ticket = till.open(table=3)
    till.book(ticket)
    till.close(ticket)
    operations = till.operations()
    del operations[0:2]  # the server never got the opening nor the booking …
    for seq, operation in enumerate(operations, start=1):
        operation["seq"] = seq  # … because the till's log lost them (a restored backup)
    answer = push(server, till, operations)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 1
    [receipt] = receipts(server)
    assert receipt["number"] == "10000001-01"
    assert receipt["total"] == "2.40"
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    assert [(f["code"], f["till_number"], f["seq"]) for f in flags] == [("UNKNOWN_TICKET", 10, 1)]
    assert ticket.ticket_id in flags[0]["message"]
    shared = server.get(f"/api/v1/tickets/{ticket.ticket_id}", headers=till.auth).json()
    assert shared["status"] == "closed"
    assert shared["receipt_number"] == "10000001-01"


def test_reused_receipt_number_is_kept_and_flagged(server: TestClient) -> None:
    till = register(server, 10)
    first = till.sale(items=1)
    push(server, till, till.operations())
    assert first.receipt is not None
    other = till.open()
    till.book(other, CAKE)
    till.close(other, number=ReceiptNumber.parse(first.receipt.number))  # e.g. after a restore
    answer = push(server, till, till.operations())
    assert answer.status_code == 200, answer.text
    numbers = [(r["number"], r["total"], r["duplicate"]) for r in receipts(server)]
    assert numbers == [("10000001-01", "2.40", False), ("10000001-01", "4.20", True)]
    codes = [f["code"] for f in server.get("/api/v1/flags", headers=ADMIN).json()]
    assert codes == ["RECEIPT_NUMBER_REUSED"]


def test_a_receipt_number_used_twice_in_one_batch_is_flagged_there_too(
    server: TestClient,
) -> None:
    till = register(server, 10)
    first = till.sale(items=1)
    assert first.receipt is not None
    other = till.open()
    till.book(other, CAKE)
    till.close(other, number=ReceiptNumber.parse(first.receipt.number))
    answer = push(server, till, till.operations())  # both closes in the same batch
    assert answer.status_code == 200, answer.text
    numbers = [(r["number"], r["total"], r["duplicate"]) for r in receipts(server)]
    assert numbers == [("10000001-01", "2.40", False), ("10000001-01", "4.20", True)]
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    assert [(f["code"], f["ticket_id"]) for f in flags] == [
        ("RECEIPT_NUMBER_REUSED", other.ticket_id)
    ]


def test_second_close_of_a_ticket_is_kept_and_flagged(server: TestClient) -> None:
    till = register(server, 10)
    ticket = till.sale(items=1)
    operations = till.operations()
    closed = event_of(operations[-1])
    assert isinstance(closed, TicketClosed)
    till.pending.append(
        dataclasses.replace(closed, receipt_number="10000002-01", closed_at=till.now)
    )
    answer = push(server, till, operations + till.operations())
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 4
    assert [r["number"] for r in receipts(server)] == ["10000001-01", "10000002-01"]
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    assert [(f["code"], f["seq"], f["ticket_id"]) for f in flags] == [
        ("TICKET_CLOSED_TWICE", 4, ticket.ticket_id)
    ]


def test_changes_after_the_close_are_kept_and_flagged(server: TestClient) -> None:
    till = register(server, 10)
    ticket = till.open(table=9)
    till.book(ticket)
    operations = till.operations()
    till.close(ticket)
    closing = till.operations()
    # A booking and a void of a booking the ticket never had, recorded after the close.
    late = till.open()
    till.book(late, CAKE)
    late_booking = event_of(till.operations()[1])
    assert isinstance(late_booking, BookingAdded)
    till.pending.append(dataclasses.replace(late_booking, ticket_id=ticket.ticket_id))
    void = BookingVoided(
        ticket_id=ticket.ticket_id,
        booking_id="no-such-booking",
        reason="typo",
        operator_number=1,
        till_number=10,
        voided_at=till.now,
    )
    till.pending.append(void)
    late_ops = till.operations()
    for seq, operation in enumerate(late_ops, start=len(operations) + len(closing) + 1):
        operation["seq"] = seq
    answer = push(server, till, operations + closing + late_ops)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == 5
    flags = server.get("/api/v1/flags", headers=ADMIN).json()
    # The booking after the close is on no receipt: it waits on the follow-up ticket
    # (R3.2); the void names a booking the ticket never had.
    assert sorted((f["code"], f["seq"]) for f in flags) == [
        ("FOLLOW_UP_TICKET", 4),
        ("UNKNOWN_BOOKING", 5),
    ]
    shared = server.get(f"/api/v1/tickets/{ticket.ticket_id}", headers=ADMIN).json()
    assert [b["plu"] for b in shared["bookings"]] == ["100"]
    follow_up = server.get(
        f"/api/v1/tickets/{follow_up_id(ticket.ticket_id)}", headers=ADMIN
    ).json()
    assert (follow_up["status"], follow_up["table"], follow_up["follows"]) == (
        "open",
        9,
        ticket.ticket_id,
    )
    assert [b["plu"] for b in follow_up["bookings"]] == ["200"]
