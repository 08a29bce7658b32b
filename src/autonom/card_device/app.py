"""The card device's HTTP face (docs/card-device.md): ``create_app(settings)`` opens its
store, starts its forwarder and serves the protocol. The routes only parse, call the
``Terminal`` and render; errors are answered by the shared handlers of ``autonom.web``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI, Query, Request

import autonom
from autonom.card_device.store import PaymentStore, StoredPayment
from autonom.card_device.terminal import (
    CardDeviceSettings,
    PaymentRequest,
    Terminal,
    TerminalStatus,
)
from autonom.contracts.card_device import (
    BankLinkIn,
    CardDeviceStatus,
    CardPaymentChanges,
    CardPaymentIn,
    CardPaymentPublic,
    OfflinePolicyPublic,
)
from autonom.domain import limits
from autonom.web import BodyLimit, install_error_handlers


def _terminal(request: Request) -> Terminal:
    terminal: Terminal = request.app.state.terminal
    return terminal


TerminalDep = Annotated[Terminal, Depends(_terminal)]

router = APIRouter()


@router.post("/payments")
def pay(payment: CardPaymentIn, terminal: TerminalDep) -> CardPaymentPublic:
    """Pay by card: approved or declined by the bank (link up), stored (link down), or
    refused; the same ``payment_id`` again gets the same answer."""
    held = terminal.pay(
        PaymentRequest(
            payment_id=payment.payment_id,
            till_number=payment.till_number,
            amount=payment.amount,
            card_type=payment.card_type,
            card_number=payment.card_number,
        )
    )
    return _public(held)


@router.get("/payments/{payment_id}")
def payment(payment_id: UUID, terminal: TerminalDep) -> CardPaymentPublic:
    """One payment's state now; ``final`` once the bank decided."""
    return _public(terminal.payment(payment_id))


@router.get("/payments")
def changed_payments(
    terminal: TerminalDep,
    till_number: Annotated[int, Query(ge=1, le=limits.MAX_TILL)],
    after: Annotated[int, Query(ge=0, le=limits.MAX_SEQ)] = 0,
) -> CardPaymentChanges:
    """The till's payments that changed after change number ``after``, oldest first."""
    changed, through = terminal.changed_after(till_number, after)
    return CardPaymentChanges(payments=[_public(p) for p in changed], through=through)


@router.get("/status")
def status(terminal: TerminalDep) -> CardDeviceStatus:
    """The bank link, what is stored offline, and the offline policy."""
    return _status(terminal.status())


@router.put("/control/bank-link", tags=["emulator control"])
def bank_link(link: BankLinkIn, terminal: TerminalDep) -> CardDeviceStatus:
    """The emulator's own control (a real device has none): cut or restore its bank link."""
    return _status(terminal.set_bank_link(link.up))


def create_app(settings: CardDeviceSettings) -> FastAPI:
    """The emulated card device for ``settings``; its store opens here."""
    store = PaymentStore(settings.data_dir)
    terminal = Terminal(settings, store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        terminal.start()
        yield
        terminal.stop()
        store.close()

    app = FastAPI(
        title="Autonom card device (emulator)",
        summary="A card-payment terminal: online via its bank link, store-and-forward offline.",
        version=autonom.__version__,
        lifespan=lifespan,
    )
    app.state.terminal = terminal
    install_error_handlers(
        app,
        place="card device",
        internal_message="Something went wrong in the card device. It has been logged.",
    )
    app.add_middleware(BodyLimit)
    app.include_router(router)
    return app


def _public(payment: StoredPayment) -> CardPaymentPublic:
    return CardPaymentPublic(
        payment_id=payment.payment_id,
        till_number=payment.till_number,
        amount=payment.amount,
        card_type=payment.card_type,
        masked_pan=payment.masked_pan,
        state=payment.state,
        final=payment.state.final,
        approval_code=payment.approval_code,
        received_at=payment.received_at,
        forwarded_at=payment.forwarded_at,
        change=payment.change,
    )


def _status(status: TerminalStatus) -> CardDeviceStatus:
    policy = status.policy
    return CardDeviceStatus(
        driven_by=status.driven_by,
        bank_link="up" if status.bank_link_up else "down",
        stored_count=status.stored_count,
        stored_total=status.stored_total,
        policy=OfflinePolicyPublic(
            max_count=policy.max_count,
            max_amount=policy.max_amount,
            max_total=policy.max_total,
            refused_types=sorted(policy.refused_types),
        ),
    )
