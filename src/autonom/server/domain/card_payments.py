"""What the server makes of the bank's verdict on a card payment stored offline (R2.5).
Pure. A declined stored payment is a completed sale the store was not paid for: never a
refusal (invariant 6), a debt for a person to collect (``CARD_DEBT``)."""

from __future__ import annotations

from autonom.domain import CardPaymentSettled
from autonom.domain.card import CardPaymentState
from autonom.domain.errors import CARD_DEBT
from autonom.server.domain.findings import Finding


def settlement_findings(event: CardPaymentSettled) -> list[Finding]:
    """What a person should look at about a stored payment's verdict."""
    if event.state is not CardPaymentState.DECLINED:
        return []
    return [
        Finding(
            CARD_DEBT,
            f"The card payment of {event.amount} on receipt {event.receipt_number} (till "
            f"{event.till_number}) was stored offline and then declined by the bank: the store "
            "was not paid. Collect the amount from the customer.",
        )
    ]
