"""The outage in the cashier's words (issue 8, point 7) and the snapshot's age (R2.2): the
dialog says why in plain words with the code one click away, what emergency mode stops
(from the capability matrix) and what Retry does; the icon never says "server lost" while
the dialog says the server answers again; a snapshot past its age is flagged; the unsent
list names every document and its emergency-mode mark (R2.7)."""

from __future__ import annotations

from datetime import timedelta

from autonom.domain import PaymentMethod
from autonom.till.domain import UP, Choice, DialogKind, Health, Reason, Verdict
from autonom.till.service_layer.commands import Tendered
from autonom.till.service_layer.modes import ModeKeeper
from autonom.till.service_layer.progress import ProgressTracker
from autonom.till.service_layer.snapshot import LinkState
from autonom.till.service_layer.status import EMERGENCY_STOPS, StatusLine, status_line
from autonom.till.service_layer.uploader import UploadState
from tests.unit.till.conftest import ANNA, CAFE
from tests.unit.till.fakes import FakeMasterData, FakeUnitOfWork
from tests.unit.till.test_handlers import keeper, selling_on, wall_clock

LINK = LinkState(registered=True, problem=None)
UPLOAD = UploadState(last_error=None, last_success=None)


def line(
    uow: FakeUnitOfWork, modes: ModeKeeper, *, stale_after: timedelta = timedelta(hours=24)
) -> StatusLine:
    return status_line(
        uow,
        view=modes.view(),
        link=LINK,
        upload=UPLOAD,
        now=wall_clock(),
        stale_after=stale_after,
        progress=ProgressTracker(),
    )


def test_the_outage_dialog_explains_in_plain_words_and_keeps_the_code() -> None:
    uow = FakeUnitOfWork(master=FakeMasterData(CAFE))
    modes = keeper()
    modes.link_verdict(Verdict(Health.DOWN, Reason.NO_APP), 100.0)

    status = line(uow, modes)

    assert status.icon == "outage"
    assert status.dialog is not None
    assert status.dialog.reason is Reason.NO_APP
    assert "NO" not in status.dialog.cause
    assert "program" in status.dialog.cause
    assert "Redeem a voucher" in status.dialog.stops
    assert "Cash payment" not in status.dialog.stops
    assert status.dialog.stops == EMERGENCY_STOPS


def test_while_the_server_answers_again_the_icon_does_not_say_server_lost() -> None:
    uow = FakeUnitOfWork(master=FakeMasterData(CAFE))
    modes = keeper()
    modes.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), 100.0)
    modes.link_verdict(UP, 101.0)

    status = line(uow, modes)

    assert status.dialog is not None
    assert status.dialog.kind is DialogKind.AUTO_RETURN
    assert status.icon == "returning"


def test_a_snapshot_older_than_its_age_is_flagged_for_a_refresh() -> None:
    uow = FakeUnitOfWork(master=FakeMasterData(CAFE))
    uow.master.fetched_at = wall_clock() - timedelta(hours=2)
    modes = keeper()

    assert not line(uow, modes, stale_after=timedelta(hours=3)).master_data_stale
    assert line(uow, modes, stale_after=timedelta(hours=1)).master_data_stale


def test_the_unsent_list_names_each_document_and_its_emergency_mark() -> None:
    uow = FakeUnitOfWork(master=FakeMasterData(CAFE))
    modes = keeper()
    selling = selling_on(uow, modes)
    live = selling.open_ticket(ANNA, None)
    modes.link_verdict(Verdict(Health.DOWN, Reason.NO_PING), 100.0)
    modes.choose(Choice.EMERGENCY)
    selling.book(ANNA, live.ticket_id, "100", 1)
    selling.pay(ANNA, live.ticket_id, [Tendered(PaymentMethod.CASH)], print_receipt=False)

    documents = selling.unsent_documents()

    assert [(d.title, d.offline) for d in documents] == [
        ("ticket opened", False),
        ("booking", True),
        ("receipt", True),
    ]
    assert documents[-1].receipt_number is not None
    assert documents[0].document_id == live.ticket_id
