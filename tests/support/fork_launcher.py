"""Start tills and servers in a fraction of the time: forked from a launcher that has already
imported them.

``python -m autonom.cli till …`` spends about 0.7 s of its 0.8 s start importing FastAPI,
pydantic, SQLAlchemy and our modules. A harness that crashes a till 200 times cannot pay
that each time, so the launcher — one process, started once, single-threaded — imports the
parts and builds the ``autonom`` command line once, and then, for each start, forks a child
that runs that command line with its own arguments, environment and log file. The child is
a real process like any other: its own SQLite connections, threads, uvicorn and sockets,
and SIGKILL ends it the same way. What it skips is the import.

A child may also run a plain function (``ForkLauncher.call``), for a harness that drives
a part's service layer from inside its own process.

The launcher reaps its children and answers the test over a pipe, one JSON line each way;
it kills every child it started when the test goes away (its stdin closes).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

STOP_TIMEOUT_S = 10.0


class DiedStarting(RuntimeError):
    """The part ended before it answered (``signal``: 9 when a crash point killed it)."""

    def __init__(self, part: str, signal_number: int, output: str) -> None:
        super().__init__(f"{part} ended (signal {signal_number}) before it answered:\n{output}")
        self.signal = signal_number


class ForkLauncher:
    """The test's side of the launcher process; use it as a context manager."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> ForkLauncher:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.fork_launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
        self._ask({"ready": True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        assert self._process.stdin is not None
        self._process.stdin.close()  # the launcher kills its children and leaves
        try:
            self._process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def part(
        self, args: list[str], *, url: str, log: Path, health_path: str, env: dict[str, str]
    ) -> ForkedPart:
        """``autonom <args>`` to be started by this launcher (not started yet)."""
        return ForkedPart(self, log, args=args, url=url, health_path=health_path, env=dict(env))

    def call(
        self, function: str, kwargs: dict[str, Any], *, env: dict[str, str], log: Path
    ) -> Forked:
        """Fork a child that runs ``function`` ("module:name") with ``kwargs`` (JSON) and
        ``env`` on top of the test's environment; it is running when this returns."""
        log.parent.mkdir(parents=True, exist_ok=True)
        child = Forked(self, log)
        answer = self._ask({"call": function, "kwargs": kwargs, "env": env, "log": str(log)})
        child.pid = int(answer["pid"])
        return child

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            assert self._process is not None, "use the launcher as a context manager"
            assert self._process.stdin is not None
            assert self._process.stdout is not None
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the fork launcher died")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"fork launcher: {answer['error']}")
        return answer


@dataclass
class Forked:
    """A child of the launcher: alive or ended, and by which signal."""

    launcher: ForkLauncher
    log: Path
    pid: int | None = None
    ended_by: int | None = None  # the signal that ended the last run (0: a plain exit)

    def alive(self) -> bool:
        if self.pid is None:
            return False
        answer = self.launcher._ask({"poll": self.pid})
        if answer["exited"]:
            self.pid, self.ended_by = None, int(answer["signal"])
        return self.pid is not None

    def wait_dead(self, seconds: float) -> int | None:
        """Wait up to ``seconds`` for the child to end; the signal that ended it (SIGKILL:
        9; 0 for a plain exit), or None while it still runs."""
        deadline = time.monotonic() + seconds
        while self.alive():
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)
        return self.ended_by

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up (a crash or a power cut)."""
        if self.pid is not None:
            answer = self.launcher._ask({"kill": self.pid})
            self.pid, self.ended_by = None, int(answer["signal"])

    def stop(self) -> None:
        """Ctrl-C, as a person stops it; SIGKILL after 10 s."""
        if self.pid is not None:
            answer = self.launcher._ask({"stop": self.pid})
            self.pid, self.ended_by = None, int(answer["signal"])

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class ForkedPart(Forked):
    """A till or server run by the launcher: the same surface as ``processes.Part``."""

    args: list[str] = field(default_factory=list)
    url: str = ""
    health_path: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def start(self, *, env: dict[str, str] | None = None, seconds: float = 20.0) -> ForkedPart:
        """Fork the part (with ``env`` on top of its own) and wait until it answers."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        answer = self.launcher._ask(
            {"start": self.args, "env": {**self.env, **(env or {})}, "log": str(self.log)}
        )
        self.pid, self.ended_by = int(answer["pid"]), None
        deadline = time.monotonic() + seconds
        # Plain HTTP on loopback: verify=False spares loading the CA bundle (28 ms a client).
        with httpx.Client(timeout=1.0, verify=False) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.url + self.health_path).status_code == 200:
                        return self
                if not self.alive():
                    raise DiedStarting(self.args[0], self.ended_by or 0, self.output())
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"{self.args[0]} did not start:\n{self.output()}")
                time.sleep(0.02)


