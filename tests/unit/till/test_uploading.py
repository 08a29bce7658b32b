"""The uploader pushes the till's operations in order, exactly once, and recovers from a lost
answer, a server that lost data and a server that is gone. The server here is a plain object
that keeps the push protocol's sequence rules (docs/sync-protocol.md); the real server is
exercised in tests/integration/till."""

from __future__ import annotations

import threading

import pytest

from autonom.contracts import PushBatch, PushResult
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.service_layer.uploader import Uploader
from tests.unit.till.conftest import TillUnderTest
from tests.unit.till.fakes import SequencedServer


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
