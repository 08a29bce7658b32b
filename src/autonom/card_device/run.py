"""Running the card-device emulator from the command line (``autonom card-device``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import structlog
import typer
import uvicorn

from autonom.card_device.app import create_app
from autonom.card_device.terminal import CardDeviceSettings
from autonom.domain import Refusal
from autonom.domain.card import CardType, OfflinePolicy
from autonom.domain.money import parse_amount
from autonom.domain.numbering import check_till_number
from autonom.observability import configure_logging

log = structlog.get_logger(__name__)

BANK_LINK_STATES = {"up": True, "down": False}


def settings_from_options(
    *,
    data_dir: Path,
    driven_by: int,
    refuse_offline: str,
    max_count: int,
    max_amount: str,
    max_total: str,
    bank_link: str,
) -> CardDeviceSettings:
    """The device's settings from the command line's words; a bad word is a
    ``typer.BadParameter`` naming its option."""
    try:
        check_till_number(driven_by)
    except Refusal as refusal:
        raise typer.BadParameter(refusal.message, param_hint="--driven-by") from None
    names = [name.strip() for name in refuse_offline.split(",") if name.strip()]
    unknown = [name for name in names if name not in set(CardType)]
    if unknown:
        known = ", ".join(CardType)
        raise typer.BadParameter(
            f"{', '.join(unknown)}: not a card type ({known})", param_hint="--refuse-offline"
        )
    if bank_link not in BANK_LINK_STATES:
        raise typer.BadParameter("up or down", param_hint="--bank-link")
    try:
        policy = OfflinePolicy(
            max_count=max_count,
            max_amount=_amount(max_amount, "--max-amount"),
            max_total=_amount(max_total, "--max-total"),
            refused_types=frozenset(CardType(name) for name in names),
        )
    except ValueError as problem:
        raise typer.BadParameter(str(problem), param_hint="--max-count") from None
    return CardDeviceSettings(
        data_dir=data_dir.resolve(),
        driven_by=driven_by,
        policy=policy,
        bank_link_up=BANK_LINK_STATES[bank_link],
    )


def _amount(text: str, option: str) -> Decimal:
    try:
        return parse_amount(text)
    except Refusal as refusal:
        raise typer.BadParameter(refusal.message, param_hint=option) from None


def serve(*, settings: CardDeviceSettings, host: str, port: int) -> None:
    """Open the device's store and serve its protocol until Ctrl-C; stored payments wait
    in the store across restarts and are forwarded once the bank link is up."""
    configure_logging("card-device")
    try:
        app = create_app(settings)
    except ValueError as problem:  # a store written by a newer device
        typer.echo(f"Cannot start the card device: {problem}", err=True)
        raise typer.Exit(code=2) from problem
    log.info(
        "card device ready",
        url=f"http://{host}:{port}",
        driven_by=settings.driven_by,
        bank_link="up" if settings.bank_link_up else "down",
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
