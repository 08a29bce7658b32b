"""The proof under crashes and network faults (issue 9, point 9): real tills and a real
server (``stack``), cashiers that remember what they were told (``cashier``), crashes
(``crashes``) and network faults (``faults``) put in their way, and the count of what was
lost, duplicated or unexpected (``holdings``); and two tills with the server in one process
for the model-based test (``two_tills``). ``tests/integration/proof`` runs them in CI;
``bench/crash.py`` and ``bench/partition.py`` run them longer."""

from tests.support.proof.cashier import Acknowledged, Cashier, TillGone
from tests.support.proof.crashes import CrashHarness, CrashReport
from tests.support.proof.faults import FaultHarness, FaultReport
from tests.support.proof.holdings import Tally, compare, read_server, read_till
from tests.support.proof.stack import Stack, StackTill

__all__ = [
    "Acknowledged",
    "Cashier",
    "CrashHarness",
    "CrashReport",
    "FaultHarness",
    "FaultReport",
    "Stack",
    "StackTill",
    "Tally",
    "TillGone",
    "compare",
    "read_server",
    "read_till",
]
