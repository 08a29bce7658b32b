"""Emulators of network receipt printers (raw TCP, as on port 9100) for printer tests.

``PrinterEmulator`` accepts connections on a free loopback port and records every byte a
till sends, one job per connection. ``silent_printer`` is a printer that is there but never
answers: its listen queue is full, so a connect hangs until the client gives up.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from types import TracebackType


class PrinterEmulator:
    """A threaded TCP server on 127.0.0.1 that records what it receives; a context manager."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port: int = self._listener.getsockname()[1]
        self._jobs: list[bytes] = []
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="printer-emulator", daemon=True)

    def __enter__(self) -> PrinterEmulator:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        # Closing a listening socket does not wake accept() on Linux; a last connect does.
        with suppress(OSError):
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def received(self) -> bytes:
        """Every byte of every finished job so far, in the order the jobs ended."""
        with self._changed:
            return b"".join(self._jobs)

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """Block until ``count`` jobs (connections closed by the sender) have arrived."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._jobs) >= count, timeout=timeout):
                raise AssertionError(f"the printer got {len(self._jobs)} jobs, not {count}")
            return list(self._jobs)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._stopping.is_set():
                conn.close()
                return
            thread = threading.Thread(target=self._read_job, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _read_job(self, conn: socket.socket) -> None:
        chunks: list[bytes] = []
        with conn:
            conn.settimeout(10)
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        with self._changed:
            self._jobs.append(b"".join(chunks))
            self._changed.notify_all()


@contextmanager
def silent_printer() -> Iterator[int]:
    """A port where a printer seems to be but never answers a connect; yields the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port: int = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        # Fill the listen queue: once a connect itself hangs, every later connect hangs too.
        for _ in range(16):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.3)
            fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", port))
            except TimeoutError:
                break
        else:
            raise AssertionError("could not fill the listen queue of the silent printer")
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
