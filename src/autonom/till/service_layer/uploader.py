"""The uploader: pushes the outbox to the server in order, exactly once (invariant 2).

A background thread with its own SQLite connection and short transactions, so it never
holds up a sale (invariant 1). A commit wakes it at once (``wake``), so in live mode a sale
reaches the server within milliseconds; with the server gone it backs off from 0.2 s,
doubling to 5 s. The server skips what it already holds, so resending is always safe; on
SEQUENCE_GAP the till asks the server's position and resends from there. Every push names
this database's log (``log_id``), and only the operations of the batch sent that the
answer confirms for that log are marked sent. A push the server refuses is kept as the
upload's ``refusal`` (its code, what happened, what to do) for the status line; the till
keeps selling, mends what it can (a gap, a batch too large) and retries a refusal a person
must mend slowly — at once when a new credential is installed (``credential_installed``).
The outbox's SQL is the ``Outbox`` adapter's; the uploader only decides what to push and
when.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

import structlog

from autonom.contracts import CONTRACT_VERSION, Operation, PushBatch, PushResult, TillPosition
from autonom.crash_points import CrashPoint, crash_point
from autonom.domain import Refusal
from autonom.domain.errors import BODY_TOO_LARGE, SEQUENCE_GAP
from autonom.domain.push_refusals import push_advice
from autonom.till.adapters.outbox import Outbox
from autonom.till.adapters.server_link import ServerUnreachable
from autonom.till.adapters.store import checkpoint, connect, read_log_id

log = structlog.get_logger(__name__)

# Operations per push: the most every server accepts (MAX_BATCH of contracts 1-3); fewer
# when their JSON passes the outbox's byte budget (``Outbox.next_batch``).
BATCH_SIZE = 500
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
# A refusal the till cannot mend by itself (bad credential, foreign range) is retried
# slowly: a person has to act, and the counter on the page says so meanwhile.
REFUSED_BACKOFF = 30.0
# Realignments per round before giving up until the next round (a server that keeps
# moving its position must not spin the thread).
MAX_REALIGN = 3


class PushTarget(Protocol):
    """The server side of the push protocol (``ServerLink``)."""

    @property
    def credential(self) -> str | None: ...

    def push(self, batch: PushBatch) -> PushResult: ...

    def position(self, log_id: UUID | None = None) -> TillPosition: ...


@dataclass(frozen=True)
class PushRefused:
    """The server refused this till's push (issue 9): what the status line shows until a
    push goes through — the code and message, and in plain words what happened and what to
    do (``autonom.domain.push_refusals``)."""

    code: str
    message: str
    happened: str
    to_do: str
    at: datetime

    @classmethod
    def of(cls, refusal: Refusal, at: datetime) -> PushRefused:
        advice = push_advice(refusal.code)
        return cls(refusal.code, refusal.message, advice.happened, advice.to_do, at)


@dataclass(frozen=True)
class UploadState:
    """What the page shows about the upload: the last problem, if any, and the push the
    server refused (until one goes through)."""

    last_error: str | None
    last_success: datetime | None
    refusal: PushRefused | None = None


class Uploader:
    """Pushes unsent outbox rows in seq order; see the module docstring."""

    def __init__(self, db_path: Path, link: PushTarget, *, batch_size: int = BATCH_SIZE) -> None:
        self._conn = connect(db_path)
        self._log_id = read_log_id(self._conn)
        self._outbox = Outbox(self._conn)
        self._conn_lock = threading.Lock()
        self._link = link
        self._batch_size = batch_size
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._retry = threading.Event()  # set: the link is back, do not wait out the backoff
        self._renewed = threading.Event()  # set: a credential was installed, retry a refusal
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        self._last_success: datetime | None = None
        self._refusal: PushRefused | None = None
        self._after_push: list[Callable[[], object]] = []

    def after_push(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` on this thread after every round that reached the server, e.g.
        to fetch what the push just made known (the results of gate scans, R2.6)."""
        self._after_push.append(callback)

    # -- the page's view ---------------------------------------------------------------

    def unsent_count(self) -> int:
        """How many operations the server has not confirmed yet (the heartbeat's question)."""
        with self._conn_lock:
            return self._outbox.unsent_count()

    def state(self) -> UploadState:
        return UploadState(self._last_error, self._last_success, self._refusal)

    # -- the thread ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Push now (called after every commit)."""
        self._wake.set()

    def retry_now(self) -> None:
        """The server is reachable again: end the backoff and push now."""
        self._retry.set()
        self._wake.set()

    def credential_installed(self) -> None:
        """A new credential is in place: a refused push is tried again at once."""
        self._renewed.set()
        self._retry.set()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._retry.set()
        self._renewed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._conn_lock:
            self._conn.close()

    def _run(self) -> None:
        backoff = FIRST_BACKOFF
        while not self._stop.is_set():
            self._wake.clear()
            self._retry.clear()
            self._renewed.clear()
            self._checkpoint()  # here, in every round, also during an outage of days
            if self._link.credential is None:
                # Not registered yet: registration wakes us; nothing to report meanwhile.
                self._wake.wait(MAX_BACKOFF)
                continue
            try:
                self.push_pending()
            except ServerUnreachable as error:
                self._note_error(f"server not reachable: {error}")
                self._retry.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Refusal as refusal:
                self._note_error(f"server refused the upload: {refusal.code}: {refusal.message}")
                self._refusal = PushRefused.of(refusal, datetime.now().astimezone())
                self._renewed.wait(REFUSED_BACKOFF)  # a new credential ends the wait
                continue
            except sqlite3.Error as error:
                # Usually a momentary SQLITE_BUSY beside a sale's commit: retry soon.
                self._note_error(f"cannot read the outbox: {error}")
                self._retry.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except Exception as error:  # a bug must not end the thread: the till keeps uploading
                log.exception("uploader failed")
                self._note_error(f"the upload failed ({type(error).__name__}); call support")
                self._stop.wait(MAX_BACKOFF)
                continue
            backoff = FIRST_BACKOFF
            self._pushed()
            # Nothing left: sleep until the next commit, but look again now and then in
            # case a commit came from another process on the same file.
            self._wake.wait(MAX_BACKOFF)

    def _pushed(self) -> None:
        for callback in self._after_push:
            try:
                callback()
            except Exception:  # a bug there must not end the upload
                log.exception("after-push callback failed")

    def _checkpoint(self) -> None:
        try:
            with self._conn_lock:
                checkpoint(self._conn)
        except sqlite3.Error as error:  # a busy moment; the next round tries again
            log.info("checkpoint postponed", error=str(error))

    def _note_error(self, message: str) -> None:
        if message != self._last_error:
            log.warning("upload failed", error=message)
        self._last_error = message

    # -- one round -----------------------------------------------------------------------

    def push_pending(self) -> int:
        """Push every unsent operation, batch after batch; return how many the server newly
        applied. Raises ServerUnreachable or Refusal for the caller to back off."""
        if self._link.credential is None:
            raise ServerUnreachable("this till is not registered with the server yet")
        applied = 0
        realigned = 0
        while not self._stop.is_set():
            operations = self._next_batch()
            if not operations:
                break
            try:
                result = self._link.push(
                    PushBatch(operations=operations, contract=CONTRACT_VERSION, log_id=self._log_id)
                )
            except Refusal as refusal:
                if refusal.code == BODY_TOO_LARGE and len(operations) > 1:
                    self._batch_size = max(1, len(operations) // 2)  # smaller from now on
                    continue
                if refusal.code != SEQUENCE_GAP or realigned >= MAX_REALIGN:
                    raise
                realigned += 1
                self._realign()
                continue
            crash_point(CrashPoint.TILL_ANSWER_RECEIVED)
            if result.log_id is not None and result.log_id != self._log_id:
                raise ServerUnreachable("the server answered for another log")
            self._mark_confirmed(operations, result.applied_through)
            crash_point(CrashPoint.TILL_AFTER_MARK)
            applied += result.applied
            if result.applied_through < operations[-1].seq:
                # The server holds less than we sent and said no gap: ask where it stands.
                if realigned >= MAX_REALIGN:
                    raise ServerUnreachable("the server does not take this till's operations")
                realigned += 1
                self._realign()
        self._last_error = None
        self._refusal = None
        self._last_success = datetime.now().astimezone()
        return applied

    def _next_batch(self) -> list[Operation]:
        with self._conn_lock:
            return self._outbox.next_batch(self._batch_size)

    def _mark_confirmed(self, batch: list[Operation], applied_through: int) -> None:
        """Mark sent the operations of ``batch`` the answer confirms: those up to
        ``applied_through`` of this log, never one beyond the batch (after a restored
        backup, the server may hold more of the log than this database sent)."""
        through = min(applied_through, batch[-1].seq)
        if through >= batch[0].seq:
            with self._conn_lock:
                self._outbox.mark_sent(batch[0].seq, through)

    def _realign(self) -> None:
        """Make the sent marks agree with the server's position of this log: everything up
        to it is there, everything after it must be (re)sent."""
        position = self._link.position(self._log_id)
        log.info(
            "upload realigned to the server's position", applied_through=position.applied_through
        )
        with self._conn_lock:
            self._outbox.realign(position.applied_through)
