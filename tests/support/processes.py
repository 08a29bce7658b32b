"""Real server and till processes for end-to-end tests and benchmarks.

Each part is started exactly as a store starts it (``python -m autonom.cli …``), on a free
loopback port, with its output in a log file next to its data, so a failing test can show
what the process said.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autonom.demo import add_demo_operators, import_demo_catalog, wait_until_healthy

ADMIN_TOKEN = "test-admin-token"
# The store's enrolment code: the server asks for it, every till started here presents it.
ENROLMENT_CODE = "test-enrolment-code"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Part:
    """A running part: its process, base URL and log file (its console and its log lines;
    with ``errors`` set, the log lines on stderr go there instead)."""

    args: list[str]
    url: str
    log: Path
    health_path: str
    env: dict[str, str] = field(default_factory=dict)
    errors: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Part:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with (
            self.log.open("ab") as out,
            (self.errors or Path(os.devnull)).open("ab") as errors,
        ):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "autonom.cli", *self.args],
                stdout=out,
                stderr=errors if self.errors else subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        try:
            wait_until_healthy(self.url + self.health_path)
        except RuntimeError:
            self.kill()
            raise RuntimeError(f"{self.args[0]} did not start:\n{self.output()}") from None
        return self

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash or a power cut)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def server_part(data_dir: Path, *, db_url: str | None = None, port: int | None = None) -> Part:
    """A server on SQLite in ``data_dir`` (or on ``db_url``), seeded with the demo café."""
    db_url = db_url or f"sqlite:///{data_dir / 'server.sqlite'}"
    data_dir.mkdir(parents=True, exist_ok=True)
    import_demo_catalog(db_url)
    port = port or free_port()
    return Part(
        args=["server", "--db", db_url, "--port", str(port)],
        url=f"http://127.0.0.1:{port}",
        log=data_dir / "server.log",
        health_path="/api/v1/health",
        env={"AUTONOM_ADMIN_TOKEN": ADMIN_TOKEN, "AUTONOM_ENROLMENT_CODE": ENROLMENT_CODE},
    )


def start_seeded_server(data_dir: Path, *, port: int | None = None) -> Part:
    """Start a server with the demo café's items, tax rates and operators."""
    server = server_part(data_dir, port=port).start()
    add_demo_operators(server.url, ADMIN_TOKEN)
    return server


def till_part(
    data_dir: Path,
    number: int,
    server_url: str,
    *,
    port: int | None = None,
    operator_url: str | None = None,
    card_device_url: str | None = None,
) -> Part:
    port = port or free_port()
    till_dir = data_dir / f"till-{number}"
    args = ["till", "--number", str(number), "--server", server_url, "--port", str(port)]
    args += ["--data-dir", str(till_dir), "--printer", f"file:{till_dir / 'receipts.escpos'}"]
    if operator_url is not None:
        args += ["--operator", operator_url]
    if card_device_url is not None:
        args += ["--card-device", card_device_url]
    return Part(
        args=args,
        url=f"http://127.0.0.1:{port}",
        log=till_dir / "till.log",
        health_path="/api/status",
        env={"AUTONOM_ENROLMENT_CODE": ENROLMENT_CODE},
    )


def card_device_part(
    data_dir: Path,
    *,
    driven_by: int,
    port: int | None = None,
    bank_link: str = "up",
    options: tuple[str, ...] = (),
) -> Part:
    """The card-device emulator driven by till ``driven_by``, its store in
    ``data_dir/card-device``; ``options`` are further ``autonom card-device`` options
    (``--max-count 3``, ``--refuse-offline maestro``)."""
    port = port or free_port()
    device_dir = data_dir / "card-device"
    args = ["card-device", "--driven-by", str(driven_by), "--port", str(port)]
    args += ["--data-dir", str(device_dir), "--bank-link", bank_link, *options]
    return Part(
        args=args,
        url=f"http://127.0.0.1:{port}",
        log=device_dir / "card-device.log",
        health_path="/status",
    )
