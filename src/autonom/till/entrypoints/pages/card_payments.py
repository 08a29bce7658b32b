"""Card payments on the cashier page (R2.5): what the pay screen shows of the card device
and of a ticket's unfinished card payment, and the list of this till's card payments with
their states now. Paying itself is the pay screen's form (``tickets.pay``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from autonom.domain.card import CardType
from autonom.till.bootstrap import Till
from autonom.till.entrypoints.deps import PageSessionDep, SessionsDep, TillDep
from autonom.till.entrypoints.pages.rendering import render

router = APIRouter(include_in_schema=False)

# The emulator has no card reader: the page offers test cards (docs/card-device.md §2).
TEST_CARDS = (
    ("4111111111111111", "Visa, approved"),
    ("4000000000000002", "declined by the bank"),
    ("5555555555554444", "Mastercard, approved"),
    ("6759649826438453", "Maestro, refused while offline"),
)


def pay_context(till: Till, ticket_id: str) -> dict[str, Any]:
    """What the pay screen's card block needs: the device as last asked, the ticket's
    card payment that still needs its receipt (if any), the card types and test cards."""
    return {
        "card_device": till.card_payments.device_view(),
        "card_unfinished": till.card_payments.unfinished(ticket_id),
        "card_types": list(CardType),
        "test_cards": TEST_CARDS,
    }


@router.get("/card-payments")
def card_payments_screen(
    request: Request, till: TillDep, sessions: SessionsDep, session: PageSessionDep
) -> Response:
    return render(
        request,
        "card_payments.html",
        till,
        sessions,
        session,
        payments=till.card_payments.payments(),
        card_device=till.card_payments.device_view(),
    )
