"""Real receipts made by the domain's ``Ticket`` on till 10, numbered from its two ranges,
for the tests of reports (R2.8) and their printing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from autonom.domain import (
    CardSlip,
    Form,
    Item,
    NumberRange,
    PaymentMethod,
    Receipt,
    TaxRate,
    Tender,
    Ticket,
)

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
TILL = 10
STANDARD = TaxRate("A", Decimal("19.00"), "standard")
REDUCED = TaxRate("B", Decimal("7.00"), "reduced")
ESPRESSO = Item("100", "Espresso", Decimal("2.40"), "A")
CROISSANT = Item("200", "Croissant", Decimal("1.90"), "B")
RATES = {"A": STANDARD, "B": REDUCED}


class Sales:
    """Real receipts made by the domain, numbered from the till's two ranges."""

    def __init__(self) -> None:
        self.ranges = {form: NumberRange(TILL, form) for form in Form}
        self.now = AT
        self.made = 0

    def sell(
        self,
        items: Sequence[tuple[Item, int]] = ((ESPRESSO, 1),),
        *,
        tenders: Sequence[Tender] | None = None,
        offline: bool = False,
        void_first: bool = False,
        card: CardSlip | None = None,
    ) -> Receipt:
        self.made += 1
        self.now += timedelta(minutes=1)
        ticket = Ticket.open(
            ticket_id=f"t{self.made}", table=None, till_number=TILL, operator_number=1, at=AT
        )
        for i, (item, quantity) in enumerate(items):
            ticket.book(
                item,
                RATES[item.tax_code],
                quantity,
                booking_id=f"t{self.made}-b{i}",
                operator_number=1,
                till_number=TILL,
                at=self.now,
                offline=offline,
            )
        if void_first:
            first = ticket.bookings[0].booking_id
            ticket.void(first, "wrong item", operator_number=1, till_number=TILL, at=self.now)
        number = self.ranges[Form.EMERGENCY_RECEIPT if offline else Form.RECEIPT].issue()
        due = ticket.total
        paid = tenders if tenders is not None else [Tender(PaymentMethod.CASH, due)] if due else []
        return ticket.close(
            paid,
            number,
            operator_number=1,
            till_number=TILL,
            at=self.now,
            offline=offline,
            card=card,
        )
