"""The till's own reports (R2.8): the X report, the report of emergency mode ("17 Bericht",
seed 000), the day close with a confirmation step, the day closes made so far, and printing
each. A refusal (the matrix, open tickets, an undecided outage) is an alert on the screen."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from autonom.domain import Refusal
from autonom.domain.limits import MAX_Z_NUMBER
from autonom.domain.reports import Report
from autonom.till.bootstrap import Till
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import back_to, refused, render
from autonom.till.entrypoints.sessions import Alert, Session, Sessions

router = APIRouter(include_in_schema=False)

Shown = Literal["x", "offline"]
ZNumber = Annotated[int, Path(ge=1, le=MAX_Z_NUMBER)]


def _report(till: Till, shown: Shown) -> Report:
    return till.reports.offline_report() if shown == "offline" else till.reports.x_report()


def _printed(problem: str | None, what: str) -> Alert:
    if problem is None:
        return Alert("info", f"{what} printed.")
    return Alert("warning", f"{what} not printed, the printer is not reachable: {problem}")


def _screen(
    request: Request,
    till: Till,
    sessions: Sessions,
    session: Session,
    *,
    shown: str,
    report: Report | None,
    alerts: list[Alert],
) -> Response:
    return render(
        request,
        "reports.html",
        till,
        sessions,
        session,
        alerts=alerts,
        shown=shown,
        report=report,
        lines=till.reports.lines(report) if report is not None else [],
        day_close=till.reports.day_close_availability(),
        day_closes=till.reports.day_closes(),
        unsent_day_closes=till.reports.unsent_day_closes(),
    )


@router.get("/reports")
def reports_screen(
    request: Request,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
    show: Shown = "x",
) -> Response:
    """The X report (or, ``?show=offline``, the report of emergency mode) and the day closes."""
    alerts: list[Alert] = []
    report: Report | None = None
    try:
        report = _report(till, show)
    except Refusal as refusal:
        alerts.append(refused(refusal))
    return _screen(request, till, sessions, session, shown=show, report=report, alerts=alerts)


@router.post("/reports/{shown}/print")
def print_report(
    shown: Shown, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    """Print the X report or the report of emergency mode as it stands now."""
    try:
        report = _report(till, shown)
    except Refusal as refusal:
        return back_to(f"/reports?show={shown}", sessions, session, refused(refusal))
    what = "The report of emergency mode" if shown == "offline" else "The X report"
    alert = _printed(till.reports.print(report), what)
    return back_to(f"/reports?show={shown}", sessions, session, alert)


@router.get("/reports/day-close")
def confirm_day_close(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    """The confirmation step: what the Z report will say, and the button that closes."""
    alerts: list[Alert] = []
    report: Report | None = None
    try:
        report = till.reports.x_report()
    except Refusal as refusal:
        alerts.append(refused(refusal))
    return render(
        request,
        "day_close.html",
        till,
        sessions,
        session,
        alerts=alerts,
        report=report,
        lines=till.reports.lines(report) if report is not None else [],
        day_close=till.reports.day_close_availability(),
    )


@router.post("/reports/day-close")
def close_day(till: TillDep, sessions: SessionsDep, session: PageSessionDep) -> Response:
    """Close the day and print the Z report; a refusal goes back to the reports."""
    try:
        report = till.reports.day_close(session.operator_number)
    except Refusal as refusal:
        return back_to("/reports", sessions, session, refused(refusal))
    alert = _printed(till.reports.print(report), f"Day closed: Z report {report.z_number}")
    return back_to(f"/reports/z/{report.z_number}", sessions, session, alert)


@router.get("/reports/z/{z_number}")
def z_report_screen(
    request: Request,
    z_number: ZNumber,
    till: TillDep,
    sessions: SessionsDep,
    session: PageSessionDep,
) -> Response:
    """One day close's Z report as printed."""
    try:
        report = till.reports.day_close_report(z_number)
    except Refusal as refusal:
        return back_to("/reports", sessions, session, refused(refusal))
    return _screen(request, till, sessions, session, shown="z", report=report, alerts=[])


@router.post("/reports/z/{z_number}/print")
def print_z_report(
    z_number: ZNumber, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    """Print a day close's Z report again."""
    try:
        report = till.reports.day_close_report(z_number)
    except Refusal as refusal:
        return back_to("/reports", sessions, session, refused(refusal))
    alert = _printed(till.reports.print(report), f"Z report {z_number}")
    return back_to(f"/reports/z/{z_number}", sessions, session, alert)
