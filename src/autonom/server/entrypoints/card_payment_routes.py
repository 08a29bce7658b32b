"""The back office's card payments (admin token, R2.5): every card payment on a receipt,
stored offline or approved at once, and the bank's verdict on the stored ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from autonom.domain.card import CardPaymentState
from autonom.server import service_layer as handlers
from autonom.server.entrypoints.deps import AdminDep, ReadUnitOfWorkDep
from autonom.server.entrypoints.schemas import CardPaymentPublic
from autonom.server.entrypoints.till_routes import ERRORS

router = APIRouter(responses=ERRORS, tags=["back office"])


@router.get("/card-payments", response_model=list[CardPaymentPublic])
def list_card_payments(
    _admin: AdminDep,
    uow: ReadUnitOfWorkDep,
    state: Annotated[
        CardPaymentState | None, Query(description="stored (waiting for the bank), approved, …")
    ] = None,
) -> list[CardPaymentPublic]:
    """Card payments in the order their receipts were closed; ``state=declined`` lists the
    stored payments the bank declined later (each also a ``CARD_DEBT`` flag)."""
    records = handlers.list_card_payments(uow=uow, state=state)
    return [CardPaymentPublic.model_validate(r) for r in records]
