"""One heartbeat probe of a peer's health endpoint, told as a ``ProbeOutcome`` (R1.1).

Each probe opens a new TCP connection (no keep-alive), so every probe tests the three
signals the heartbeat watches: the TCP connect, the application's answer, and the
database state that answer reports (``{"status": "ok", "database": "ok"}``, or 503 with
``"database": "down"``). How each failure is told:

=====================================  ==========================================
what happened                          outcome
=====================================  ==========================================
connection refused                     ``ProbeRefused(NO_PING)`` (hard, at once)
connect did not finish in time         ``ProbeTimedOut(NO_PING)``
reset or closed after connecting,      ``ProbeRefused(NO_APP)`` (hard, at once)
a cut or garbled answer, another code
no answer in time after connecting     ``ProbeTimedOut(NO_APP)``
the answer says the database is down   ``ProbeOk(db_ok=False)`` (hard, NO_DB)
=====================================  ==========================================
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable

import httpx

from autonom.till.domain import ProbeOk, ProbeOutcome, ProbeRefused, ProbeTimedOut, Reason

HEALTH_PATH = "/api/v1/health"


class HealthProber:
    """Probes ``base_url + path`` on an asyncio loop; create and use it on that loop."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        path: str = HEALTH_PATH,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self._monotonic = monotonic
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=timeout_s),
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def probe(self) -> ProbeOutcome:
        sent_at = self._monotonic()
        try:
            response = await self._client.get(self.url)
        except httpx.ConnectTimeout:
            return ProbeTimedOut(self._monotonic(), Reason.NO_PING, sent_at)
        except httpx.ConnectError as error:
            # A reset that lands while the connect is being finished is still a reset.
            reason = Reason.NO_APP if _was_reset(error) else Reason.NO_PING
            return ProbeRefused(self._monotonic(), reason)
        except httpx.TimeoutException:
            return ProbeTimedOut(self._monotonic(), Reason.NO_APP, sent_at)
        except httpx.HTTPError:  # reset, closed midway, garbled
            return ProbeRefused(self._monotonic(), Reason.NO_APP)
        at = self._monotonic()
        database = _database_state(response)
        if database == "ok" and response.status_code == 200:
            return ProbeOk(at)
        if database == "down":
            return ProbeOk(at, db_ok=False)
        return ProbeRefused(at, Reason.NO_APP)

    async def close(self) -> None:
        await self._client.aclose()


_RESET_ERRNOS = frozenset({errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE, errno.ECONNABORTED})


def _was_reset(error: BaseException) -> bool:
    """True when the cause of ``error`` is a reset connection, not a refused one."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _RESET_ERRNOS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _database_state(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    state = body.get("database") if isinstance(body, dict) else None
    return state if isinstance(state, str) else None
