"""First start: the till registers once and keeps its credential; the master-data snapshot
is replaced as a whole and survives a restart."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autonom.contracts import MasterData, TillRegistered, TillRegistration
from autonom.domain import Refusal, errors
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.store import TillStore
from autonom.till.adapters.unit_of_work import SqliteUnitOfWork
from autonom.till.service_layer.snapshot import (
    LinkState,
    SnapshotKeeper,
    refresh_master_data,
    register_till,
)
from tests.unit.till.conftest import CAFE, TILL, CafeServer, ManualClock, TillUnderTest


@dataclass
class EnrollingServer:
    credential: str | None = None
    reachable: bool = True
    registrations: list[TillRegistration] = field(default_factory=list)

    def register(self, registration: TillRegistration) -> TillRegistered:
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        if registration.enrolment_code != "let-me-in":
            raise Refusal(errors.BAD_ENROLMENT_CODE, "wrong code", 403)
        self.registrations.append(registration)
        return TillRegistered(till_number=TILL, credential=f"cred-{len(self.registrations)}")

    def master_data(self) -> MasterData:
        if not self.reachable:
            raise ServerUnreachable("connection refused")
        return CAFE


def test_the_till_registers_once_and_keeps_its_credential_across_restarts(
    tmp_path: Path,
) -> None:
    server = EnrollingServer()
    store = TillStore(tmp_path, till_number=TILL, server_url="http://server")
    clock = ManualClock()
    assert register_till(store, server, clock=clock, enrolment_code="let-me-in") == "cred-1"
    store.close()

    reopened = TillStore(tmp_path, till_number=TILL, server_url="http://server")
    other_link = EnrollingServer()
    assert register_till(reopened, other_link, clock=clock, enrolment_code="let-me-in") == "cred-1"
    assert other_link.registrations == []
    assert other_link.credential == "cred-1"
    reopened.close()


def test_a_wrong_enrolment_code_is_reported_and_nothing_is_stored(tmp_path: Path) -> None:
    server = EnrollingServer()
    store = TillStore(tmp_path, till_number=TILL, server_url="http://server")
    with pytest.raises(Refusal) as refused:
        register_till(store, server, clock=ManualClock(), enrolment_code="guess")
    assert refused.value.code == errors.BAD_ENROLMENT_CODE
    assert store.credential() is None
    store.close()


def test_an_unreachable_server_is_said_on_the_page_and_registration_happens_later(
    tmp_path: Path,
) -> None:
    server = EnrollingServer(reachable=False)
    store = TillStore(tmp_path, till_number=TILL, server_url="http://server")

    clock = ManualClock()

    def unit_of_work() -> SqliteUnitOfWork:
        return SqliteUnitOfWork(store, clock)

    keeper = SnapshotKeeper(store, server, unit_of_work, clock=clock, enrolment_code="let-me-in")
    with pytest.raises(ServerUnreachable):
        keeper.refresh_now()
    assert not keeper.state().registered
    assert "not reachable" in (keeper.state().problem or "")

    server.reachable = True
    assert keeper.refresh_now() == CAFE.version
    assert keeper.state() == LinkState(registered=True, problem=None)
    assert store.credential() == "cred-1"
    store.close()


def test_a_data_directory_of_another_till_is_refused(tmp_path: Path) -> None:
    TillStore(tmp_path, till_number=TILL, server_url="http://server").close()
    with pytest.raises(ValueError, match="belongs to till 10"):
        TillStore(tmp_path, till_number=11, server_url="http://server")


def test_the_snapshot_is_replaced_whole_and_survives_a_restart(till: TillUnderTest) -> None:
    smaller = CAFE.model_copy(update={"version": 4, "items": CAFE.items[:1]})

    class SmallerServer(CafeServer):
        def master_data(self) -> MasterData:
            return smaller

    assert refresh_master_data(till.uow(), SmallerServer()) == 4
    till.reopen()
    with till.uow() as uow:
        info = uow.master_data.info()
        found = uow.master_data.search_items("")
    assert (info.version, info.items, info.operators) == (4, 1, 1)
    assert info.fetched_at == till.clock.now
    assert [i.plu for i in found] == ["100"]


def test_items_are_found_by_name_or_plu_and_withdrawn_ones_are_hidden(
    till: TillUnderTest,
) -> None:
    with till.uow() as uow:
        by_name = [i.name for i in uow.master_data.search_items("cap")]
        by_plu = [i.plu for i in uow.master_data.search_items("10")]
        withdrawn = uow.master_data.search_items("Old")
        wildcard = uow.master_data.search_items("%")
    assert by_name == ["Cappuccino"]
    assert sorted(by_plu) == ["100", "101"]
    assert withdrawn == []
    assert wildcard == []
