"""``autonom``: one command line for every part. Each command imports its part lazily so
that starting a till does not load the server's database layer, and the reverse."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Autonom point of sale.", no_args_is_help=True, add_completion=False)
catalog_app = typer.Typer(help="Master data on the server.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
till_app = typer.Typer(help="A till: run it, or act on a running one.")
app.add_typer(till_app, name="till")

DEFAULT_SERVER_DB = "sqlite:///var/server/server.sqlite"


@app.command()
def server(
    db: Annotated[str, typer.Option(help="SQLAlchemy URL: sqlite:///FILE or postgresql://…")] = (
        DEFAULT_SERVER_DB
    ),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    admin_token: Annotated[
        str | None, typer.Option(envvar="AUTONOM_ADMIN_TOKEN", help="Bearer token for back office")
    ] = None,
    enrolment_code: Annotated[
        str | None,
        typer.Option(envvar="AUTONOM_ENROLMENT_CODE", help="Code a new till must present"),
    ] = None,
    open_enrolment: Annotated[
        bool,
        typer.Option(
            "--open-enrolment",
            envvar="AUTONOM_OPEN_ENROLMENT",
            help="Without an enrolment code, let any till on the network register",
        ),
    ] = False,
    store_id: Annotated[int, typer.Option(help="This store's id in a chain")] = 1,
) -> None:
    """Run the store's server: master data, shared tickets, the push endpoint."""
    from autonom.server.entrypoints.run import serve

    serve(
        db_url=db,
        host=host,
        port=port,
        admin_token=admin_token,
        enrolment_code=enrolment_code,
        open_enrolment=open_enrolment,
        store_id=store_id,
    )


@till_app.callback(invoke_without_command=True)
def till(
    ctx: typer.Context,
    number: Annotated[int | None, typer.Option(help="Till number, 1–999")] = None,
    server: Annotated[str, typer.Option(help="The server's base URL")] = "http://127.0.0.1:8000",
    data_dir: Annotated[Path | None, typer.Option(help="Where the till keeps its files")] = None,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the cashier page")] = 8010,
    printer: Annotated[
        str, typer.Option(help="file:PATH, tcp:HOST:PORT or none")
    ] = "file:receipts.escpos",
    enrolment_code: Annotated[str | None, typer.Option(envvar="AUTONOM_ENROLMENT_CODE")] = None,
    operator: Annotated[
        str | None,
        typer.Option(help="The fiscal operator's base URL; its link is watched when given"),
    ] = None,
    card_device: Annotated[
        str | None,
        typer.Option(help="The card device's base URL (autonom card-device); none: cash only"),
    ] = None,
    snapshot_warn_hours: Annotated[
        float,
        typer.Option(min=0.1, help="Warn when the master-data copy is older than this (R2.2)"),
    ] = 24.0,
) -> None:
    """Run one till: the cashier page, the local store, the heartbeat and the uploader
    (``autonom till --number N …``); or one of the commands below for a running till."""
    if ctx.invoked_subcommand is not None:
        return
    if number is None:
        raise typer.BadParameter("give the till's number: autonom till --number N", ctx)
    from autonom.till.entrypoints.run import serve

    serve(
        number=number,
        server_url=server,
        data_dir=data_dir or Path("var") / f"till-{number}",
        host=host,
        port=port,
        printer=printer,
        enrolment_code=enrolment_code,
        operator_url=operator,
        card_device_url=card_device,
        snapshot_stale_after=timedelta(hours=snapshot_warn_hours),
    )


TillUrl = Annotated[str, typer.Option("--url", help="The running till's page")]
Pin = Annotated[
    str, typer.Option(envvar="AUTONOM_PIN", prompt=True, hide_input=True, help="Her PIN")
]


@till_app.command("sync")
def till_sync(
    url: TillUrl = "http://127.0.0.1:8010",
    operator: Annotated[int, typer.Option(help="The operator who answers for the till")] = 1,
    pin: Pin = "",
    now: Annotated[
        bool, typer.Option(help="Answer the 'server available again' dialog: synchronise now")
    ] = True,
) -> None:
    """Follow a till's reintegration with a progress bar until nothing is left unsent."""
    from autonom.till.entrypoints.sync_cli import follow_sync

    raise typer.Exit(code=follow_sync(url, operator, pin, sync_now=now))


@till_app.command("credential")
def till_credential(
    url: TillUrl = "http://127.0.0.1:8010",
    operator: Annotated[int, typer.Option(help="The manager who installs it")] = 1,
    pin: Pin = "",
    credential: Annotated[
        str,
        typer.Option(
            envvar="AUTONOM_TILL_CREDENTIAL",
            prompt=True,
            hide_input=True,
            help="The credential the back office issued (till's page, New credential)",
        ),
    ] = "",
) -> None:
    """Install the credential the back office issued to a replaced or restored till; it
    sends what it holds at once, as a new log."""
    from autonom.till.entrypoints.sync_cli import install_credential

    raise typer.Exit(code=install_credential(url, operator, pin, credential))


@app.command("card-device")
def card_device(
    driven_by: Annotated[int, typer.Option(help="The till that drives this device, 1–999")],
    data_dir: Annotated[
        Path, typer.Option(help="Where the device keeps its stored payments")
    ] = Path("var/card-device"),
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8005,
    refuse_offline: Annotated[
        str, typer.Option(help="Card types refused while the bank link is down, comma-separated")
    ] = "maestro,visa_electron",
    max_count: Annotated[int, typer.Option(help="Payments stored offline at most")] = 250,
    max_amount: Annotated[str, typer.Option(help="One offline payment at most")] = "200.00",
    max_total: Annotated[str, typer.Option(help="All stored payments together at most")] = (
        "5000.00"
    ),
    bank_link: Annotated[str, typer.Option(help="The emulated bank link at start: up or down")] = (
        "up"
    ),
) -> None:
    """Run the card-payment device emulator: online approval, offline store-and-forward."""
    from autonom.card_device.run import serve, settings_from_options

    settings = settings_from_options(
        data_dir=data_dir,
        driven_by=driven_by,
        refuse_offline=refuse_offline,
        max_count=max_count,
        max_amount=max_amount,
        max_total=max_total,
        bank_link=bank_link,
    )
    serve(settings=settings, host=host, port=port)


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    db: Annotated[str, typer.Option(help="The server's database URL")] = DEFAULT_SERVER_DB,
    store_id: Annotated[int, typer.Option()] = 1,
) -> None:
    """Import items (and tax rates) from a CSV file into the server's master data."""
    from autonom.server.entrypoints.run import import_catalog

    import_catalog(db_url=db, path=file, store_id=store_id)


@app.command()
def demo(
    base_port: Annotated[int, typer.Option(help="Server on this port, tills on the next")] = 8000,
    data_dir: Annotated[Path, typer.Option()] = Path("var/demo"),
) -> None:
    """Start a server, two tills and a card device on SQLite with a demo café; Ctrl-C stops
    everything."""
    from autonom.demo import run

    run(base_port=base_port, data_dir=data_dir)


@app.command()
def capabilities() -> None:
    """Print the capability matrix (R2.4) as the Markdown table of docs/capabilities.md."""
    from autonom.till.domain.capabilities import matrix_markdown

    typer.echo(matrix_markdown(), nl=False)


if __name__ == "__main__":  # pragma: no cover
    app()
