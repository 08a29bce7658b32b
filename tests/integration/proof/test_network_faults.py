"""The proof under network faults (issue 9, point 9): answers cut midway after the server
committed, resets, blackholes and delays put between tills and the server while cashiers
sell — and after healing and draining nothing the tills committed is lost, doubled or
changed on the server.

What does what (tests/support/proof/faults.py has the whole story): six ``autonom till``
processes and one ``autonom server`` on SQLite, forked by the launcher; each till reaches
the server only through its own ``FaultProxy`` (uploads, heartbeat and table lookups
alike). One thread per till, round after round: a fault is set on its proxy, its cashier
makes a sale through the JSON API (choosing emergency mode when the till saw the outage
and refuses the close), the round waits for proof that the fault met that sale's push,
heals the proxy and waits until the till's outbox is empty and its upload clean. A fault
counts only once it met a push.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.support.fork_launcher import ForkLauncher
from tests.support.proof import FaultHarness, Stack
from tests.support.proof.faults import WEIGHTS

pytestmark = pytest.mark.e2e

TILLS = 6
FAULTS = 200


@pytest.mark.timeout(400)
def test_two_hundred_network_faults_between_tills_and_server_lose_double_and_change_nothing(
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    db_url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    with (
        ForkLauncher() as launcher,
        Stack(tmp_path, launcher, db_url=db_url, tills=TILLS, proxies=True) as stack,
    ):
        report = FaultHarness(stack, faults=FAULTS, seed=seed).run()

    print(f"seed {seed}: {report.summary()}")
    assert report.runs >= FAULTS
    assert report.tally.findings == [], f"seed {seed}"
    assert (report.tally.lost, report.tally.duplicated, report.tally.unexpected) == (0, 0, 0)
    never = [kind for kind in WEIGHTS if report.faults[f"{kind} met"] == 0]
    assert never == [], f"these faults never met a push: {never} ({report.faults})"
    # The fault that matters most: the server committed, the till never heard it.
    assert report.faults["cut met"] >= FAULTS // 4
