"""The till's reports over the JSON API (R2.8): the X report, the report of emergency mode,
the day close with its Z report, the day closes so far, and printing each. Refusals are
``ErrorBody`` answers: 409 FEATURE_OFFLINE (the matrix), OPEN_TICKETS, OUTAGE_UNDECIDED."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from autonom.contracts.fields import Inbound
from autonom.domain.limits import MAX_Z_NUMBER
from autonom.domain.reports import Figures, Report, ReportKind, ZReport
from autonom.till.entrypoints.api import ERRORS
from autonom.till.entrypoints.deps import ApiSessionDep, TillDep
from autonom.till.entrypoints.schemas import PrintResult

router = APIRouter(prefix="/api", responses=ERRORS, tags=["reports"])

ZNumber = Annotated[int, Path(ge=1, le=MAX_Z_NUMBER)]


class ReportPublic(BaseModel):
    """A report of this till with its lines exactly as printed. A Z report (``kind`` z)
    also has its number, the operator, the grand total and the offline mark; the report of
    emergency mode (``offline``) what the server has not confirmed yet."""

    kind: ReportKind
    till_number: int
    made_at: datetime
    period_start: datetime | None = Field(description="the last day close; None: the first")
    figures: Figures
    unsent_count: int | None = None
    unsent_receipts: list[str] = Field(default_factory=list)
    z_number: int | None = None
    document_id: str | None = None
    operator_number: int | None = None
    grand_total: Decimal | None = None
    offline: bool | None = Field(default=None, description="a Z closed in emergency mode")
    null: bool | None = Field(default=None, description="a Z with no receipt since the last")
    lines: list[str]
    printer_problem: str | None = Field(default=None, description="why it was not printed")

    @classmethod
    def of(
        cls, report: Report, lines: list[str], printer_problem: str | None = None
    ) -> ReportPublic:
        public = cls(
            kind=report.kind,
            till_number=report.till_number,
            made_at=report.made_at,
            period_start=report.period_start,
            figures=report.figures,
            unsent_count=report.unsent_count,
            unsent_receipts=list(report.unsent_receipts),
            lines=lines,
            printer_problem=printer_problem,
        )
        if isinstance(report, ZReport):
            public.z_number = report.z_number
            public.document_id = report.document_id
            public.operator_number = report.operator_number
            public.grand_total = report.grand_total
            public.offline = report.offline
            public.null = report.null
        return public


class DayCloseIn(Inbound):
    print_report: bool = Field(default=True, description="print the Z report on the printer")


@router.get("/reports/x", response_model=ReportPublic)
def x_report(till: TillDep, _session: ApiSessionDep) -> ReportPublic:
    """The X report: the receipts since the last day close; closes nothing."""
    report = till.reports.x_report()
    return ReportPublic.of(report, till.reports.lines(report))


@router.get("/reports/offline", response_model=ReportPublic)
def offline_report(till: TillDep, _session: ApiSessionDep) -> ReportPublic:
    """The report of emergency mode: receipts made offline since the last day close, the
    lines voided on them, payments by method, and what is not yet sent."""
    report = till.reports.offline_report()
    return ReportPublic.of(report, till.reports.lines(report))


@router.post("/reports/x/print", response_model=PrintResult)
def print_x_report(till: TillDep, _session: ApiSessionDep) -> PrintResult:
    problem = till.reports.print(till.reports.x_report())
    return PrintResult(printed=problem is None, printer_problem=problem)


@router.post("/reports/offline/print", response_model=PrintResult)
def print_offline_report(till: TillDep, _session: ApiSessionDep) -> PrintResult:
    problem = till.reports.print(till.reports.offline_report())
    return PrintResult(printed=problem is None, printer_problem=problem)


@router.post("/day-close", response_model=ReportPublic, status_code=status.HTTP_201_CREATED)
def day_close(
    till: TillDep, session: ApiSessionDep, body: DayCloseIn | None = None
) -> ReportPublic:
    """Close the day: the Z report, numbered, saved and queued for the server with its date
    and time (also in emergency mode), then printed (409 OPEN_TICKETS while tickets of this
    till are open; 409 OUTAGE_UNDECIDED while an outage waits for the cashier)."""
    report = till.reports.day_close(session.operator_number)
    wanted = body.print_report if body is not None else True
    problem = till.reports.print(report) if wanted else None
    return ReportPublic.of(report, till.reports.lines(report), problem)


@router.get("/day-closes", response_model=list[ReportPublic])
def day_closes(
    till: TillDep,
    _session: ApiSessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReportPublic]:
    """This till's day closes, newest first."""
    return [ReportPublic.of(z, till.reports.lines(z)) for z in till.reports.day_closes(limit)]


@router.get("/day-closes/{z_number}", response_model=ReportPublic)
def get_day_close(z_number: ZNumber, till: TillDep, _session: ApiSessionDep) -> ReportPublic:
    report = till.reports.day_close_report(z_number)
    return ReportPublic.of(report, till.reports.lines(report))


@router.post("/day-closes/{z_number}/print", response_model=PrintResult)
def print_day_close(z_number: ZNumber, till: TillDep, _session: ApiSessionDep) -> PrintResult:
    problem = till.reports.print(till.reports.day_close_report(z_number))
    return PrintResult(printed=problem is None, printer_problem=problem)
