"""``autonom demo``: a server, two tills, a card device and a café on SQLite, on loopback
ports.

Every part runs as its own process, exactly as in a real store; the demo only starts
them, loads the café's master data through the same paths a store manager uses
(``autonom catalog import`` and the back-office API) and stops everything on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

CATALOG = "cafe.csv"
TABLES = 10


@dataclass(frozen=True)
class DemoOperator:
    number: int
    name: str
    role: str
    pin: str


OPERATORS = (
    DemoOperator(1, "Anna", "cashier", "1111"),
    DemoOperator(2, "Ben", "cashier", "2222"),
    DemoOperator(3, "Clara", "manager", "9999"),
)
# The café's evening concert (its seat is item 850) and two regulars with an account.
EVENT_SEATS = {"850": 40}
CUSTOMERS = {1: ("Müller GmbH", "500.00"), 2: ("Café club", "150.00")}
TILL_NUMBERS = (10, 11)
CARD_DEVICE_PORT_OFFSET = 5  # the card device of the first till: base port + 5

console = Console()


def _start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a part in its own session: Ctrl-C reaches only the demo, which then stops
    each part once (a second SIGINT would make uvicorn abort instead of shutting down)."""
    return subprocess.Popen(args, env=env, start_new_session=True)


def _autonom(*args: str) -> list[str]:
    return [sys.executable, "-m", "autonom.cli", *args]


def wait_until_healthy(url: str, *, seconds: float = 20.0) -> None:
    """Poll ``url`` until it answers 200, or fail with a clear message."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def import_demo_catalog(db_url: str) -> None:
    """Load the café's items and tax rates the way a manager would: ``autonom catalog import``."""
    with resources.as_file(resources.files(__package__) / CATALOG) as catalog:
        subprocess.run(_autonom("catalog", "import", str(catalog), "--db", db_url), check=True)


def add_demo_operators(server_url: str, admin_token: str) -> None:
    """Create the café's operators through the back-office API."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server_url, headers=headers) as back_office:
        for op in OPERATORS:
            back_office.put(
                f"/api/v1/operators/{op.number}",
                json={"name": op.name, "role": op.role, "pin": op.pin},
            ).raise_for_status()


def add_demo_accounts_and_events(server_url: str, admin_token: str) -> None:
    """Give the concert its seats and open the regulars' accounts (back-office API)."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server_url, headers=headers) as back_office:
        for plu, capacity in EVENT_SEATS.items():
            back_office.put(f"/api/v1/events/{plu}", json={"capacity": capacity}).raise_for_status()
        for number, (name, limit) in CUSTOMERS.items():
            back_office.put(
                f"/api/v1/customers/{number}", json={"name": name, "credit_limit": limit}
            ).raise_for_status()


def run(*, base_port: int, data_dir: Path) -> None:
    """Start the demo store and block until Ctrl-C (or SIGTERM)."""
    # Ctrl-C even when started in the background (where SIGINT starts out ignored), and a
    # plain `kill` stops every part as cleanly as Ctrl-C does.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{data_dir / 'server.sqlite'}"
    server_url = f"http://127.0.0.1:{base_port}"
    admin_token = secrets.token_urlsafe(16)
    # The tills present the server's enrolment code: registration is closed without one.
    enrolment = {"AUTONOM_ENROLMENT_CODE": secrets.token_urlsafe(12)}
    env = {**os.environ, "AUTONOM_ADMIN_TOKEN": admin_token, **enrolment}
    children: list[subprocess.Popen[bytes]] = []
    try:
        import_demo_catalog(db_url)
        children.append(
            _start(_autonom("server", "--db", db_url, "--port", str(base_port)), env=env)
        )
        wait_until_healthy(f"{server_url}/api/v1/health")
        add_demo_operators(server_url, admin_token)
        add_demo_accounts_and_events(server_url, admin_token)
        card_device_url = f"http://127.0.0.1:{base_port + CARD_DEVICE_PORT_OFFSET}"
        card_args = ["card-device", "--driven-by", str(TILL_NUMBERS[0])]
        card_args += ["--port", str(base_port + CARD_DEVICE_PORT_OFFSET)]
        card_args += ["--data-dir", str(data_dir / "card-device")]
        children.append(_start(_autonom(*card_args)))
        till_urls = []
        for offset, number in enumerate(TILL_NUMBERS, start=1):
            port = base_port + 10 * offset
            till_dir = data_dir / f"till-{number}"
            till_args = ["till", "--number", str(number), "--server", server_url]
            till_args += ["--port", str(port), "--data-dir", str(till_dir)]
            till_args += ["--printer", f"file:{till_dir / 'receipts.escpos'}"]
            if number == TILL_NUMBERS[0]:  # the till that drives the card device
                till_args += ["--card-device", card_device_url]
            children.append(_start(_autonom(*till_args), env={**os.environ, **enrolment}))
            till_urls.append((number, f"http://127.0.0.1:{port}"))
        for _, url in till_urls:
            wait_until_healthy(f"{url}/api/status")
        wait_until_healthy(f"{card_device_url}/status")
        _print_welcome(server_url, children[0].pid, admin_token, till_urls, card_device_url)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        console.print("[red]A part of the demo stopped; stopping the rest.[/red]")
    except KeyboardInterrupt:
        console.print("\nStopping the demo …")
    finally:
        _stop(children)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_welcome(
    server_url: str,
    server_pid: int,
    admin_token: str,
    till_urls: list[tuple[int, str]],
    card_device_url: str,
) -> None:
    table = Table(title="Autonom demo café is open", show_lines=False)
    table.add_column("part")
    table.add_column("open this")
    for number, url in till_urls:
        table.add_row(f"till {number} (cashier page)", url)
    table.add_row("back office (tills, modes, station settings)", f"{server_url}/back-office")
    table.add_row("server API (OpenAPI)", f"{server_url}/docs")
    table.add_row(f"card device of till {TILL_NUMBERS[0]} (status)", f"{card_device_url}/status")
    console.print(table)
    console.print(
        "Operators: "
        + ", ".join(f"{op.name} ({op.role}) PIN {op.pin}" for op in OPERATORS)
        + f". Tables 1–{TABLES}. Back-office token: {admin_token}"
    )
    console.print(
        f"To see emergency mode, freeze the server: kill -STOP {server_pid} — the tills' "
        f"status icon and dialog change within 2 s; kill -CONT {server_pid} brings it back."
    )
    cut = """-H 'Content-Type: application/json' -d '{"up": false}'"""
    console.print(
        f"Till {TILL_NUMBERS[0]} pays by card through the card device (test cards: "
        "4111111111111111 approved, 4000000000000002 declined, Maestro 6759649826438453). "
        "To see card payments stored offline, cut the card device's bank link: "
        f"curl -X PUT {card_device_url}/control/bank-link {cut} (true forwards them)."
    )
    console.print("Press Ctrl-C to stop everything.")


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
