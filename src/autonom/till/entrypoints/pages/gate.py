"""The gate (R2.6): a scanner types an admission's number and Enter; the last scans with
their results, refreshed every few seconds (pending ones turn into results once the server
has them after an outage)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autonom.domain import Refusal
from autonom.till.bootstrap import Till
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import Text, back_to, refused, render, templates
from autonom.till.entrypoints.sessions import Alert
from autonom.till.service_layer.gate import DEFAULT_GATE, scan_result, scan_words

router = APIRouter(include_in_schema=False)


def _scans(till: Till) -> dict[str, Any]:
    """What the list of scans shows."""
    return {
        "scans": till.gate.recent(),
        "pending_count": till.gate.pending_count(),
        "result_of": scan_result,
        "words_of": scan_words,
    }


@router.get("/gate")
def gate_screen(
    request: Request,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    gate: str = DEFAULT_GATE,
) -> Response:
    return render(
        request,
        "gate.html",
        till,
        sessions,
        session,
        gate=gate[:20],
        nonce=till.gate.new_nonce(),
        availability=till.gate.availability(),
        **_scans(till),
    )


@router.get("/gate/scans")
def gate_scans(request: Request, till: TillDep, _session: PageSessionDep) -> Response:
    """The list of scans alone (htmx polls it)."""
    return templates.TemplateResponse(request, "_gate_scans.html", _scans(till))


@router.post("/gate")
def scan(
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    number: Text = "",
    gate: Text = DEFAULT_GATE,
    nonce: Text = "",
) -> Response:
    """One number read: recorded, and judged by the server when it answers; back to the
    gate for the next one (a form sent twice carries the same nonce: a duplicate)."""
    here = f"/gate?gate={quote(gate.strip()[:20])}"
    try:
        scanned = till.gate.scan(session.operator_number, gate, number, nonce or None)
    except Refusal as refusal:
        return back_to(here, sessions, session, refused(refusal))
    alert = Alert("warning", scanned.words) if scanned.duplicate else None
    return back_to(here, sessions, session, alert)
