"""The end of ``bench/crash.py`` and ``bench/partition.py``: what each harness counted, its
findings, the verdict, and the last line as one JSON object; exits 1 when anything was
lost, duplicated or unexpected."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, NoReturn, Protocol

from rich.console import Console


class Tally(Protocol):
    findings: list[str]
    clean: bool
    lost: int
    duplicated: int
    unexpected: int


class Report(Protocol):
    tally: Tally
    runs: int
    receipts: int
    seconds: float

    def summary(self) -> dict[str, Any]: ...


def finish(
    console: Console,
    report: Report,
    counted: Counter[str],
    *,
    noun: str,
    seed: int,
    as_json: bool,
) -> NoReturn:
    result = {**report.summary(), "seed": seed}
    for key, times in counted.most_common():
        console.print(f"{times:>6}  {key}")
    for finding in report.tally.findings[:50]:
        console.print(f"[red]{finding}[/red]")
    met = report.tally.clean
    console.print(
        f"{'met' if met else 'MISSED'}: lost {report.tally.lost}, duplicated "
        f"{report.tally.duplicated}, unexpected {report.tally.unexpected} after "
        f"{report.runs} {noun} ({report.receipts} receipts, {report.seconds:.0f} s)"
    )
    if as_json:
        print(json.dumps(result))
    raise SystemExit(0 if met else 1)
