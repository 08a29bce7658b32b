"""The proof under crashes, run longer than CI runs it (issue 9, point 9).

Run: ``make bench`` or ``.venv/bin/python -m bench.crash [--crashes N] [--tills 3]
[--backend sqlite|postgresql] [--seed S] [--keep-data] [--json]``.

The harness of ``tests/integration/proof/test_crashes.py`` (tests/support/proof/crashes.py
says what kills what): real ``autonom till`` and ``autonom server`` processes, forked by
the launcher, killed with SIGKILL at every named crash point (``AUTONOM_CRASH_AT``) and at
random moments while cashiers sell, restarted, drained; then each till's SQLite file is
compared with the server's database, read-only. Of ``--crashes``: a fifth crash whole
tills (driven through their JSON API), a twelfth the server (at least 3), the rest tills
without their web server (the service layer and the uploader in a process of their own).

Target: lost, duplicated and unexpected all 0 (the exit code is 0 only then). The last
line (``--json``) is one JSON object: ``runs`` (crashes that happened), ``lost``,
``duplicated``, ``unexpected``, ``receipts`` (acknowledged to the cashiers), ``seconds``,
``crashes`` (by point, how and phase), ``seed``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from pathlib import Path

from rich.console import Console

from bench.proof_report import finish
from tests.support.databases import database_url
from tests.support.fork_launcher import ForkLauncher
from tests.support.proof import CrashHarness, Stack

console = Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=1000)
    parser.add_argument("--tills", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep-data", action="store_true", help="keep the files and logs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    server_crashes = max(3, args.crashes // 12)
    till_crashes = args.crashes // 5
    service_crashes = max(0, args.crashes - server_crashes - till_crashes)

    folder = Path(tempfile.mkdtemp(prefix="autonom-crash-"))
    with (
        database_url(args.backend, folder) as db_url,
        ForkLauncher() as launcher,
        Stack(folder, launcher, db_url=db_url, tills=args.tills) as stack,
    ):
        console.print(
            f"{args.crashes} crashes ({till_crashes} whole tills, {service_crashes} tills "
            f"without their web server, {server_crashes} servers), {args.tills} tills, "
            f"{args.backend}, seed {seed}, files in {folder}"
        )
        report = CrashHarness(
            stack,
            till_crashes=till_crashes,
            service_crashes=service_crashes,
            server_crashes=server_crashes,
            seed=seed,
        ).run()
    if not args.keep_data:
        shutil.rmtree(folder, ignore_errors=True)

    finish(console, report, report.crashes, noun="crashes", seed=seed, as_json=args.json)


if __name__ == "__main__":
    main()
