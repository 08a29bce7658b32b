"""Admissions and gate scans on the server (R2.6): a pushed receipt makes its admissions
valid at the gate; a scan is judged by one rule whether a till asks live or pushes it after
an outage, and a nonce sent again is counted once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from autonom.contracts import GateScanIn, GateScanPublic, PushBatch
from autonom.domain import BookingVoided, Form, GateScanned, Item, ItemKind, NumberRange, Ticket
from autonom.server import service_layer as handlers
from autonom.server.adapters import SqlUnitOfWork
from tests.integration.server.till_log import ADMIN, STANDARD, TillLog, push, register

DAY_TICKET = Item(
    plu="800", name="Day admission", price=Decimal("12.00"), tax_code="A", kind=ItemKind.ADMISSION
)


class GateTill(TillLog):
    """A till's log that also sells admissions (numbered from its form 04) and scans them."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.admission_range = NumberRange(till=number, form=Form.ADMISSION)

    def admit(self, ticket: Ticket, *, offline: bool = False) -> str:
        """Book one admission on ``ticket``; its number."""
        booking = ticket.book(
            DAY_TICKET,
            STANDARD,
            1,
            booking_id=str(uuid.uuid4()),
            operator_number=1,
            till_number=self.number,
            at=self._tick(),
            offline=offline,
            issued_number=self.admission_range.issue(),
        )
        self._take(ticket)
        assert booking.issued_number is not None
        return booking.issued_number

    def scan(self, number: str, nonce: str | None = None, *, offline: bool = True) -> str:
        """Record a scan of ``number`` at the gate, as the till logs it; its nonce."""
        nonce = nonce or str(uuid.uuid4())
        self.pending.append(
            GateScanned(
                document_id=nonce,
                till_number=self.number,
                gate="main",
                admission_number=number,
                scanned_at=self._tick(),
                operator_number=1,
                offline=offline,
            )
        )
        return nonce

    def scan_body(self, number: str, nonce: str) -> dict[str, Any]:
        """The same scan as the till asks about it live."""
        return {
            "nonce": nonce,
            "admission_number": number,
            "gate": "main",
            "scanned_at": (self.now + timedelta(seconds=1)).isoformat(),
            "operator_number": 1,
        }


def gate_till(server: TestClient, number: int) -> GateTill:
    till = GateTill(number)
    till.credential = register(server, number).credential
    return till


