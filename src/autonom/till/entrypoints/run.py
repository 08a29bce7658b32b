"""Running one till from the command line (``autonom till``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import structlog
import typer
import uvicorn

from autonom import crash_points
from autonom.observability import configure_logging
from autonom.till.bootstrap import TillSettings, bootstrap
from autonom.till.entrypoints.web import create_app
from autonom.till.service_layer.selling import SNAPSHOT_STALE_AFTER

log = structlog.get_logger(__name__)


def serve(
    *,
    number: int,
    server_url: str,
    data_dir: Path,
    host: str,
    port: int,
    printer: str,
    enrolment_code: str | None,
    operator_url: str | None = None,
    card_device_url: str | None = None,
    snapshot_stale_after: timedelta = SNAPSHOT_STALE_AFTER,
) -> None:
    """Open the till's store, start its uploader and snapshot threads, and serve the cashier
    page until Ctrl-C. The page answers at once, also before the server is reachable."""
    configure_logging("till")
    try:
        armed = crash_points.arm_from_environment()
    except ValueError as problem:
        typer.echo(f"Cannot start till {number}: {problem}", err=True)
        raise typer.Exit(code=2) from problem
    if armed is not None:
        log.warning("crash point armed", point=armed.value)
    settings = TillSettings(
        number=number,
        server_url=server_url,
        data_dir=data_dir.resolve(),
        host=host,
        port=port,
        printer=printer,
        enrolment_code=enrolment_code,
        operator_url=operator_url,
        card_device=card_device_url,
        snapshot_stale_after=snapshot_stale_after,
    )
    try:
        till = bootstrap(settings)
    except ValueError as problem:  # a bad printer spec, a data dir of another till …
        typer.echo(f"Cannot start till {number}: {problem}", err=True)
        raise typer.Exit(code=2) from problem
    app = create_app(till)
    till.start()
    log.info(
        "till ready",
        till=number,
        page=f"http://{host}:{port}",
        server=server_url,
        card_device=card_device_url,
        snapshot_stale_after=snapshot_stale_after,
    )
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        till.stop()
