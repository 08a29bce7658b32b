"""The functions that need the server (R2.4, docs/server-functions.md): what tills call
live (redeem a voucher, the operator settlement) and what the back office keeps (the
backends behind the server that are down). Routes
translate HTTP to a handler call and back; the rules live below them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from autonom.contracts.fields import Day
from autonom.contracts.server_functions import (
    BackendStatusIn,
    BackendStatusPublic,
    OperatorSettlementPublic,
    RedemptionIn,
    RedemptionPublic,
    ServerBackend,
    VoucherPublic,
)
from autonom.domain import limits
from autonom.server.entrypoints.deps import (
    AdminDep,
    CallerDep,
    CallingTillDep,
    ReadUnitOfWorkDep,
    UnitOfWorkDep,
)
from autonom.server.entrypoints.till_routes import ERRORS
from autonom.server.service_layer import server_functions as handlers

router = APIRouter(responses=ERRORS, tags=["server functions"])

VoucherNumber = Annotated[
    str, Path(min_length=1, max_length=limits.MAX_RECEIPT_NUMBER_LENGTH, description="10000001-03")
]
OperatorNumber = Annotated[int, Query(alias="operator", ge=1, le=limits.MAX_OPERATOR)]


@router.post("/vouchers/{number}/redeem", response_model=RedemptionPublic)
def redeem_voucher(
    number: VoucherNumber, request: RedemptionIn, till: CallingTillDep, uow: UnitOfWorkDep
) -> RedemptionPublic:
    """Hold part of a voucher's value for a ticket until its receipt arrives (once per
    ``redemption_id``): 404 VOUCHER_UNKNOWN, 409 VOUCHER_NOT_REGISTERED (sold in emergency
    mode, not synced yet), VOUCHER_EXHAUSTED, VOUCHER_INSUFFICIENT, REDEMPTION_CONFLICT."""
    return handlers.redeem_voucher(
        uow=uow, till_number=till, number=number, request=request, now=datetime.now(UTC)
    )


@router.get("/vouchers/{number}", response_model=VoucherPublic)
def get_voucher(number: VoucherNumber, _caller: CallerDep, uow: ReadUnitOfWorkDep) -> VoucherPublic:
    """A voucher's value and what it still holds (404 VOUCHER_UNKNOWN)."""
    return handlers.voucher(uow=uow, number=number)


@router.get("/reports/operator-settlement", response_model=OperatorSettlementPublic)
def operator_settlement(
    operator_number: OperatorNumber,
    day: Annotated[Day, Query(description="the closing day, UTC")],
    _caller: CallerDep,
    uow: ReadUnitOfWorkDep,
) -> OperatorSettlementPublic:
    """The operator settlement (Bedienerabrechnung): an operator's receipts of one day on
    every till, their total and the payments by method."""
    return handlers.operator_settlement(uow=uow, operator_number=operator_number, day=day)


@router.put("/backends/{name}", response_model=BackendStatusPublic)
def put_backend(
    name: ServerBackend, status: BackendStatusIn, _admin: AdminDep, uow: UnitOfWorkDep
) -> BackendStatusPublic:
    """Mark a backend behind the server down (or up again), with the reason; tills hear it
    with their next heartbeat answer (``backends_down``) and refuse what needs it."""
    return handlers.put_backend(uow=uow, name=name, status=status, now=datetime.now(UTC))


@router.get("/backends", response_model=list[BackendStatusPublic])
def list_backends(_admin: AdminDep, uow: ReadUnitOfWorkDep) -> list[BackendStatusPublic]:
    """Every backend behind the server, up or down."""
    return handlers.backends(uow=uow)
