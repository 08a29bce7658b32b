"""Running the server and importing a catalog from the command line (``autonom server``,
``autonom catalog import``)."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from autonom import crash_points
from autonom.observability import configure_logging
from autonom.server.adapters import SqlUnitOfWork, prepare_database
from autonom.server.entrypoints.api import create_app
from autonom.server.service_layer import known_tax_codes, read_catalog, store_catalog
from autonom.server.settings import ServerSettings


def serve(
    *,
    db_url: str,
    host: str,
    port: int,
    admin_token: str | None,
    enrolment_code: str | None,
    open_enrolment: bool,
    store_id: int,
) -> None:
    """Migrate the database and serve the API until Ctrl-C."""
    configure_logging("server")
    console = Console()
    try:
        armed = crash_points.arm_from_environment()
    except ValueError as problem:
        console.print(f"[red]Cannot start the server: {problem}[/red]")
        raise typer.Exit(code=2) from problem
    if armed is not None:
        console.print(f"Crash point armed: {armed.value} (AUTONOM_CRASH_AT, for the crash harness)")
    if admin_token is None:
        admin_token = secrets.token_urlsafe(16)
        # Once, plainly, on the console that started the server; never to a log.
        print(f"Back-office token (none was given): {admin_token}", flush=True)
    if enrolment_code is None and not open_enrolment:
        console.print(
            "No enrolment code: new tills cannot register. Start with --enrolment-code CODE, "
            "or with --open-enrolment to let any till register."
        )
    settings = ServerSettings(
        db_url=db_url,
        store_id=store_id,
        admin_token=admin_token,
        enrolment_code=enrolment_code,
        open_enrolment=open_enrolment,
        host=host,
        port=port,
    )
    app = create_app(settings)
    console.print(
        f"Autonom server for store {store_id} on http://{host}:{port} "
        "(API at /docs, back office at /back-office)"
    )
    # No access log: every till probes the health endpoint several times a second.
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def import_catalog(*, db_url: str, path: Path, store_id: int) -> None:
    """Import items and tax rates from a CSV file: all rows or, if any is bad, none."""
    console = Console()
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as problem:
        console.print(f"[red]Cannot read {path}: {problem}[/red]")
        raise typer.Exit(1) from None
    engine = prepare_database(db_url, store_id)
    try:
        known = known_tax_codes(uow=SqlUnitOfWork(engine, store_id, write=False))
        catalog, bad_rows = read_catalog(io.StringIO(content, newline=""), known_tax_codes=known)
        if bad_rows:
            for bad in bad_rows:
                console.print(f"[red]{path.name}, line {bad.line}:[/red] {bad.reason}")
            console.print(
                f"[red]{len(bad_rows)} bad row(s); nothing was imported.[/red] "
                "Fix the file and import it again."
            )
            raise typer.Exit(1)
        with Progress(
            TextColumn("Importing"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress:
            task = progress.add_task("items", total=len(catalog.items))
            summary = store_catalog(
                uow=SqlUnitOfWork(engine, store_id),
                catalog=catalog,
                on_item=lambda: progress.advance(task),
            )
        console.print(f"Items: {summary.items_added} added, {summary.items_updated} updated.")
        console.print(
            f"Tax rates: {summary.tax_rates_added} added, {summary.tax_rates_updated} updated."
        )
        console.print(f"Master data is now at version {summary.master_data_version}.")
    finally:
        engine.dispose()
