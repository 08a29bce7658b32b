"""The proof under crashes (issue 9, point 9): tills and the server killed with SIGKILL at
every named crash point and at random moments while cashiers sell, restarted, drained —
and then nothing the tills committed is lost, doubled or changed on the server.

What kills what (tests/support/proof/crashes.py has the whole story):

* ``test_two_hundred_sigkills…``: three ``autonom till`` processes and one ``autonom
  server`` on PostgreSQL, each forked by the launcher (tests/support/fork_launcher.py: the
  same command line without its 0.7 s of imports, so that a restart costs ~0.15 s).
  1. 40 crashes of whole tills, one thread each, driven through their JSON API: armed with
     ``AUTONOM_CRASH_AT=<point>:<nth>`` a till kills itself at that point, or the harness
     kills it at a random moment.
  2. 150 crashes of the same tills' files run without their web server
     (tests/support/proof/service_till.py: the service layer and the uploader in a forked
     process of their own, sold through ``Selling``): the same points below the web layer,
     the same real SIGKILL, a third of the cost of a whole till's life.
  3. 16 crashes of the server, at its points or at random moments, while every whole till
     keeps selling and goes through the outages as a cashier would.
  Counted: every SIGKILL, by point and phase; then drained and compared, till by till.
* ``test_a_real_till_and_server_started_as_a_store_starts_them…``: the same hooks in
  processes started cold (``python -m autonom.cli``), one till point and one server point.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autonom.crash_points import ENVIRONMENT_VARIABLE, CrashPoint
from tests.integration.till.conftest import wait_for
from tests.support.databases import database_url
from tests.support.fork_launcher import ForkLauncher
from tests.support.processes import Part, free_port, start_seeded_server, till_part
from tests.support.proof import Acknowledged, Cashier, CrashHarness, Stack, TillGone, compare
from tests.support.proof.holdings import read_server, read_till
from tests.support.proof.stack import FIRST_TILL, wait_until_ready

pytestmark = pytest.mark.e2e

TILLS = 3
TILL_CRASHES = 40  # whole tills, driven through their JSON API
SERVICE_CRASHES = 150  # tills without their web server (service_till.py)
SERVER_CRASHES = 16


@pytest.mark.postgres
@pytest.mark.timeout(400)
def test_two_hundred_sigkills_of_tills_and_server_lose_double_and_change_nothing(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    with (
        database_url("postgresql", tmp_path) as db_url,
        ForkLauncher() as launcher,
        Stack(tmp_path, launcher, db_url=db_url, tills=TILLS) as stack,
    ):
        report = CrashHarness(
            stack,
            till_crashes=TILL_CRASHES,
            service_crashes=SERVICE_CRASHES,
            server_crashes=SERVER_CRASHES,
            seed=seed,
        ).run()

    print(f"seed {seed}: {report.summary()}")
    assert report.runs >= TILL_CRASHES + SERVICE_CRASHES + SERVER_CRASHES >= 200
    assert report.tally.findings == [], f"seed {seed}"
    assert (report.tally.lost, report.tally.duplicated, report.tally.unexpected) == (0, 0, 0)
    never = [point.value for point in CrashPoint if report.fired(point) == 0]
    assert never == [], f"these points never fired: {never} ({report.crashes})"
    assert report.receipts > TILL_CRASHES  # the cashiers sold between the crashes


def restarted(part: Part, **env: str) -> Part:
    """The same part again (same arguments, port and data), with ``env`` added."""
    return Part(
        args=part.args,
        url=part.url,
        log=part.log,
        health_path=part.health_path,
        env={**part.env, **env},
    ).start()


def sell_until_gone(cashier: Cashier, *, sales: int) -> None:
    try:
        for _ in range(sales):
            cashier.sell()
    except TillGone:
        return


def killed_by_sigkill(part: Part, seconds: float = 10.0) -> bool:
    assert part.process is not None
    try:
        return part.process.wait(timeout=seconds) == -signal.SIGKILL
    except subprocess.TimeoutExpired:
        part.kill()
        return False


def test_a_real_till_and_server_started_as_a_store_starts_them_die_at_their_points(
    tmp_path: Path,
) -> None:
    first_server = server = start_seeded_server(tmp_path / "server")
    first_till = till = till_part(tmp_path, FIRST_TILL, server.url).start()
    acknowledged = Acknowledged()
    try:
        wait_until_ready(Cashier(till.url, acknowledged, random.Random(1)))
        till.kill()
        till = restarted(first_till, **{ENVIRONMENT_VARIABLE: "till.before_print:2"})
        cashier = Cashier(till.url, acknowledged, random.Random(2))
        cashier.log_in()
        sell_until_gone(cashier, sales=5)
        till_died = killed_by_sigkill(till)
        receipts_before_the_crash = len(acknowledged.receipts)

        server.kill()
        server = restarted(first_server, **{ENVIRONMENT_VARIABLE: "server.after_commit:1"})
        till = restarted(first_till)
        cashier = Cashier(till.url, acknowledged, random.Random(3))
        cashier.log_in()
        cashier.sell()  # a push reaches the server, which commits and dies
        server_died = killed_by_sigkill(server)

        server = restarted(first_server)
        wait_until_drained(cashier)
    finally:
        till.stop()
        server.stop()

    assert till_died, till.output()
    assert receipts_before_the_crash == 1  # the second receipt died before it was printed
    assert server_died, server.output()
    holdings = read_till(tmp_path / f"till-{FIRST_TILL}", FIRST_TILL)
    db_url = f"sqlite:///{tmp_path / 'server' / 'server.sqlite'}"
    tally = compare(holdings, read_server(db_url, FIRST_TILL), acknowledged)
    assert tally.findings == []
    assert len(holdings.receipts) == 3  # the one before, the one not printed, the last


def wait_until_drained(cashier: Cashier) -> None:
    wait_for(
        lambda: cashier.status()["unsent_operations"] == 0,
        seconds=30,
        what="the upload of every operation",
    )


def test_a_till_started_with_an_unknown_crash_point_refuses_to_start(tmp_path: Path) -> None:
    options = ["--number", "10", "--port", str(free_port()), "--data-dir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "autonom.cli", "till", *options],
        env={"PYTHONPATH": ":".join(sys.path), ENVIRONMENT_VARIABLE: "till.at_lunch:1"},
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert done.returncode == 2
    assert "unknown crash point 'till.at_lunch'" in done.stderr
