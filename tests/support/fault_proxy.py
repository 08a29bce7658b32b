"""A TCP proxy that cuts, delays, silences and resets real sockets on command.

Every network test and benchmark puts it between a client and a real upstream
(DESIGN: "real sockets cut by a fault proxy"). It runs an asyncio loop in its own thread,
so synchronous tests drive it with plain calls; each call returns once the fault is in
force, existing connections included::

    with FaultProxy("127.0.0.1", server_port) as proxy:
        client = httpx.Client(base_url=f"http://127.0.0.1:{proxy.port}")
        proxy.blackhole()      # answers stop, connects still succeed
        proxy.pass_through()

Faults: ``pass_through``, ``delay(seconds, jitter)``, ``blackhole`` (accept, read and drop
everything, never answer; dropped bytes stay lost), ``reset`` (RST on every current and
new connection), ``cut_response_after(n)`` (n bytes of the answer, then close) and
``refuse`` (stop listening: connects are refused; any other fault listens again on the
same port). Leaving the ``with`` block closes every socket and stops the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

CHUNK = 65_536
MAX_HELD_CHUNKS = 256  # per direction and connection: at most 16 MiB held back by a delay
CONTROL_TIMEOUT_S = 5.0  # a control call that takes longer means the loop is stuck
UPSTREAM_CONNECT_TIMEOUT_S = 2.0


class Fault(Enum):
    PASS = "pass"
    DELAY = "delay"
    BLACKHOLE = "blackhole"
    RESET = "reset"
    CUT = "cut"
    REFUSE = "refuse"


@dataclass(frozen=True)
class _Mode:
    fault: Fault
    delay_s: float = 0.0
    jitter_s: float = 0.0
    cut_after: int = 0
    generation: int = 0  # tells a connection that the mode was set again


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close at once with RST instead of FIN: SO_LINGER on, timeout 0."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class _Connection:
    """One client connection and its upstream, pumped in both directions."""

    def __init__(self, proxy: FaultProxy, client: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.cut_generation = -1
        self.cut_sent = 0
        self.closed = False

    def reset(self) -> None:
        """RST to the client, close the upstream side."""
        if self.closed:
            return
        self.closed = True
        _abort_with_rst(self.client)
        if self.upstream is not None:
            self.upstream.transport.abort()
        self._cancel_tasks()

    def close(self) -> None:
        """FIN to the client (what a dropped-but-orderly connection looks like)."""
        if self.closed:
            return
        self.closed = True
        self.client.close()
        if self.upstream is not None:
            self.upstream.close()
        self._cancel_tasks()

    def _cancel_tasks(self) -> None:
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()
        self.proxy._connections.discard(self)

    async def pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        *,
        answer: bool,
    ) -> None:
        """Copy one direction chunk by chunk, applying the fault in force at each chunk.

        Delivery is a separate task fed in order, so a delay with jitter never reorders
        bytes and the reader keeps draining the socket meanwhile."""
        # Bounded: a long delay holds at most this much per direction, then the reader
        # waits, and TCP flow control slows the sender as a slow network would.
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue(MAX_HELD_CHUNKS)
        deliver = asyncio.create_task(self._deliver(queue, sink, answer=answer))
        self.tasks.append(deliver)
        loop = asyncio.get_running_loop()
        last_due = 0.0
        try:
            while True:
                data = await source.read(CHUNK)
                if not data:
                    break
                mode = self.proxy._mode
                due = loop.time()
                if mode.fault is Fault.DELAY:
                    jitter = random.uniform(-mode.jitter_s, mode.jitter_s)
                    due += max(0.0, mode.delay_s + jitter)
                last_due = max(last_due, due)
                await queue.put((last_due, data))
        except (ConnectionError, OSError):
            self.reset()
            return
        await queue.put(None)
        await deliver  # this direction is done once everything read was delivered

    async def _deliver(
        self,
        queue: asyncio.Queue[tuple[float, bytes] | None],
        sink: asyncio.StreamWriter,
        *,
        answer: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await queue.get()
                mode = self.proxy._mode
                if item is None:
                    if mode.fault is not Fault.BLACKHOLE:
                        if sink.can_write_eof():
                            sink.write_eof()  # pass the half-close on
                    elif not answer:
                        self.close()  # the client left; a blackhole has nothing to say
                    return
                due, data = item
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                    mode = self.proxy._mode
                if mode.fault is Fault.BLACKHOLE:
                    continue
                if mode.fault is Fault.CUT and answer:
                    if self.cut_generation != mode.generation:
                        self.cut_generation, self.cut_sent = mode.generation, 0
                    data = data[: max(0, mode.cut_after - self.cut_sent)]
                    self.cut_sent += len(data)
                    if data:
                        sink.write(data)
                        await sink.drain()
                    if self.cut_sent >= mode.cut_after:
                        self.close()
                        return
                    continue
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            self.reset()


class FaultProxy:
    """A controllable TCP proxy on 127.0.0.1 in front of ``upstream_host:upstream_port``."""

    host = "127.0.0.1"

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int = 0) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.port = port
        self._mode = _Mode(Fault.PASS)
        self._generation = 0
        self._connections: set[_Connection] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # Life cycle.

    def __enter__(self) -> FaultProxy:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()
        self._call(self._listen())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(Exception):
            self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CONTROL_TIMEOUT_S)
        self._loop.close()
        self._loop = self._thread = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, for HTTP clients."""
        return f"http://{self.host}:{self.port}"

    @property
    def connection_count(self) -> int:
        """Client connections open through the proxy right now."""
        return len(self._connections)

    # Faults.

    def pass_through(self) -> None:
        """Forward everything as it comes; listen again if refusing."""
        self._set(Fault.PASS)

    def delay(self, seconds: float, jitter: float = 0.0) -> None:
        """Hold every chunk, both ways, ``seconds`` ± ``jitter`` (order is kept)."""
        self._set(Fault.DELAY, delay_s=seconds, jitter_s=jitter)

    def blackhole(self) -> None:
        """Accept and read everything, never answer; existing connections go silent too."""
        self._set(Fault.BLACKHOLE)

    def reset(self) -> None:
        """RST every current connection and every new one as soon as it is accepted."""
        self._set(Fault.RESET)

    def cut_response_after(self, n_bytes: int) -> None:
        """Forward the first ``n_bytes`` of each connection's answer, then close it."""
        if n_bytes < 0:
            raise ValueError("n_bytes must not be negative")
        self._set(Fault.CUT, cut_after=n_bytes)

    def refuse(self) -> None:
        """Stop listening and reset every connection: connects are refused, as with a
        killed server. Any other fault listens again on the same port."""
        self._set(Fault.REFUSE)

    # Inside the loop.

    def _set(self, fault: Fault, **values: Any) -> None:
        self._generation += 1
        mode = _Mode(fault, generation=self._generation, **values)
        self._call(self._apply(mode))

    async def _apply(self, mode: _Mode) -> None:
        self._mode = mode
        if mode.fault in (Fault.RESET, Fault.REFUSE):
            for connection in list(self._connections):
                connection.reset()
        if mode.fault is Fault.REFUSE:
            await self._stop_listening()
        elif self._server is None:
            await self._listen()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            # Stop accepting first, then let connections already accepted reach their
            # handler (which resets them): asyncio drops a socket accepted just before
            # Server.close() without closing it, and its client would hang, not fail.
            loop = asyncio.get_running_loop()
            for sock in self._server.sockets:
                loop.remove_reader(sock.fileno())
            for _ in range(3):
                await asyncio.sleep(0.005)
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _shut_down(self) -> None:
        self._mode = _Mode(Fault.REFUSE)  # a handler that starts late resets itself
        await self._stop_listening()
        # A connection accepted just before the close needs a few loop turns to reach its
        # handler; an aborted transport closes its socket one turn later. Settle them all.
        for _ in range(50):
            for connection in list(self._connections):
                connection.reset()
            if self._handlers:
                await asyncio.wait(self._handlers, timeout=CONTROL_TIMEOUT_S / 4)
            await asyncio.sleep(0.01)
            if not self._connections and not self._handlers:
                break

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        if handler is not None:
            self._handlers.add(handler)
            handler.add_done_callback(self._handlers.discard)
        connection = _Connection(self, writer)
        self._connections.add(connection)
        if self._mode.fault in (Fault.RESET, Fault.REFUSE):
            connection.reset()
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(self.upstream_host, self.upstream_port),
                UPSTREAM_CONNECT_TIMEOUT_S,
            )
        except (OSError, TimeoutError):
            if self._mode.fault is Fault.BLACKHOLE:
                await self._swallow(connection, reader)  # silence, not an error
            else:
                connection.reset()  # the upstream refused: so does the proxy
            return
        if connection.closed:  # reset while connecting upstream
            up_writer.transport.abort()
            return
        connection.upstream = up_writer
        to_upstream = asyncio.create_task(connection.pump(reader, up_writer, answer=False))
        to_client = asyncio.create_task(connection.pump(up_reader, writer, answer=True))
        connection.tasks += [to_upstream, to_client]
        await asyncio.gather(to_upstream, to_client, return_exceptions=True)
        connection.close()

    async def _swallow(self, connection: _Connection, reader: asyncio.StreamReader) -> None:
        try:
            while await reader.read(CHUNK):
                pass
        except (ConnectionError, OSError):
            pass
        connection.close()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        assert self._loop is not None, "use FaultProxy as a context manager"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CONTROL_TIMEOUT_S)
