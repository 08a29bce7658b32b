"""The end of a benchmark that measures figures (``bench/sale_latency.py``,
``bench/reintegration.py``): each figure, each target met or MISSED, and with ``as_json``
the last line as one JSON object of the figures."""

from __future__ import annotations

import json
from collections.abc import Mapping

from rich.console import Console


def show(
    console: Console, result: Mapping[str, object], targets: Mapping[str, bool], *, as_json: bool
) -> None:
    """Print the figures and the targets on ``console``; the JSON line on stdout."""
    width = max(len(key) for key in (*result, "MISSED"))
    for key, value in result.items():
        console.print(f"{key:>{width}}: {value}")
    for name, met in targets.items():
        console.print(f"{'met' if met else 'MISSED':>{width}}: {name}")
    if as_json:
        print(json.dumps(result))
