"""The processes of the proof: one seeded server and a few tills, each till maybe behind
its own fault proxy, every part a real process forked by the ``ForkLauncher`` (the same
``autonom server`` / ``autonom till`` command line, without its 0.7 s of imports).

The stack also drains (every till's outbox confirmed by the server) and counts: each till's
SQLite file against the server's database, both read-only (``holdings``).
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from autonom.demo import add_demo_operators
from tests.support.fault_proxy import FaultProxy
from tests.support.fork_launcher import ForkedPart, ForkLauncher
from tests.support.processes import ADMIN_TOKEN, Part, free_port, server_part, till_part
from tests.support.proof.cashier import Acknowledged, Cashier, TillGone
from tests.support.proof.holdings import Tally, compare, read_server, read_till

FIRST_TILL = 10
DRAIN_S = 60.0


def forked(launcher: ForkLauncher, part: Part) -> ForkedPart:
    """``part`` (as processes.py defines it) run by the launcher."""
    return launcher.part(
        part.args, url=part.url, log=part.log, health_path=part.health_path, env=part.env
    )


@dataclass
class StackTill:
    """One till of the stack: its process, its files, what its cashier was told."""

    number: int
    part: ForkedPart
    data_dir: Path
    server_url: str  # the server as this till reaches it (through its proxy, if any)
    proxy: FaultProxy | None
    acknowledged: Acknowledged = field(default_factory=Acknowledged)

    def cashier(self, rng: random.Random) -> Cashier:
        return Cashier(self.part.url, self.acknowledged, rng)


class Stack:
    """A server on ``db_url`` and ``tills`` tills under ``root``; see the module docstring."""

    def __init__(
        self,
        root: Path,
        launcher: ForkLauncher,
        *,
        db_url: str,
        tills: int,
        proxies: bool = False,
    ) -> None:
        self.root = root
        self.db_url = db_url
        self.server = forked(launcher, server_part(root / "server", db_url=db_url))
        self.tills: list[StackTill] = []
        self._proxied = proxies
        self.launcher = launcher
        self._count = tills
        self._exits = contextlib.ExitStack()

    def __enter__(self) -> Stack:
        self.server.start()
        add_demo_operators(self.server.url, ADMIN_TOKEN)
        server_port = int(self.server.url.rsplit(":", 1)[1])
        for number in range(FIRST_TILL, FIRST_TILL + self._count):
            proxy = None
            if self._proxied:
                proxy = self._exits.enter_context(FaultProxy("127.0.0.1", server_port))
            link = proxy.url if proxy else self.server.url
            part = forked(self.launcher, till_part(self.root, number, link, port=free_port()))
            self.tills.append(StackTill(number, part, self.root / f"till-{number}", link, proxy))
        for till in self.tills:
            till.part.start()
        for till in self.tills:
            wait_until_ready(till.cashier(random.Random()))
        return self

    def __exit__(self, *exc: object) -> None:
        with self._exits:
            for till in self.tills:
                till.part.kill()
            self.server.kill()

    def back_office(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )

    def positions(self) -> dict[int, int]:
        """The server's ``applied_through`` of each till (the back office's list)."""
        with self.back_office() as back_office:
            answer = back_office.get("/api/v1/tills", timeout=5.0)
            answer.raise_for_status()
            return {t["till_number"]: t["applied_through"] for t in answer.json()}

    def drain(self, *, seconds: float = DRAIN_S) -> None:
        """Server and every till up without crash points; wait until every till's outbox
        is confirmed. Fails after ``seconds`` saying which till still waits."""
        if not self.server.alive():
            self.server.start()
        for till in self.tills:
            if till.proxy is not None:
                till.proxy.pass_through()
            if not till.part.alive():
                till.part.start()
        deadline = time.monotonic() + seconds
        for till in self.tills:
            cashier = till.cashier(random.Random())
            try:
                while (status := cashier.status())["unsent_operations"] > 0:
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"till {till.number} still has {status['unsent_operations']} "
                            f"unsent operations ({status['upload_problem']})"
                        )
                    time.sleep(0.05)
            finally:
                cashier.close_client()

    def tally(self) -> Tally:
        """Stop every part and count, till by till (after ``drain``)."""
        for till in self.tills:
            till.part.stop()
        self.server.stop()
        tally = Tally()
        for till in self.tills:
            holdings = read_till(till.data_dir, till.number)
            tally.add(compare(holdings, read_server(self.db_url, till.number), till.acknowledged))
        return tally


def wait_until_ready(cashier: Cashier, seconds: float = 30.0) -> None:
    """Registered with the server and holding its master data."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            with contextlib.suppress(TillGone):
                status = cashier.status()
                if status["registered"] and status["master_data_version"] is not None:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("a till did not register within 30 s")
            time.sleep(0.05)
    finally:
        cashier.close_client()
