"""The till's JSON API of card payments (R2.5): this till's card payments with their
states now, and its card device as last asked. Paying by card is the close endpoint's
(``POST /api/tickets/{id}/close`` with ``card``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from autonom.till.entrypoints.api import ERRORS
from autonom.till.entrypoints.deps import ApiSessionDep, TillDep
from autonom.till.entrypoints.schemas import CardDevicePublic, CardPaymentPublic

router = APIRouter(prefix="/api", responses=ERRORS, tags=["card payments"])


@router.get("/card-payments", response_model=list[CardPaymentPublic])
def card_payments(
    till: TillDep,
    _session: ApiSessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[CardPaymentPublic]:
    """This till's card payments, newest first: approved, stored offline (and later approved
    or declined by the bank), refused, or not resolved yet."""
    return [CardPaymentPublic.of(p) for p in till.card_payments.payments(limit)]


@router.get("/card-device", response_model=CardDevicePublic)
def card_device(till: TillDep, _session: ApiSessionDep) -> CardDevicePublic:
    """The card device: its bank link and how many more payments it may store offline."""
    return CardDevicePublic.of(till.card_payments.device_view())