def admissions(server: TestClient) -> dict[str, dict[str, Any]]:
    answer = server.get("/api/v1/admissions", headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return {a["number"]: a for a in answer.json()}


def scans_of(server: TestClient, till: TillLog, nonces: list[str]) -> dict[str, dict[str, Any]]:
    answer = server.get("/api/v1/gate-scans", params={"nonces": nonces}, headers=till.auth)
    assert answer.status_code == 200, answer.text
    return {s["nonce"]: s for s in answer.json()}


def scan_live(server: TestClient, till: GateTill, number: str, nonce: str) -> dict[str, Any]:
    answer = server.post(
        "/api/v1/gate-scans", json=till.scan_body(number, nonce), headers=till.auth
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def sell_admissions(till: GateTill, count: int, *, void_first: bool = False) -> list[str]:
    """One receipt with ``count`` admissions and an espresso; the first voided if asked."""
    ticket = till.open()
    numbers = [till.admit(ticket) for _ in range(count)]
    till.book(ticket)
    if void_first:
        first = next(b for b in ticket.bookings if b.issued_number == numbers[0])
        ticket.void(
            first.booking_id,
            "wrong ticket",
            operator_number=1,
            till_number=till.number,
            at=till._tick(),
        )
        till._take(ticket)
    till.close(ticket)
    return numbers


def test_a_pushed_receipt_makes_its_admissions_valid_and_an_unpaid_one_never(
    server: TestClient,
) -> None:
    till = gate_till(server, 10)
    voided, kept = sell_admissions(till, 2, void_first=True)
    unpaid = till.open()
    never_paid = till.admit(unpaid)
    assert push(server, till, till.operations()).status_code == 200

    held = admissions(server)
    assert set(held) == {voided, kept}
    assert held[kept]["state"] == "valid"
    assert held[voided]["state"] == "voided"
    assert held[kept]["receipt_number"] == "10000001-01"
    assert held[kept]["till_number"] == 10
    assert held[kept]["offline"] is False
    assert held[kept]["valid_from"] is not None
    assert never_paid not in held

    nonces = [till.scan(n) for n in (kept, voided, never_paid)]
    push(server, till, till.operations())
    results = scans_of(server, till, nonces)
    assert [(results[n]["result"], results[n]["reason_code"]) for n in nonces] == [
        ("accepted", None),
        ("rejected", "voided"),
        ("rejected", "unknown_number"),
    ]
    assert admissions(server)[kept]["state"] == "used"
    assert admissions(server)[kept]["used_by"] == nonces[0]


def test_a_booking_voided_after_the_close_voids_its_admission(server: TestClient) -> None:
    till = gate_till(server, 10)
    ticket = till.open()
    number = till.admit(ticket)
    till.close(ticket)
    push(server, till, till.operations())
    assert admissions(server)[number]["state"] == "valid"
    # A void after the close (flagged CHANGED_AFTER_CLOSE): the sale of it is undone.
    till.pending.append(
        BookingVoided(
            ticket_id=ticket.ticket_id,
            booking_id=ticket.bookings[0].booking_id,
            reason="refund",
            operator_number=1,
            till_number=till.number,
            voided_at=till._tick(),
        )
    )
    push(server, till, till.operations())
    assert admissions(server)[number]["state"] == "voided"


def test_the_live_call_and_the_push_judge_the_same_scans_alike(server: TestClient) -> None:
    live, pushed = gate_till(server, 10), gate_till(server, 11)
    sold = {}
    for till in (live, pushed):
        sold[till.number] = sell_admissions(till, 3, void_first=True)
        push(server, till, till.operations())

    def story(till: GateTill) -> list[tuple[str, str]]:
        """(number, nonce) of each scan: a first and a second scan of the same admission,
        the first scan sent again, a voided one, an unknown one, another valid one."""
        voided, first, other = sold[till.number]
        unknown = f"{till.number}000099-04"
        once = str(uuid.uuid4())
        return [
            (first, once),
            (first, str(uuid.uuid4())),
            (first, once),
            (voided, str(uuid.uuid4())),
            (unknown, str(uuid.uuid4())),
            (other, str(uuid.uuid4())),
        ]

    live_story, pushed_story = story(live), story(pushed)
    answers = [scan_live(server, live, number, nonce) for number, nonce in live_story]
    for number, nonce in pushed_story:
        pushed.scan(number, nonce)
    assert push(server, pushed, pushed.operations()).json()["applied"] == len(pushed_story)

    assert [(a["result"], a["reason_code"]) for a in answers] == [
        ("accepted", None),
        ("rejected", "already_used"),
        ("duplicate", None),
        ("rejected", "voided"),
        ("rejected", "unknown_number"),
        ("accepted", None),
    ]
    assert answers[2]["counts_as"] == "accepted"
    assert answers[1]["used_by"] == answers[0]["nonce"]
    assert "already used at" in answers[1]["reason"]

    def registered(till: GateTill, scans: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
        results = scans_of(server, till, [nonce for _, nonce in scans])
        return [(results[n]["result"], results[n]["reason_code"]) for _, n in scans]

    assert registered(live, live_story) == registered(pushed, pushed_story)
    assert len(scans_of(server, live, [n for _, n in live_story])) == 5  # the repeat: once


def test_a_nonce_sent_again_is_counted_once(server: TestClient) -> None:
    till = gate_till(server, 10)
    [number] = sell_admissions(till, 1)
    push(server, till, till.operations())
    nonce = str(uuid.uuid4())

    first = scan_live(server, till, number, nonce)
    again = scan_live(server, till, number, nonce)  # the answer was lost; the till asks again
    till.scan(number, nonce, offline=False)  # and its log pushes the same scan afterwards
    assert push(server, till, till.operations()).status_code == 200

    assert first["result"] == "accepted"
    assert (again["result"], again["counts_as"]) == ("duplicate", "accepted")
    assert again["reason"] == "duplicate: this scan was registered already (accepted)"
    listed = server.get("/api/v1/gate-scans", headers=ADMIN).json()
    assert [s["nonce"] for s in listed] == [nonce]
    assert listed[0]["result"] == "accepted"
    assert admissions(server)[number]["used_by"] == nonce


def test_fifty_offline_scans_pushed_after_the_outage_register_with_their_results(
    server: TestClient,
) -> None:
    till = gate_till(server, 10)
    numbers = [n for _ in range(5) for n in sell_admissions(till, 8)]  # 40 admissions
    nonces = [till.scan(n) for n in numbers]
    nonces += [till.scan(n) for n in numbers[:5]]  # read again at another gate: used
    nonces += [till.scan(f"10{900000 + i:06d}-04") for i in range(5)]  # never sold
    operations = till.operations()

    assert push(server, till, operations).status_code == 200  # sales and scans in one go
    again = push(server, till, operations)  # the answer was lost: sent again
    assert again.json()["applied"] == 0

    results = scans_of(server, till, nonces)
    assert len(results) == 50
    outcomes = [(results[n]["result"], results[n]["reason_code"]) for n in nonces]
    assert (
        outcomes
        == [("accepted", None)] * 40
        + [("rejected", "already_used")] * 5
        + [("rejected", "unknown_number")] * 5
    )
    assert all(results[n]["offline"] for n in nonces)
    held = admissions(server)
    assert {held[n]["state"] for n in numbers} == {"used"}


def test_gate_scans_refused_clearly(server: TestClient) -> None:
    till, other = gate_till(server, 10), gate_till(server, 11)
    nonce = str(uuid.uuid4())
    receipt = till.scan_body("10000001-01", nonce)
    answer = server.post("/api/v1/gate-scans", json=receipt, headers=till.auth)
    assert (answer.status_code, answer.json()["code"]) == (422, "BAD_ADMISSION_NUMBER")
    no_gate = till.scan_body("10000001-04", nonce) | {"gate": "   "}
    answer = server.post("/api/v1/gate-scans", json=no_gate, headers=till.auth)
    assert (answer.status_code, answer.json()["code"]) == (422, "BAD_GATE")
    admin = server.post(
        "/api/v1/gate-scans", json=till.scan_body("10000001-04", nonce), headers=ADMIN
    )
    assert (admin.status_code, admin.json()["code"]) == (403, "WRONG_TILL")
    nobody = server.post("/api/v1/gate-scans", json=till.scan_body("10000001-04", nonce))
    assert (nobody.status_code, nobody.json()["code"]) == (401, "BAD_CREDENTIAL")
    bad_nonce = till.scan_body("10000001-04", "not-a-uuid")
    answer = server.post("/api/v1/gate-scans", json=bad_nonce, headers=till.auth)
    assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_INPUT")
    foreign = server.get("/api/v1/gate-scans", params={"till_number": 11}, headers=till.auth)
    assert (foreign.status_code, foreign.json()["code"]) == (403, "WRONG_TILL")
    too_many = [str(uuid.uuid4()) for _ in range(101)]
    answer = server.get("/api/v1/gate-scans", params={"nonces": too_many}, headers=till.auth)
    assert (answer.status_code, answer.json()["code"]) == (422, "INVALID_INPUT")
    # Nothing refused was registered; a till's own list holds none of another's scans.
    scan_live(server, other, "11000001-04", nonce)
    assert server.get("/api/v1/gate-scans", headers=till.auth).json() == []


def test_the_live_call_and_the_push_racing_for_one_scan_count_it_once(server: TestClient) -> None:
    """The till asks live while its uploader pushes the same scan, and two gates scan one
    admission at the same moment: each nonce is registered once, each admission used once."""
    till = gate_till(server, 10)
    numbers = [n for _ in range(3) for n in sell_admissions(till, 6)]  # 18 admissions
    push(server, till, till.operations())
    engine = server.app.state.context.engine  # type: ignore[attr-defined]

    def live(scan: GateScanned) -> GateScanPublic:
        scan_in = GateScanIn(
            nonce=uuid.UUID(scan.document_id),
            admission_number=scan.admission_number,
            gate=scan.gate,
            scanned_at=scan.scanned_at,
            operator_number=scan.operator_number,
        )
        return handlers.scan_at_gate(
            uow=SqlUnitOfWork(engine, 1), till_number=10, scan_in=scan_in, now=datetime.now(UTC)
        )

    def pushed(operations: list[dict[str, Any]]) -> None:
        batch = PushBatch.model_validate({"operations": operations})
        handlers.push(uow=SqlUnitOfWork(engine, 1), till_number=10, batch=batch)

    answers: list[GateScanPublic] = []
    other_gate: list[GateScanPublic] = []
    failures: list[Exception] = []
    for number in numbers:
        nonce = till.scan(number, offline=False)
        [scan] = [e for e in till.pending if isinstance(e, GateScanned)]
        operations = till.operations()
        start = threading.Barrier(3)
        rival = GateScanned(**{**vars(scan), "document_id": str(uuid.uuid4()), "gate": "south"})

        def at(work: Callable[[], object], barrier: threading.Barrier = start) -> None:
            barrier.wait()
            try:
                work()
            except Exception as error:
                failures.append(error)

        threads = [
            threading.Thread(target=at, args=(lambda s=scan: answers.append(live(s)),)),
            threading.Thread(target=at, args=(lambda o=operations: pushed(o),)),
            threading.Thread(target=at, args=(lambda r=rival: other_gate.append(live(r)),)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert answers[-1].nonce == nonce

    assert failures == []
    assert len(answers) == len(other_gate) == len(numbers)
    position = server.get("/api/v1/tills/10/position", headers=till.auth).json()
    assert position["applied_through"] == till.seq  # every push went through
    held = admissions(server)
    registered = server.get("/api/v1/gate-scans", params={"limit": 1000}, headers=ADMIN).json()
    assert len(registered) == 2 * len(numbers)  # the pushed copy of each scan: counted once
    for number in numbers:
        accepted = [
            s for s in registered if s["admission_number"] == number and s["result"] == "accepted"
        ]
        assert len(accepted) == 1
        assert held[number]["used_by"] == accepted[0]["nonce"]
