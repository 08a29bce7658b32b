"""The capability matrix applied to this till now (R2.4): the situations read from the mode
keeper and the backends reported down, decided by ``till.domain.capabilities``.

Every use case that needs a function of the matrix calls ``Capabilities.require`` first, so
the page and the JSON API refuse it the same way (``409 FEATURE_OFFLINE`` or the function's
own code, with the function and the situation in ``detail``), at once, never after a
timeout. The page lists ``all_now`` to render refused functions disabled with the reason.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from autonom.domain import Refusal
from autonom.till.domain import Health, Mode
from autonom.till.domain.capabilities import (
    MATRIX,
    NOTICE_CLOSES_AFTER_S,
    Availability,
    Backend,
    Function,
    Situation,
    decide,
)
from autonom.till.service_layer.modes import ModeKeeper

# The modes in which the server is lost for the functions that need it (a blip, SUSPECT,
# is not yet an outage; from SERVER_AVAILABLE on the till documents offline until it has
# reintegrated, so it keeps to the emergency column until then).
_SERVER_LOST = frozenset(Mode) - {Mode.LIVE, Mode.SUSPECT}


class BackendBoard:
    """Which backends are down, as each source last reported them (the server's heartbeat
    answer, the card device's status). Thread-safe; a source's report replaces its last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_source: dict[str, frozenset[Backend]] = {}

    def report(self, source: str, down: frozenset[Backend]) -> None:
        with self._lock:
            self._by_source[source] = down

    def down(self) -> frozenset[Backend]:
        with self._lock:
            return frozenset().union(*self._by_source.values())


@dataclass(frozen=True)
class FunctionNow:
    """One function as the page shows it now."""

    function: Function
    title: str
    availability: Availability


@dataclass
class Capabilities:
    modes: ModeKeeper
    backends: BackendBoard

    def situations(self) -> frozenset[Situation]:
        view = self.modes.view()
        found = set()
        if view.mode in _SERVER_LOST:
            found.add(Situation.EMERGENCY)
        if view.operator_link is Health.DOWN:
            found.add(Situation.OPERATOR_UNREACHABLE)
        return frozenset(found) or frozenset({Situation.LIVE})

    def now(self, function: Function) -> Availability:
        return decide(function, self.situations(), self.backends.down())

    def require(self, function: Function) -> Availability:
        """The function's availability, or its refusal raised (409) when the matrix refuses it
        now. A limited function is allowed; its words say what differs. A refusal shown as
        a notice that closes itself says after how long (``detail.closes_after_s``)."""
        situations = self.situations()
        found = decide(function, situations, self.backends.down())
        if found.refused:
            assert found.code is not None
            detail: dict[str, object] = {
                "function": function.value,
                "situations": sorted(s.value for s in situations),
            }
            if function in NOTICE_CLOSES_AFTER_S:
                detail["closes_after_s"] = NOTICE_CLOSES_AFTER_S[function]
            raise Refusal(found.code, found.words, 409, detail=detail)
        return found

    def all_now(self) -> list[FunctionNow]:
        """Every function of the matrix with its availability now, in the matrix's order."""
        situations = self.situations()
        down = self.backends.down()
        return [
            FunctionNow(function, row.title, decide(function, situations, down))
            for function, row in MATRIX.items()
        ]
