"""The figures of the till's reports (R2.8): counted from real receipts of the domain's
``Ticket``; the X report, the report of emergency mode, and the day close's numbering,
null Z, open-ticket refusal and grand total."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autonom.contracts import EVENT_ADAPTER
from autonom.domain import (
    CardSlip,
    Item,
    PaymentMethod,
    PaymentTotal,
    Receipt,
    ReceiptRange,
    Refusal,
    TaxTotal,
    Tender,
    errors,
)
from autonom.domain.card import CardPaymentState, CardType
from autonom.domain.events import check_event
from autonom.domain.limits import MAX_Z_NUMBER
from autonom.domain.money import ZERO
from autonom.domain.reports import (
    FIRST_PERIOD,
    PeriodStart,
    ReportKind,
    ZReport,
    close_day,
    figures_of,
    offline_report,
    x_report,
)
from tests.support.receipts import AT, CROISSANT, ESPRESSO, TILL, Sales


def day_close(
    start: PeriodStart, receipts: Sequence[Receipt], *, open_tickets: int = 0, offline: bool = False
) -> ZReport:
    return close_day(
        start,
        receipts,
        open_tickets=open_tickets,
        document_id=f"z-after-{start.z_number}",
        till_number=TILL,
        operator_number=1,
        at=AT + timedelta(days=start.z_number + 1),
        offline=offline,
    )


def test_figures_add_up_per_rate_per_method_with_voids_and_ranges() -> None:
    sales = Sales()
    cash = sales.sell([(ESPRESSO, 2), (CROISSANT, 1)], tenders=[Tender(PaymentMethod.CASH, 10)])
    card = sales.sell([(CROISSANT, 2)], tenders=[Tender(PaymentMethod.CARD, Decimal("3.80"))])
    split = sales.sell(
        [(ESPRESSO, 1), (CROISSANT, 1)],
        tenders=[Tender(PaymentMethod.CARD, Decimal("1")), Tender(PaymentMethod.CASH, 5)],
        void_first=True,  # the espresso is voided: 1.90 is due
    )
    offline = sales.sell([(ESPRESSO, 1)], offline=True)

    figures = figures_of([cash, card, split, offline])

    assert figures.receipt_count == 4
    assert figures.emergency_count == 1
    assert figures.sales_total == Decimal("14.80")
    assert figures.tax_totals == (
        TaxTotal("A", Decimal("19.00"), Decimal("7.20"), Decimal("0.77") + Decimal("0.38")),
        TaxTotal(
            "B",
            Decimal("7.00"),
            Decimal("7.60"),
            Decimal("0.12") + Decimal("0.25") + Decimal("0.12"),
        ),
    )
    # Cash is counted net of change: 10 handed over for 6.70 settles 6.70; 5 for the 0.90
    # the card left of the split one settles 0.90.
    assert figures.payment_totals == (
        PaymentTotal(PaymentMethod.CASH, 3, Decimal("6.70") + Decimal("0.90") + Decimal("2.40")),
        PaymentTotal(PaymentMethod.CARD, 2, Decimal("3.80") + Decimal("1.00")),
    )
    assert (figures.void_count, figures.void_total) == (1, Decimal("2.40"))
    assert figures.receipt_ranges == (
        ReceiptRange(1, "10000001-01", "10000003-01"),
        ReceiptRange(2, "10000001-02", "10000001-02"),
    )
    assert (figures.first_at, figures.last_at) == (cash.closed_at, offline.closed_at)


def test_no_receipts_give_zero_figures() -> None:
    figures = figures_of([])

    assert (figures.receipt_count, figures.sales_total) == (0, ZERO)
    assert figures.tax_totals == figures.payment_totals == figures.receipt_ranges == ()
    assert figures.first_at is None


sale = st.tuples(
    st.lists(
        st.tuples(st.sampled_from([ESPRESSO, CROISSANT]), st.integers(1, 30)),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["cash", "card", "split", "overpaid cash"]),
    st.booleans(),  # offline
    st.booleans(),  # void the first line
)


def tenders_for(kind: str, due: Decimal) -> list[Tender]:
    if due == 0:
        return []
    if kind == "card":
        return [Tender(PaymentMethod.CARD, due)]
    if kind == "split":
        card = (due / 2).quantize(Decimal("0.01"))
        return [t for t in (Tender(PaymentMethod.CARD, card),) if card] + [
            Tender(PaymentMethod.CASH, due - card + Decimal("5"))
        ]
    extra = Decimal("20") if kind == "overpaid cash" else ZERO
    return [Tender(PaymentMethod.CASH, due + extra)]


def sell_all(specs: Sequence[tuple[list[tuple[Item, int]], str, bool, bool]]) -> list[Receipt]:
    sales = Sales()
    receipts = []
    for items, kind, offline, void_first in specs:
        due_items = items[1:] if void_first else items
        due = sum((item.price * quantity for item, quantity in due_items), ZERO)
        receipts.append(
            sales.sell(
                items, tenders=tenders_for(kind, due), offline=offline, void_first=void_first
            )
        )
    return receipts


@settings(max_examples=150, deadline=None)
@given(st.lists(sale, max_size=25))
def test_payments_by_method_and_taxes_by_rate_add_up_to_the_total(
    specs: list[tuple[list[tuple[Item, int]], str, bool, bool]],
) -> None:
    receipts = sell_all(specs)

    figures = figures_of(receipts)

    assert figures.sales_total == sum((r.total for r in receipts), ZERO)
    assert sum((p.amount_total for p in figures.payment_totals), ZERO) == figures.sales_total
    assert sum((t.gross_total for t in figures.tax_totals), ZERO) == figures.sales_total
    assert sum(p.count for p in figures.payment_totals) == sum(len(r.payments) for r in receipts)
    assert figures.receipt_count == len(receipts)
    offline = offline_report(
        FIRST_PERIOD, receipts, till_number=TILL, at=AT, unsent_count=0, unsent_receipts=()
    )
    assert offline.figures.receipt_count == offline.figures.emergency_count
    assert offline.figures.receipt_count == sum(r.offline for r in receipts)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(sale, max_size=6), min_size=1, max_size=8))
def test_the_grand_total_never_goes_down_and_z_numbers_follow_each_other(
    days: list[list[tuple[list[tuple[Item, int]], str, bool, bool]]],
) -> None:
    receipts: list[Receipt] = []
    start = FIRST_PERIOD
    grand_totals = [ZERO]
    sales = sell_all([spec for day in days for spec in day])
    taken = 0
    for number, day in enumerate(days, start=1):
        receipts += sales[taken : taken + len(day)]
        taken += len(day)
        z = day_close(start, receipts)  # every receipt so far: the earlier ones are covered
        assert z.z_number == number
        assert z.figures.receipt_count == len(day)
        assert z.grand_total == grand_totals[-1] + z.figures.sales_total
        grand_totals.append(z.grand_total)
        start = z.next_period()
    assert grand_totals == sorted(grand_totals)
    assert grand_totals[-1] == sum((r.total for r in sales), ZERO)


def test_a_day_close_counts_only_the_receipts_since_the_last_one() -> None:
    sales = Sales()
    monday = [sales.sell(), sales.sell(offline=True)]
    first = day_close(FIRST_PERIOD, monday)
    tuesday = [sales.sell([(CROISSANT, 3)])]

    second = day_close(first.next_period(), monday + tuesday)
    interim = x_report(second.next_period(), monday + tuesday, till_number=TILL, at=AT)

    assert (first.z_number, first.figures.receipt_count, first.period_start) == (1, 2, None)
    assert first.receipts_through == {1: 1, 2: 1}
    assert (second.z_number, second.figures.receipt_count) == (2, 1)
    assert second.period_start == first.closed_at
    assert second.figures.receipt_ranges == (ReceiptRange(1, "10000002-01", "10000002-01"),)
    assert second.receipts_through == {1: 2, 2: 1}
    assert second.grand_total == Decimal("4.80") + Decimal("5.70")
    assert interim.kind is ReportKind.X
    assert interim.figures.receipt_count == 0
    assert interim.period_start == second.closed_at


def test_a_null_z_is_allowed_and_says_so() -> None:
    first = day_close(FIRST_PERIOD, [Sales().sell()])

    null = day_close(first.next_period(), [])

    assert null.null
    assert not first.null
    assert null.z_number == 2
    assert null.grand_total == first.grand_total
    assert null.receipts_through == first.receipts_through


def test_open_tickets_refuse_the_day_close_and_say_how_many() -> None:
    with pytest.raises(Refusal) as refused:
        day_close(FIRST_PERIOD, [Sales().sell()], open_tickets=3)

    assert refused.value.code == errors.OPEN_TICKETS
    assert refused.value.status == 409
    assert refused.value.detail == {"open_tickets": 3}
    assert "3 tickets are still open" in refused.value.message


def test_the_last_z_number_is_the_last() -> None:
    last = PeriodStart(z_number=MAX_Z_NUMBER, closed_at=AT, grand_total=ZERO)

    with pytest.raises(Refusal) as refused:
        day_close(last, [])

    assert refused.value.code == errors.RANGE_EXHAUSTED


def test_the_offline_report_holds_the_receipts_of_emergency_mode_and_their_voids() -> None:
    sales = Sales()
    live = sales.sell([(ESPRESSO, 5)], void_first=False)
    offline = sales.sell([(ESPRESSO, 1), (CROISSANT, 2)], offline=True, void_first=True)

    report = offline_report(
        FIRST_PERIOD,
        [live, offline],
        till_number=TILL,
        at=AT,
        unsent_count=7,
        unsent_receipts=["10000001-02", "10000001-01"],
    )

    assert report.kind is ReportKind.OFFLINE
    assert report.figures.receipt_count == report.figures.emergency_count == 1
    assert report.figures.sales_total == Decimal("3.80")
    assert (report.figures.void_count, report.figures.void_total) == (1, Decimal("2.40"))
    assert report.unsent_count == 7
    assert report.unsent_receipts == ("10000001-01", "10000001-02")


def test_the_day_close_event_is_within_the_limits_and_travels_as_it_is() -> None:
    sales = Sales()
    z = day_close(FIRST_PERIOD, [sales.sell(), sales.sell(offline=True)], offline=True)

    event = z.event()

    assert check_event(event) == []
    assert event.offline
    assert event.document_id == z.document_id
    assert (event.z_number, event.receipt_count, event.sales_total) == (1, 2, Decimal("4.80"))
    assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) == event


def test_the_card_payments_stored_offline_are_counted_apart_within_the_card_total() -> None:
    sales = Sales()
    due = ESPRESSO.price
    card = [Tender(PaymentMethod.CARD, due)]

    def slip(state: CardPaymentState, n: int) -> CardSlip:
        return CardSlip(f"p{n}", CardType.VISA, "************1111", state, None)

    receipts = [
        sales.sell(tenders=card, offline=True, card=slip(CardPaymentState.STORED, 1)),
        sales.sell(tenders=card, offline=True, card=slip(CardPaymentState.STORED, 2)),
        sales.sell(tenders=card, card=slip(CardPaymentState.APPROVED, 3)),
        sales.sell(),  # cash
    ]

    figures = figures_of(receipts)

    (card_total,) = [p for p in figures.payment_totals if p.method is PaymentMethod.CARD]
    assert (card_total.count, card_total.amount_total) == (3, 3 * due)
    assert (figures.stored_card_count, figures.stored_card_total) == (2, 2 * due)
