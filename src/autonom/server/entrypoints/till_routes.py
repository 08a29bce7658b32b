"""What tills call: health, registration, the push, the position, the heartbeat and station
settings, master data, shared tickets and gate scans. Routes translate HTTP to a handler call and
back; rules live below them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import structlog
from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from autonom.contracts import (
    ErrorBody,
    GateScanIn,
    GateScanPublic,
    HeartbeatAck,
    HeartbeatReport,
    MasterData,
    PushBatch,
    PushResult,
    StationSettingsPublic,
    SyncReportRequest,
    TicketPublic,
    TillPosition,
    TillRegistered,
    TillRegistration,
)
from autonom.contracts.fields import PathTillNumber, TicketId
from autonom.contracts.gate import MAX_NONCES, Nonce
from autonom.domain import TicketStatus
from autonom.domain.sync_report import SyncReport
from autonom.server import service_layer as handlers
from autonom.server.entrypoints.deps import (
    CallerDep,
    CallingTillDep,
    ContextDep,
    ReadUnitOfWorkDep,
    TillDep,
    UnitOfWorkDep,
)
from autonom.server.entrypoints.schemas import Health

log = structlog.get_logger(__name__)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 422)
}

router = APIRouter(responses=ERRORS)


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "the database does not answer"}},
    tags=["health"],
)
def health(context: ContextDep) -> Health | JSONResponse:
    """Alive and its database answering (a real ``SELECT 1``); no credential needed."""
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as problem:
        log.warning("health: database down", error=str(problem).splitlines()[0])
        down = Health(status="degraded", database="down")
        return JSONResponse(down.model_dump(exclude_none=True), status_code=503)
    return Health(status="ok", database="ok", server_time=datetime.now(UTC))


@router.post(
    "/tills/{number}/register",
    status_code=status.HTTP_201_CREATED,
    response_model=TillRegistered,
    tags=["tills"],
)
def register_till(
    number: PathTillNumber, registration: TillRegistration, context: ContextDep, uow: UnitOfWorkDep
) -> TillRegistered:
    """Register a till; its credential is in the answer and nowhere else."""
    registered = handlers.register_till(
        uow=uow,
        number=number,
        registration=registration,
        enrolment_code=context.settings.enrolment_code,
        open_enrolment=context.settings.open_enrolment,
        now=datetime.now(UTC),
    )
    log.info("till registered", till=number)
    return registered


@router.post(
    "/tills/{number}/operations",
    response_model=PushResult,
    response_model_exclude_none=True,  # a till of contract 1-3 gets the answer it knows
    tags=["sync"],
)
def push_operations(
    number: PathTillNumber, batch: PushBatch, till: TillDep, uow: UnitOfWorkDep
) -> PushResult:
    """Apply a batch of the till's operation log, in order, exactly once."""
    result = handlers.push(uow=uow, till_number=till, batch=batch)
    log.info(
        "push",
        till=till,
        applied=result.applied,
        skipped=result.skipped,
        applied_through=result.applied_through,
    )
    return result


@router.post(
    "/tills/{number}/sync-reports",
    status_code=status.HTTP_201_CREATED,
    response_model=SyncReport,
    tags=["sync"],
)
def make_sync_report(
    number: PathTillNumber, request: SyncReportRequest, till: TillDep, uow: UnitOfWorkDep
) -> SyncReport:
    """The sync report of the till's reintegration (R3.3), once it has pushed everything:
    built from what its operations ``first_seq``–``through_seq`` did, kept, and answered
    (the same report again for the same ``report_id``)."""
    report = handlers.make_sync_report(
        uow=uow, till_number=till, request=request, now=datetime.now(UTC)
    )
    log.info("sync report", till=till, report_id=report.report_id, conflicts=len(report.conflicts))
    return report


