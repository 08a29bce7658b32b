"""The functions that need the server (R2.4), on the server: redeeming a voucher, holding
the seats of an event, customer accounts, the operator settlement, the backends marked
down, and what a receipt's arrival settles (the vouchers it sold, the redemptions and seats
held for its ticket, the accounts it was put on). The rules are
``server.domain.server_functions``'; each handler reads what they need, writes what they
decided and ends in ``uow.commit()``.

A till calls these live and never queues them: in emergency mode its capability matrix
refuses them before any call (docs/server-functions.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import get_args

from autonom.contracts.server_functions import (
    AccountChargeAuthorised,
    AccountChargeIn,
    BackendStatusIn,
    BackendStatusPublic,
    CustomerIn,
    CustomerPublic,
    EventIn,
    EventPublic,
    OperatorSettlementPublic,
    PaymentTotal,
    RedemptionIn,
    RedemptionPublic,
    SeatsHeld,
    SeatsIn,
    ServerBackend,
    SettlementReceiptPublic,
    VoucherPublic,
)
from autonom.domain import ItemKind, Receipt, Refusal, TicketClosed, errors
from autonom.domain.money import ZERO
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.domain import Finding, TicketFinding
from autonom.server.domain.server_functions import (
    CustomerFacts,
    EventFacts,
    RedemptionFacts,
    RedemptionState,
    SeatHold,
    account_charges,
    charge_findings,
    check_charge,
    check_redemption,
    check_same_redemption,
    check_seats,
    settle_redemptions,
    settle_seats,
    voucher_number,
    vouchers_sold,
)
from autonom.server.domain.server_functions import (
    operator_settlement as settle_operator,
)

# -- vouchers ----------------------------------------------------------------------------


def redeem_voucher(
    *, uow: SqlUnitOfWork, till_number: int, number: str, request: RedemptionIn, now: datetime
) -> RedemptionPublic:
    """Hold ``request.amount`` of the voucher for the ticket, at most once per
    ``redemption_id``, atomically: the voucher's row is locked to commit, so two tills
    redeeming it at once take turns and the second sees what the first took. An earlier,
    unsettled redemption of the same voucher for the same ticket is replaced."""
    parsed = voucher_number(number)
    number = str(parsed)
    with uow:
        voucher = uow.vouchers.get(number, lock=True)
        existing = uow.vouchers.redemption(request.redemption_id)
        if existing is not None:
            check_same_redemption(
                existing, number=number, ticket_id=request.ticket_id, amount=request.amount
            )
            assert voucher is not None  # a redemption exists only of a registered voucher
            return _redemption_public(existing, voucher.remaining)
        replaced = uow.vouchers.held_for(request.ticket_id, voucher_number=number)
        given_back = sum((r.amount for r in replaced), ZERO)
        check_redemption(
            number=parsed,
            amount=request.amount,
            voucher=voucher,
            replaced=given_back,
            issuer_registered=uow.tills.is_registered(parsed.till),
        )
        assert voucher is not None
        for old in replaced:
            uow.vouchers.settle(old.redemption_id, RedemptionState.RELEASED, at=now)
        uow.vouchers.change_remaining(number, given_back - request.amount)
        redemption = RedemptionFacts(
            redemption_id=request.redemption_id,
            voucher_number=number,
            ticket_id=request.ticket_id,
            till_number=till_number,
            amount=request.amount,
            state=RedemptionState.HELD,
        )
        uow.vouchers.hold(redemption, at=now)
        uow.commit()
    return _redemption_public(redemption, voucher.remaining + given_back - request.amount)


def voucher(*, uow: SqlUnitOfWork, number: str) -> VoucherPublic:
    """A voucher as the server holds it (VOUCHER_UNKNOWN when it does not)."""
    parsed = str(voucher_number(number))
    with uow:
        found = uow.vouchers.get(parsed)
    if found is None:
        raise Refusal(errors.VOUCHER_UNKNOWN, f"The server has no voucher {parsed}.", 404)
    return VoucherPublic(
        number=found.number,
        value=found.value,
        remaining=found.remaining,
        till_number=found.till_number,
        receipt_number=found.receipt_number,
        sold_at=found.sold_at,
    )


def _redemption_public(redemption: RedemptionFacts, remaining: Decimal) -> RedemptionPublic:
    return RedemptionPublic(
        redemption_id=redemption.redemption_id,
        voucher_number=redemption.voucher_number,
        ticket_id=redemption.ticket_id,
        amount=redemption.amount,
        remaining=remaining,
        state=redemption.state.value,
    )


# -- customer accounts --------------------------------------------------------------------


def put_customer(
    *, uow: SqlUnitOfWork, number: int, customer: CustomerIn, now: datetime
) -> CustomerPublic:
    """Create a customer account (balance 0) or change its name and credit limit."""
    with uow:
        uow.customers.put(CustomerFacts(number, customer.name, customer.credit_limit, ZERO), at=now)
        found = uow.customers.get(number)
        uow.commit()
    assert found is not None
    return _customer_public(found)


def find_customers(*, uow: SqlUnitOfWork, text: str) -> list[CustomerPublic]:
    """Accounts whose number is ``text`` or whose name contains it (a till's lookup)."""
    with uow:
        return [_customer_public(c) for c in uow.customers.find(text)]


def authorise_charge(
    *, uow: SqlUnitOfWork, number: int, request: AccountChargeIn
) -> AccountChargeAuthorised:
    """Whether ``request.amount`` may go on the account now (CUSTOMER_UNKNOWN,
    ACCOUNT_LIMIT_REACHED). Nothing is held: the account is charged when the receipt
    arrives, and a charge that puts it over its limit then is flagged, never refused."""
    with uow:
        customer = check_charge(uow.customers.get(number), number=number, amount=request.amount)
    return AccountChargeAuthorised(customer=_customer_public(customer), amount=request.amount)


def _customer_public(customer: CustomerFacts) -> CustomerPublic:
    return CustomerPublic(
        number=customer.number,
        name=customer.name,
        credit_limit=customer.credit_limit,
        balance=customer.balance,
        available=max(customer.available, ZERO),
    )


# -- event seats ----------------------------------------------------------------------------


def put_event(*, uow: SqlUnitOfWork, plu: str, event: EventIn) -> EventPublic:
    """Give an event ticket item its capacity (the seats already held and sold stay)."""
    with uow:
        item = next((i for i in uow.master_data.items() if i.plu == plu), None)
        if item is None or item.kind is not ItemKind.EVENT_TICKET:
            raise Refusal(
                errors.EVENT_UNKNOWN,
                f"Item {plu} is no event ticket; give it the kind event_ticket first.",
                422,
            )
        facts = uow.events.put(plu, event.capacity)
        uow.commit()
    return _event_public(facts)


def event(*, uow: SqlUnitOfWork, plu: str) -> EventPublic:
    with uow:
        facts = uow.events.get(plu)
    if facts is None:
        raise Refusal(errors.EVENT_UNKNOWN, f"Item {plu} is no event with seats.", 404)
    return _event_public(facts)


def hold_seats(
    *, uow: SqlUnitOfWork, till_number: int, plu: str, request: SeatsIn, now: datetime
) -> SeatsHeld:
    """Hold ``request.seats`` of the event for a booking before the till writes it, at most
    once per ``booking_id``, never beyond the capacity: the event's row is locked to commit,
    so two tills taking the last seat take turns."""
    with uow:
        facts = uow.events.get(plu, lock=True)
        existing = uow.events.hold_of(request.booking_id)
        if existing is not None:
            if (existing.plu, existing.ticket_id, existing.seats) != (
                plu,
                request.ticket_id,
                request.seats,
            ):
                raise Refusal(
                    errors.SEATS_CONFLICT,
                    f"Booking {request.booking_id} holds {existing.seats} seat(s) of "
                    f"{existing.plu} for ticket {existing.ticket_id} already.",
                    409,
                )
            assert facts is not None
            return SeatsHeld(
                booking_id=existing.booking_id, plu=plu, seats=existing.seats, left=facts.left
            )
        check_seats(
            facts,
            plu=plu,
            seats=request.seats,
            ticketing_down="ticketing" in uow.backends.down(),
        )
        assert facts is not None
        hold = SeatHold(request.booking_id, plu, request.ticket_id, request.seats)
        uow.events.hold(hold, till_number=till_number, at=now)
        uow.commit()
    return SeatsHeld(
        booking_id=hold.booking_id, plu=plu, seats=hold.seats, left=facts.left - hold.seats
    )


def _event_public(facts: EventFacts) -> EventPublic:
    return EventPublic(plu=facts.plu, capacity=facts.capacity, sold=facts.sold, left=facts.left)


# -- a receipt arrives ------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """A receipt a push brings: its close (operation ``seq`` of the till) and the receipt
    its ticket was rebuilt with."""

    seq: int
    closed: TicketClosed
    receipt: Receipt


def receipts_arrived(
    uow: SqlUnitOfWork, *, till_number: int, arrivals: Sequence[Arrival], now: datetime
) -> None:
    """Inside the push's transaction, for each receipt it brings, in their order: register
    the vouchers it sold, settle the redemptions held for its ticket (used when it pays
    with them, released otherwise), charge the customer accounts it was put on, settle the
    seats held for its bookings (sold when its lines hold them, freed otherwise). What is
    held is read once for all the tickets: a receipt settles everything held for its
    ticket, so a second close of it finds nothing. Never refuses: what needs a person
    becomes a flag."""
    tickets = [arrival.closed.ticket_id for arrival in arrivals]
    redemptions = uow.vouchers.held_for_tickets(tickets)
    seats = uow.events.held_for(tickets)
    raised: list[TicketFinding] = []
    for seq, closed, receipt in ((a.seq, a.closed, a.receipt) for a in arrivals):
        found = _receipt_arrived(
            uow,
            till_number=till_number,
            closed=closed,
            receipt=receipt,
            held=redemptions.pop(closed.ticket_id, []),
            seats=seats.pop(closed.ticket_id, []),
            now=now,
        )
        raised += [
            TicketFinding(closed.ticket_id, till_number, seq, f.code, f.message) for f in found
        ]
    uow.flags.add_all(raised)


def _receipt_arrived(
    uow: SqlUnitOfWork,
    *,
    till_number: int,
    closed: TicketClosed,
    receipt: Receipt,
    held: list[RedemptionFacts],
    seats: list[SeatHold],
    now: datetime,
) -> list[Finding]:
    """One receipt of ``receipts_arrived``, given what was held for its ticket."""
    for sold in vouchers_sold(receipt):
        uow.vouchers.register(sold)
    found: list[Finding] = []
    for number in sorted({r.voucher_number for r in held}):
        uow.vouchers.get(number, lock=True)  # as a redemption does: the voucher first
    settled = settle_redemptions(held, closed)
    for used in settled.used:
        uow.vouchers.settle(
            used.redemption_id, RedemptionState.USED, at=now, receipt_number=closed.receipt_number
        )
    for released in settled.released:
        uow.vouchers.settle(released.redemption_id, RedemptionState.RELEASED, at=now)
        uow.vouchers.change_remaining(released.voucher_number, released.amount)
    found += settled.findings
    charges, unknown = account_charges(closed)
    found += unknown
    for charge in charges:
        if uow.customers.get(charge.customer_number, lock=True) is not None:
            uow.customers.charge(
                charge.customer_number,
                charge.amount,
                receipt_number=closed.receipt_number,
                till_number=till_number,
                at=now,
            )
        found += charge_findings(uow.customers.get(charge.customer_number), charge, closed)
    seats_sold, seats_freed = settle_seats(seats, (line.booking_id for line in receipt.lines))
    uow.events.settle(seats_sold, seats_freed)
    return found


# -- the operator settlement ------------------------------------------------------------------


def operator_settlement(
    *, uow: SqlUnitOfWork, operator_number: int, day: date
) -> OperatorSettlementPublic:
    """The operator's receipts of ``day`` (UTC) on every till that has sent them."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    with uow:
        closed = uow.receipts.closed_between(start, start + timedelta(days=1))
    settlement = settle_operator(operator_number, day, closed)
    return OperatorSettlementPublic(
        operator_number=operator_number,
        day=day,
        receipt_count=len(settlement.receipts),
        total=settlement.total,
        payments=[
            PaymentTotal(method=method, amount=amount)
            for method, amount in settlement.payments.items()
        ],
        tills=settlement.tills,
        receipts=[
            SettlementReceiptPublic(
                number=r.number, till_number=r.till_number, closed_at=r.closed_at, total=r.total
            )
            for r in settlement.receipts
        ],
    )


# -- backends ------------------------------------------------------------------------------


def put_backend(
    *, uow: SqlUnitOfWork, name: ServerBackend, status: BackendStatusIn, now: datetime
) -> BackendStatusPublic:
    """Mark a backend behind the server up or down; every till hears it with the answer
    to its next heartbeat and refuses (or offers again) the functions that need it."""
    with uow:
        uow.backends.put(name, up=status.up, reason=status.reason, at=now)
        uow.commit()
    return BackendStatusPublic(name=name, up=status.up, reason=status.reason, changed_at=now)


def backends(*, uow: SqlUnitOfWork) -> list[BackendStatusPublic]:
    """Every backend as the back office last marked it (one never marked is up)."""
    with uow:
        marked = {b.name: b for b in uow.backends.all()}
    return [
        BackendStatusPublic(name=name, up=b.up, reason=b.reason, changed_at=b.changed_at)
        if (b := marked.get(name)) is not None
        else BackendStatusPublic(name=name, up=True, reason="", changed_at=None)
        for name in get_args(ServerBackend)
    ]
