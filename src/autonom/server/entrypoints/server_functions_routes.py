"""The functions that need the server (R2.4, docs/server-functions.md): what tills call
live (redeem a voucher, look up and charge a customer account, hold the seats of an
event, the operator settlement) and what the back office keeps (customer accounts, events'
capacities, the backends behind the server that are down). Routes
translate HTTP to a handler call and back; the rules live below them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from autonom.contracts.fields import Day
from autonom.contracts.server_functions import (
    AccountChargeAuthorised,
    AccountChargeIn,
    BackendStatusIn,
    BackendStatusPublic,
    CustomerIn,
    CustomerPublic,
    CustomerQuery,
    EventIn,
    EventPublic,
    OperatorSettlementPublic,
    RedemptionIn,
    RedemptionPublic,
    SeatsHeld,
    SeatsIn,
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
Plu = Annotated[
    str, Path(min_length=1, max_length=limits.MAX_PLU_LENGTH, pattern=r"^[0-9A-Za-z]+$")
]
CustomerNumberPath = Annotated[int, Path(ge=1, le=limits.MAX_CUSTOMER)]
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


@router.put("/customers/{number}", response_model=CustomerPublic)
def put_customer(
    number: CustomerNumberPath, customer: CustomerIn, _admin: AdminDep, uow: UnitOfWorkDep
) -> CustomerPublic:
    """Create a customer account or change its name and credit limit (the balance is what
    receipts put on it)."""
    return handlers.put_customer(uow=uow, number=number, customer=customer, now=datetime.now(UTC))


@router.get("/customers", response_model=list[CustomerPublic])
def find_customers(
    _caller: CallerDep, uow: ReadUnitOfWorkDep, q: Annotated[CustomerQuery, Query()] = ""
) -> list[CustomerPublic]:
    """Customer accounts whose number is ``q`` or whose name contains it (at most 20)."""
    return handlers.find_customers(uow=uow, text=q)


@router.post("/customers/{number}/authorise", response_model=AccountChargeAuthorised)
def authorise_charge(
    number: CustomerNumberPath,
    request: AccountChargeIn,
    _till: CallingTillDep,
    uow: ReadUnitOfWorkDep,
) -> AccountChargeAuthorised:
    """May this amount go on the account now (404 CUSTOMER_UNKNOWN, 409
    ACCOUNT_LIMIT_REACHED)? The account is charged when the receipt arrives."""
    return handlers.authorise_charge(uow=uow, number=number, request=request)


@router.put("/events/{plu}", response_model=EventPublic)
def put_event(plu: Plu, event: EventIn, _admin: AdminDep, uow: UnitOfWorkDep) -> EventPublic:
    """Give an event ticket item its capacity (422 EVENT_UNKNOWN for another kind of item)."""
    return handlers.put_event(uow=uow, plu=plu, event=event)


@router.get("/events/{plu}", response_model=EventPublic)
def get_event(plu: Plu, _caller: CallerDep, uow: ReadUnitOfWorkDep) -> EventPublic:
    """An event's capacity and the seats held and sold (404 EVENT_UNKNOWN)."""
    return handlers.event(uow=uow, plu=plu)


@router.post("/events/{plu}/seats", response_model=SeatsHeld)
def hold_seats(plu: Plu, request: SeatsIn, till: CallingTillDep, uow: UnitOfWorkDep) -> SeatsHeld:
    """Hold seats of the event for a booking before the till writes it, once per
    ``booking_id``: 409 EVENT_SOLD_OUT, EVENT_TICKET_OFFLINE (ticketing marked down),
    SEATS_CONFLICT; 404 EVENT_UNKNOWN. The booking's receipt sells them or frees them."""
    return handlers.hold_seats(
        uow=uow, till_number=till, plu=plu, request=request, now=datetime.now(UTC)
    )


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
