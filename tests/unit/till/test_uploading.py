"""The uploader pushes the till's operations in order, exactly once, and recovers from a lost
answer, a server that lost data and a server that is gone. The server here is a plain object
that keeps the push protocol's sequence rules (docs/sync-protocol.md); the real server is
exercised in tests/integration/till."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from autonom.contracts import PushBatch, PushResult
from autonom.domain import Refusal
from autonom.domain.errors import BAD_CREDENTIAL
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer.uploader import Uploader
from tests.unit.till.conftest import TillUnderTest
from tests.unit.till.fakes import SequencedServer

T = TypeVar("T")


@pytest.fixture
def server() -> SequencedServer:
    return SequencedServer()


def make_uploader(till: TillUnderTest, server: SequencedServer, batch_size: int = 200) -> Uploader:
    return Uploader(till.store.path, server, batch_size=batch_size)


def test_sales_are_uploaded_in_order_in_batches_and_counted_until_sent(
    till: TillUnderTest, server: SequencedServer
) -> None:
    for _ in range(3):
        till.sell("100", "200")  # 4 operations each
    uploader = make_uploader(till, server, batch_size=5)
    assert uploader.unsent_count() == 12
    with till.reading() as uow:
        assert uow.outbox.unsent_receipt_count() == 3
        documents = uow.outbox.unsent_documents()
    closes = [d.receipt_number for d in documents if d.kind == "ticket_closed"]
    assert closes == ["10000001-01", "10000002-01", "10000003-01"]

    assert uploader.push_pending() == 12

    assert [op.seq for op in server.applied] == list(range(1, 13))
    assert server.batches == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert uploader.unsent_count() == 0
    with till.reading() as uow:
        assert uow.outbox.unsent_receipt_count() == 0
        assert uow.outbox.unsent_documents() == []
    uploader.stop()


def test_sales_made_while_the_server_is_gone_are_uploaded_once_when_it_returns(
    till: TillUnderTest, server: SequencedServer
) -> None:
    uploader = make_uploader(till, server)
    server.reachable = False
    till.sell("100")
    with pytest.raises(ServerUnreachable):
        uploader.push_pending()
    till.sell("101")
    assert uploader.unsent_count() == 6

    server.reachable = True
    uploader.push_pending()
    uploader.push_pending()

    assert [op.seq for op in server.applied] == [1, 2, 3, 4, 5, 6]
    assert uploader.unsent_count() == 0
    uploader.stop()


def test_a_lost_answer_is_resent_and_applied_once(
    till: TillUnderTest, server: SequencedServer
) -> None:
    uploader = make_uploader(till, server)
    till.sell("100")
    server.lose_next_answer = True
    with pytest.raises(ServerUnreachable):
        uploader.push_pending()
    assert uploader.unsent_count() == 3  # the till cannot know it arrived

    till.sell("200")
    uploader.push_pending()

    assert [op.seq for op in server.applied] == [1, 2, 3, 4, 5, 6]
    assert len({op.op_id for op in server.applied}) == 6
    assert uploader.unsent_count() == 0
    uploader.stop()


def test_a_server_that_lost_operations_gets_them_again_from_its_position(
    till: TillUnderTest, server: SequencedServer
) -> None:
    uploader = make_uploader(till, server)
    till.sell("100")
    uploader.push_pending()
    del server.applied[1:]  # restored from an older backup: holds seq 1 only
    till.sell("200")

    uploader.push_pending()

    assert [op.seq for op in server.applied] == [1, 2, 3, 4, 5, 6]
    assert uploader.unsent_count() == 0
    uploader.stop()


def test_the_uploader_thread_delivers_a_sale_after_the_commit_wakes_it(
    till: TillUnderTest, server: SequencedServer
) -> None:
    uploader = make_uploader(till, server)
    till.store.after_commit(uploader.wake)
    uploader.start()
    delivered = threading.Event()
    original_push = server.push

    def push_and_signal(batch: PushBatch) -> PushResult:
        result = original_push(batch)
        if server.applied_through >= 3:
            delivered.set()
        return result

    server.push = push_and_signal  # type: ignore[method-assign]
    till.sell("100")
    assert delivered.wait(timeout=10)
    uploader.stop()
    assert [op.seq for op in server.applied] == [1, 2, 3]


def test_an_unregistered_till_does_not_push(till: TillUnderTest, server: SequencedServer) -> None:
    server.credential = None
    uploader = make_uploader(till, server)
    till.sell("100")
    with pytest.raises(ServerUnreachable):
        uploader.push_pending()
    assert server.batches == []
    uploader.stop()


class AheadServer(SequencedServer):
    """A server that holds more of this till's log than the till sent (a till restored
    from an older backup of its database): it answers an applied_through past the batch."""

    def push(self, batch: PushBatch) -> PushResult:
        self.batches.append([op.seq for op in batch.operations])
        return PushResult(applied_through=batch.operations[-1].seq + 50, applied=0, skipped=0)


def test_only_the_operations_of_the_batch_sent_are_marked_sent(till: TillUnderTest) -> None:
    for _ in range(3):
        till.sell("100", "200")  # 4 operations each
    uploader = Uploader(till.store.path, AheadServer(), batch_size=5)
    try:
        first = uploader._next_batch()
        uploader._mark_confirmed(first, 55)  # the answer names a position far beyond it
        assert uploader.unsent_count() == 7  # 6-12 were never sent: they stay unsent
        with till.reading() as uow:
            assert [d.seq for d in uow.outbox.unsent_documents()] == list(range(6, 13))
        uploader._mark_confirmed(uploader._next_batch(), 7)  # the server holds 6-7 of 6-10
        with till.reading() as uow:
            assert [d.seq for d in uow.outbox.unsent_documents()] == list(range(8, 13))
    finally:
        uploader.stop()


def test_every_push_names_this_databases_log(till: TillUnderTest) -> None:
    seen: list[object] = []

    class Naming(SequencedServer):
        def push(self, batch: PushBatch) -> PushResult:
            seen.append(batch.log_id)
            return super().push(batch)

    till.sell("100")
    uploader = Uploader(till.store.path, Naming())
    try:
        uploader.push_pending()
    finally:
        uploader.stop()
    assert seen == [till.store.log_id()]


class RefusingServer(SequencedServer):
    """Refuses every push with BAD_CREDENTIAL until ``credential`` is the renewed one."""

    def push(self, batch: PushBatch) -> PushResult:
        if self.credential != "renewed":
            raise Refusal(BAD_CREDENTIAL, "unknown credential", 401)
        return super().push(batch)


def test_a_refused_push_is_shown_and_tried_again_at_once_when_a_credential_is_installed(
    till: TillUnderTest,
) -> None:
    server = RefusingServer()
    uploader = Uploader(till.store.path, server)
    till.sell("100")
    uploader.start()
    try:
        shown = wait_until(lambda: uploader.state().refusal)
        assert shown.code == BAD_CREDENTIAL
        assert "credential" in shown.to_do  # what to do, in plain words
        assert uploader.unsent_count() == 3  # kept (open, book, close): the till sells on
        server.credential = "renewed"
        uploader.credential_installed()  # ends the slow retry of a refusal at once
        wait_until(lambda: uploader.unsent_count() == 0)
        assert uploader.state().refusal is None
    finally:
        uploader.stop()


def wait_until(condition: Callable[[], T], seconds: float = 10.0) -> T:
    """``condition()`` once truthy; a deadline, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while not (result := condition()):
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.01)
    return result