@router.get("/tills/{number}/position", response_model=TillPosition, tags=["sync"])
def till_position(
    number: PathTillNumber,
    till: TillDep,
    uow: ReadUnitOfWorkDep,
    log: Annotated[UUID | None, Query(description="the till database's log id")] = None,
) -> TillPosition:
    """Where the till's next push of its log ``log`` (default: its current one) starts: the
    highest sequence the server holds of it."""
    return handlers.till_position(uow=uow, number=till, log_id=log)


@router.post("/tills/{number}/heartbeat", response_model=HeartbeatAck, tags=["heartbeat"])
def heartbeat(
    number: PathTillNumber, report: HeartbeatReport, till: TillDep, uow: UnitOfWorkDep
) -> HeartbeatAck:
    """Keep the till's mode, activity and new mode events (each once); answer the highest
    event seq held and the till's station settings (R1.1-R1.6)."""
    ack = handlers.receive_heartbeat(uow=uow, number=till, report=report, now=datetime.now(UTC))
    if report.events:
        log.info(
            "mode events",
            till=till,
            mode=report.mode,
            activity=report.activity,
            events_through=ack.events_through,
        )
    return ack


@router.get(
    "/tills/{number}/station-settings", response_model=StationSettingsPublic, tags=["heartbeat"]
)
def station_settings(
    number: PathTillNumber, till: TillDep, uow: ReadUnitOfWorkDep
) -> StationSettingsPublic:
    """The till's station settings (R1.4, R1.5); the defaults until the back office sets them."""
    return handlers.station_settings(uow=uow, number=till)


@router.get("/master-data", response_model=MasterData, tags=["master data"])
def master_data(_caller: CallerDep, uow: ReadUnitOfWorkDep) -> MasterData:
    """The snapshot a till keeps to sell offline (R2.2), operators' PIN hashes included."""
    return handlers.master_data(uow=uow)


@router.get("/tickets", response_model=list[TicketPublic], tags=["tickets"])
def find_tickets(
    _caller: CallerDep,
    uow: ReadUnitOfWorkDep,
    status: TicketStatus | None = None,
    table: Annotated[int | None, Query(ge=1, le=9999)] = None,
) -> list[TicketPublic]:
    """Shared tickets as the server merged them, e.g. the open ticket of table N."""
    return handlers.find_tickets(uow=uow, status=status, table=table)


@router.get("/tickets/{ticket_id}", response_model=TicketPublic, tags=["tickets"])
def get_ticket(ticket_id: TicketId, _caller: CallerDep, uow: ReadUnitOfWorkDep) -> TicketPublic:
    return handlers.get_ticket(uow=uow, ticket_id=ticket_id)


@router.post("/gate-scans", response_model=GateScanPublic, tags=["gate"])
def scan_at_gate(scan: GateScanIn, till: CallingTillDep, uow: UnitOfWorkDep) -> GateScanPublic:
    """Register a scan read at one of the till's gates now (R2.6) and answer its result:
    accepted, rejected with the reason, or duplicate — a nonce sent again (also through the
    push) is answered with what it counts as and counted once (422 BAD_ADMISSION_NUMBER)."""
    return handlers.scan_at_gate(uow=uow, till_number=till, scan_in=scan, now=datetime.now(UTC))


@router.get("/gate-scans", response_model=list[GateScanPublic], tags=["gate"])
def find_gate_scans(
    caller: CallerDep,
    uow: ReadUnitOfWorkDep,
    nonces: Annotated[list[Nonce] | None, Query(max_length=MAX_NONCES)] = None,
    till_number: Annotated[int | None, Query(ge=1, le=999)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[GateScanPublic]:
    """The scans registered, newest first, each as it counts (``result`` accepted or
    rejected): a till asks about its own pending scans by nonce (up to 100); the back
    office lists any till's (403 WRONG_TILL for a till asking about another's)."""
    return handlers.find_gate_scans(
        uow=uow, caller_till=caller.till_number, till_number=till_number, nonces=nonces, limit=limit
    )
