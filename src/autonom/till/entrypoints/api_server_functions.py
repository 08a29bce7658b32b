"""The till's JSON API for the functions that need the server (R2.4): paying with a
voucher, looking up a customer and putting a ticket on the account, the operator
settlement, and every function of the capability matrix with its state now. A function
the matrix refuses answers ``409`` with its code (``FEATURE_OFFLINE`` …) and
``detail: {function, situations}`` at once; the operator settlement's refusal also carries
``detail.closes_after_s`` (the notice that closes itself, seed 000)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, StrictInt, StrictStr

from autonom.contracts.fields import Day, Inbound
from autonom.contracts.server_functions import (
    CustomerPublic,
    CustomerQuery,
    OperatorSettlementPublic,
    VoucherNumberText,
)
from autonom.domain import PaymentMethod, limits
from autonom.till.entrypoints.api import ERRORS
from autonom.till.entrypoints.deps import ApiSessionDep, TillDep
from autonom.till.entrypoints.schemas import ReceiptPublic, receipt_public
from autonom.till.service_layer.server_functions import FunctionState

router = APIRouter(prefix="/api", responses=ERRORS, tags=["server functions"])


class VoucherPaymentIn(Inbound):
    number: VoucherNumberText = Field(description="the voucher's number, e.g. 10000001-03")
    amount: StrictStr | None = Field(
        default=None, description='what the voucher pays, e.g. "10.00"; none: all that is due'
    )
    rest: Literal["cash", "card"] = Field(default="cash", description="how the rest is paid")
    print_receipt: bool = True


class AccountPaymentIn(Inbound):
    customer_number: StrictInt = Field(ge=1, le=limits.MAX_CUSTOMER)
    amount: StrictStr | None = Field(
        default=None, description='what goes on the account, e.g. "10.00"; none: all that is due'
    )
    rest: Literal["cash", "card"] = Field(default="cash", description="how the rest is paid")
    print_receipt: bool = True


class FunctionPublic(BaseModel):
    function: str
    title: str
    level: Literal["available", "limited", "refused"]
    words: str = Field(description="what differs (limited) or why not (refused)")
    code: str | None = Field(description="the refusal's code")
    note: str | None = Field(description="what is missing behind it here (no provider)")

    @classmethod
    def of(cls, state: FunctionState) -> FunctionPublic:
        found = state.availability
        return cls(
            function=state.function.value,
            title=state.title,
            level=found.level.value,
            words=found.words,
            code=found.code,
            note=state.note,
        )


class SettlementPublic(BaseModel):
    report: OperatorSettlementPublic
    unsent_here: int = Field(description="receipts of this till the server does not hold yet")


@router.post(
    "/tickets/{ticket_id}/pay/voucher",
    response_model=ReceiptPublic,
    status_code=status.HTTP_201_CREATED,
)
def pay_with_voucher(
    ticket_id: str, body: VoucherPaymentIn, till: TillDep, session: ApiSessionDep
) -> ReceiptPublic:
    """Redeem a voucher on the server and close the ticket with it, the rest in cash or by
    card (409 FEATURE_OFFLINE in emergency mode; 503 SERVER_UNREACHABLE; the server's
    VOUCHER_UNKNOWN, VOUCHER_NOT_REGISTERED, VOUCHER_EXHAUSTED, VOUCHER_INSUFFICIENT)."""
    closed = till.server_functions.pay_with_voucher(
        session.operator_number,
        ticket_id,
        body.number,
        body.amount,
        PaymentMethod(body.rest),
        print_receipt=body.print_receipt,
    )
    lines = till.selling.receipt_lines(closed.receipt)
    return receipt_public(closed.receipt, lines, closed.printer_problem)


@router.get("/customers", response_model=list[CustomerPublic])
def find_customers(
    till: TillDep, _session: ApiSessionDep, q: Annotated[CustomerQuery, Query()] = ""
) -> list[CustomerPublic]:
    """Customer accounts whose number is ``q`` or whose name contains it, from the server
    (409 FEATURE_OFFLINE in emergency mode; 503 SERVER_UNREACHABLE)."""
    return till.server_functions.find_customers(q)


@router.post(
    "/tickets/{ticket_id}/pay/account",
    response_model=ReceiptPublic,
    status_code=status.HTTP_201_CREATED,
)
def pay_on_account(
    ticket_id: str, body: AccountPaymentIn, till: TillDep, session: ApiSessionDep
) -> ReceiptPublic:
    """Put the ticket on a customer's account (the server authorises it against the limit
    now) and close it, the rest in cash or by card (409 FEATURE_OFFLINE, 503
    SERVER_UNREACHABLE; the server's CUSTOMER_UNKNOWN, ACCOUNT_LIMIT_REACHED)."""
    closed = till.server_functions.pay_on_account(
        session.operator_number,
        ticket_id,
        body.customer_number,
        body.amount,
        PaymentMethod(body.rest),
        print_receipt=body.print_receipt,
    )
    lines = till.selling.receipt_lines(closed.receipt)
    return receipt_public(closed.receipt, lines, closed.printer_problem)


@router.get("/operator-settlement", response_model=SettlementPublic)
def operator_settlement(
    till: TillDep,
    session: ApiSessionDep,
    day: Annotated[Day | None, Query(alias="date", description="UTC day; today if none")] = None,
) -> SettlementPublic:
    """The logged-in operator's settlement from the server (409 FEATURE_OFFLINE with
    ``detail.closes_after_s`` in emergency mode)."""
    found = till.server_functions.operator_settlement(session.operator_number, day)
    return SettlementPublic(report=found.report, unsent_here=found.unsent_here)


@router.get("/functions", response_model=list[FunctionPublic])
def functions(till: TillDep, _session: ApiSessionDep) -> list[FunctionPublic]:
    """Every function of the capability matrix with its state now (R2.4)."""
    return [FunctionPublic.of(state) for state in till.server_functions.functions_now()]
