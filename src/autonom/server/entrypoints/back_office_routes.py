"""The back office (admin token): tills with their last heartbeat, station settings and
mode events, master data, receipts and flags. Every change of master data bumps its
version, so tills know to refresh their snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query

from autonom.contracts import (
    ItemIn,
    ItemPublic,
    ModeEventPublic,
    OperatorIn,
    StationSettingsPublic,
    TaxRatePublic,
    TillRegistered,
)
from autonom.contracts.fields import Day, PathTillNumber
from autonom.domain.sync_report import SyncReport
from autonom.server import service_layer as handlers
from autonom.server.entrypoints.deps import AdminDep, ReadUnitOfWorkDep, UnitOfWorkDep
from autonom.server.entrypoints.schemas import (
    AdmissionPublic,
    DayClosePublic,
    DayReportPublic,
    FlagPublic,
    OperatorSummary,
    ReceiptPublic,
    SyncReportSummary,
    TaxRateIn,
    TillPublic,
)
from autonom.server.entrypoints.till_routes import ERRORS

router = APIRouter(responses=ERRORS, tags=["back office"])

TaxCode = Annotated[str, Path(min_length=1, max_length=2, pattern=r"^[A-Z0-9]+$")]
Plu = Annotated[str, Path(min_length=1, max_length=13, pattern=r"^[0-9A-Za-z]+$")]
OperatorNumber = Annotated[int, Path(ge=1, le=9999)]
ReportId = Annotated[UUID, Path()]


@router.get("/tills", response_model=list[TillPublic])
def list_tills(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[TillPublic]:
    """Registered tills: highest sequence applied, last push, last heartbeat report (mode,
    activity, unsent operations) and station settings."""
    return [TillPublic.model_validate(t) for t in handlers.till_overview(uow=uow)]


@router.put("/tills/{number}/station-settings", response_model=StationSettingsPublic)
def put_station_settings(
    number: PathTillNumber, settings: StationSettingsPublic, _admin: AdminDep, uow: UnitOfWorkDep
) -> StationSettingsPublic:
    """Set a till's station settings (R1.4, R1.5), also before it registers; the till gets
    them with the answer to its next heartbeat."""
    return handlers.put_station_settings(
        uow=uow, number=number, settings=settings, now=datetime.now(UTC)
    )


@router.get("/tills/{number}/mode-events", response_model=list[ModeEventPublic])
def list_mode_events(
    number: PathTillNumber,
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ModeEventPublic]:
    """The mode changes the till logged (R1.1), newest first."""
    return handlers.mode_events(uow=uow, number=number, limit=limit)


@router.post("/tills/{number}/credential", response_model=TillRegistered)
def renew_credential(
    number: PathTillNumber, _admin: AdminDep, uow: UnitOfWorkDep
) -> TillRegistered:
    """A new credential for a replaced or restored till; the old one stops working, and the
    till's first push under it with a log the server does not hold opens a new log."""
    return handlers.renew_credential(uow=uow, number=number, now=datetime.now(UTC))


@router.put("/tax-rates/{code}", response_model=TaxRatePublic)
def put_tax_rate(
    code: TaxCode, rate_in: TaxRateIn, _admin: AdminDep, uow: UnitOfWorkDep
) -> TaxRatePublic:
    rate = TaxRatePublic(code=code, percent=rate_in.percent, name=rate_in.name)
    return handlers.upsert_tax_rate(uow=uow, rate=rate)


@router.get("/tax-rates", response_model=list[TaxRatePublic])
def list_tax_rates(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[TaxRatePublic]:
    return handlers.tax_rates(uow=uow)


@router.put("/items/{plu}", response_model=ItemPublic)
def put_item(plu: Plu, item_in: ItemIn, _admin: AdminDep, uow: UnitOfWorkDep) -> ItemPublic:
    """Create or change an item; its tax rate must exist (422 UNKNOWN_TAX_RATE)."""
    return handlers.upsert_item(uow=uow, plu=plu, item_in=item_in)


@router.get("/items", response_model=list[ItemPublic])
def list_items(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[ItemPublic]:
    return handlers.items(uow=uow)


@router.put("/operators/{number}", response_model=OperatorSummary)
def put_operator(
    number: OperatorNumber, operator_in: OperatorIn, _admin: AdminDep, uow: UnitOfWorkDep
) -> OperatorSummary:
    """Create or change an operator; the PIN is kept only as a hash."""
    operator = handlers.upsert_operator(uow=uow, number=number, operator_in=operator_in)
    return OperatorSummary.model_validate(operator)


@router.get("/operators", response_model=list[OperatorSummary])
def list_operators(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[OperatorSummary]:
    return [OperatorSummary.model_validate(o) for o in handlers.operators(uow=uow)]


@router.get("/receipts", response_model=list[ReceiptPublic])
def list_receipts(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    till_number: Annotated[int | None, Query(ge=1, le=999)] = None,
    day: Annotated[Day | None, Query(alias="date", description="closing day, UTC")] = None,
) -> list[ReceiptPublic]:
    records = handlers.find_receipts(uow=uow, till_number=till_number, day=day)
    return [ReceiptPublic.model_validate(r) for r in records]


@router.get("/reports/day", response_model=DayReportPublic)
def day_report(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    day: Annotated[Day, Query(description="the day, UTC")],
) -> DayReportPublic:
    """The store's day from every receipt the server holds, by till, tax rate and payment
    method; the receipts of emergency mode, uploaded when their till reintegrated, are in
    it and counted apart (R3.4)."""
    return DayReportPublic.of(handlers.day_report(uow=uow, day=day))


@router.get("/flags", response_model=list[FlagPublic])
def list_flags(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[FlagPublic]:
    """What the server accepted from tills but a person should look at (invariant 6)."""
    return [FlagPublic.model_validate(f) for f in handlers.list_flags(uow=uow)]


@router.get("/sync-reports", response_model=list[SyncReportSummary])
def list_sync_reports(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    till_number: Annotated[int | None, Query(ge=1, le=999)] = None,
) -> list[SyncReportSummary]:
    """The sync report of each reintegration (R3.3), newest first, optionally of one till."""
    records = handlers.list_sync_reports(uow=uow, till_number=till_number)
    return [SyncReportSummary.model_validate(r) for r in records]


@router.get("/sync-reports/{report_id}", response_model=SyncReport)
def get_sync_report(report_id: ReportId, _admin: AdminDep, uow: ReadUnitOfWorkDep) -> SyncReport:
    """One sync report: tickets moved 1:1 and merged, owners changed, OFF bookings, the
    conflicts waiting for a person (404 SYNC_REPORT_NOT_FOUND)."""
    return handlers.get_sync_report(uow=uow, report_id=str(report_id))


@router.get("/day-closes", response_model=list[DayClosePublic])
def list_day_closes(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    till_number: Annotated[int | None, Query(ge=1, le=999)] = None,
) -> list[DayClosePublic]:
    """The tills' day closes with their Z reports (R2.8), by till and Z number; a repeated
    or skipped Z number is also a flag."""
    records = handlers.find_day_closes(uow=uow, till_number=till_number)
    return [DayClosePublic.of(r) for r in records]


@router.get("/admissions", response_model=list[AdmissionPublic])
def list_admissions(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    till_number: Annotated[int | None, Query(ge=1, le=999)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AdmissionPublic]:
    """The admissions sold (R2.6), newest first, each with its state at the gate."""
    records = handlers.list_admissions(uow=uow, till_number=till_number, limit=limit)
    return [AdmissionPublic.model_validate(a) for a in records]
