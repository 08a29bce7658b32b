"""The proof under network faults, run longer than CI runs it (issue 9, point 9).

Run: ``make bench`` or ``.venv/bin/python -m bench.partition [--faults N] [--tills 6]
[--backend sqlite|postgresql] [--seed S] [--keep-data] [--json]``.

The harness of ``tests/integration/proof/test_network_faults.py``
(tests/support/proof/faults.py says what does what): real ``autonom till`` processes,
each reaching a real ``autonom server`` only through its own fault proxy, sell while
answers are cut midway after the server committed, connections are reset, blackholed or
delayed; each fault counts once it met a push; healed, drained, then each till's SQLite
file is compared with the server's database, read-only.

Target: lost, duplicated and unexpected all 0 (the exit code is 0 only then). The last
line (``--json``) is one JSON object: ``runs`` (faults that met a push), ``lost``,
``duplicated``, ``unexpected``, ``receipts``, ``seconds``, ``faults`` (by kind, met or
missed), ``seed``.
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
from tests.support.proof import FaultHarness, Stack

console = Console(stderr=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=1000)
    parser.add_argument("--tills", type=int, default=6)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep-data", action="store_true", help="keep the files and logs")
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    folder = Path(tempfile.mkdtemp(prefix="autonom-partition-"))
    with (
        database_url(args.backend, folder) as db_url,
        ForkLauncher() as launcher,
        Stack(folder, launcher, db_url=db_url, tills=args.tills, proxies=True) as stack,
    ):
        console.print(
            f"{args.faults} faults, {args.tills} tills behind their own fault proxies, "
            f"{args.backend}, seed {seed}, files in {folder}"
        )
        report = FaultHarness(stack, faults=args.faults, seed=seed).run()
    if not args.keep_data:
        shutil.rmtree(folder, ignore_errors=True)

    finish(console, report, report.faults, noun="faults", seed=seed, as_json=args.json)


if __name__ == "__main__":
    main()
