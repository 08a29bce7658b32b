"""Invariant 9 with invariant 2: several server processes on one database apply a batch
that reaches both of them at once exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from autonom.contracts import TicketPublic
from autonom.domain import Ticket
from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import ADMIN, ESPRESSO, TillLog, register, server_settings

ROUNDS = 8


def test_two_servers_apply_the_same_batch_once(db_url: str) -> None:
    # Two app instances, two engines, one database: two server processes in all but the pid.
    with (
        TestClient(create_app(server_settings(db_url))) as first,
        TestClient(create_app(server_settings(db_url))) as second,
    ):
        till = register(first, 10)
        start = threading.Barrier(2)

        def send(server: TestClient, operations: list[dict[str, Any]]) -> Any:
            start.wait()
            return server.post(
                "/api/v1/tills/10/operations", json={"operations": operations}, headers=till.auth
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(ROUNDS):
                till.sale(table=3, items=3)
                operations = till.operations()
                answers = list(pool.map(send, (first, second), (operations, operations)))
                assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
                results = sorted((a.json()["applied"], a.json()["skipped"]) for a in answers)
                assert results == [(0, len(operations)), (len(operations), 0)]

        receipts = second.get("/api/v1/receipts", headers=ADMIN).json()
        assert [r["number"] for r in receipts] == [f"10{n:06d}-01" for n in range(1, ROUNDS + 1)]
        assert not any(r["duplicate"] for r in receipts)
        assert first.get("/api/v1/flags", headers=ADMIN).json() == []
        [position] = first.get("/api/v1/tills", headers=ADMIN).json()
        assert position["applied_through"] == till.seq


def test_two_tills_booking_one_table_at_once_lose_no_booking(db_url: str) -> None:
    with (
        TestClient(create_app(server_settings(db_url))) as first,
        TestClient(create_app(server_settings(db_url))) as second,
    ):
        till_10 = register(first, 10)
        till_11 = register(first, 11)
        ticket = till_10.open(table=1)
        first.post(
            "/api/v1/tills/10/operations",
            json={"operations": till_10.operations()},
            headers=till_10.auth,
        ).raise_for_status()
        shared = TicketPublic.model_validate(
            first.get(f"/api/v1/tickets/{ticket.ticket_id}", headers=ADMIN).json()
        )
        on_10, on_11 = till_10.adopt(shared), till_11.adopt(shared)
        start = threading.Barrier(2)

        def book_and_push(server: TestClient, till: TillLog, mine: Ticket) -> int:
            till.book(mine)
            operations = till.operations()
            start.wait()
            answer = server.post(
                f"/api/v1/tills/{till.number}/operations",
                json={"operations": operations},
                headers=till.auth,
            )
            return answer.status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            for _ in range(ROUNDS):
                codes = pool.map(book_and_push, (first, second), (till_10, till_11), (on_10, on_11))
                assert list(codes) == [200, 200]

        merged = first.get(f"/api/v1/tickets/{ticket.ticket_id}", headers=ADMIN).json()
        by_till = [b["till_number"] for b in merged["bookings"]]
        assert sorted(by_till) == [10] * ROUNDS + [11] * ROUNDS
        assert merged["total"] == str(ESPRESSO.price * 2 * ROUNDS)