# -- the launcher process -------------------------------------------------------------------

# What a till or server imports on its way up besides its command's modules (measured with
# ``python -X importtime``): the HTTP client and server internals, loaded on first use.
PRELOAD = (
    "autonom.cli",
    "autonom.server.entrypoints.run",
    "autonom.till.entrypoints.run",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "anyio.streams.tls",
    "certifi",
    "encodings.idna",
    "escpos.printer",  # imported on the first receipt (a quarter of a second)
    "h11",
    "httpcore",
    "typer._adapters",
    "uvicorn.lifespan.on",
    "uvicorn.loops.asyncio",
    "uvicorn.protocols.http.h11_impl",
)


def _preload() -> Any:
    """Import what ``autonom till`` and ``autonom server`` import when they start; the
    command line as typer builds it for every run (``typer.main.get_command``)."""
    for module in PRELOAD:
        with contextlib.suppress(ImportError):  # an internal module of another version
            importlib.import_module(module)
    from typer.main import get_command

    from autonom.cli import app

    return get_command(app)


def _child(run: Any, env: dict[str, str], log: str) -> None:
    """In the fork: output to ``log``, ``env`` added, then ``run()``; never return."""
    code = 1
    try:
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the launcher ignores it
        os.environ.update(env)
        run()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _function(name: str) -> Any:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def _serve() -> None:
    command = _preload()
    # A fork copies only the thread that forks: with another thread holding a lock, the
    # child would inherit the lock held for ever.
    assert threading.active_count() == 1, "the launcher must stay single-threaded"
    children: dict[int, int | None] = {}  # pid → wait status once reaped

    def reap(pid: int, *, block: bool) -> dict[str, Any]:
        status = children.get(pid)
        if status is None:
            done, status = os.waitpid(pid, 0 if block else os.WNOHANG)
            if done == 0:
                return {"exited": False}
            children[pid] = status
        signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
        return {"exited": True, "signal": signal_number}

    def fork(run: Any, request: dict[str, Any]) -> dict[str, Any]:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(run, request["env"], request["log"])
        children[pid] = None
        return {"pid": pid}

    def handle(request: dict[str, Any]) -> dict[str, Any]:
        if "ready" in request:
            return {"ready": True}
        if "start" in request:
            args = request["start"]
            return fork(lambda: command(args=args, prog_name="autonom"), request)
        if "call" in request:
            function, kwargs = _function(request["call"]), request["kwargs"]
            return fork(lambda: function(**kwargs), request)
        pid = next(int(request[k]) for k in ("poll", "kill", "stop") if k in request)
        if pid not in children:
            return {"error": f"no child {pid}"}
        if "poll" in request:
            return reap(pid, block=False)
        if "kill" in request:
            if children[pid] is None:
                os.kill(pid, signal.SIGKILL)
            return reap(pid, block=True)
        if children[pid] is None:
            os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while (answer := reap(pid, block=False))["exited"] is False:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                return reap(pid, block=True)
            time.sleep(0.005)
        return answer

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the test stops us by closing stdin
    try:
        for line in sys.stdin:
            try:
                answer = handle(json.loads(line))
            except Exception as error:
                answer = {"error": f"{type(error).__name__}: {error}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    finally:
        for pid, status in children.items():
            if status is None:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)


if __name__ == "__main__":
    _serve()
