"""Group commit: the writes of many concurrent requests in one transaction and one commit.

During an incident, hundreds of customers send the contact form in the same minute. Each
request's writes are small (its row, two events, its acknowledgement), but each transaction
holds the database's one write lock (SQLite) from its first INSERT to its commit, and in a
threaded server the thread holding it waits its turn for the processor between statements
(the interpreter's lock, the other processes' matching): the lock is then held for
milliseconds doing nothing, and every other writer queues behind it. The storm measured in
bench/RESULTS.md did 260–360 submissions a second that way, whatever the machine's spare power.

So a process writes intake rows through one writer thread: a request thread hands over its
statements (a function of a connection) and waits; the writer takes everything waiting, runs
it in one transaction, commits once and wakes every waiter with its own result. A request is
answered only after the commit that holds its rows: what is acknowledged is durable, as before.

- A batch that fails on one request's rows (a submission key already stored, a value
  refused) is rolled back and written again without it: only the faulty one fails.
- A batch that loses to another process's transaction (PostgreSQL's deadlock detector: the
  same form sent twice, its copies in two processes' batches) is written again.
- A batch that fails because the database cannot answer (locked, stopped, timed out) fails
  for every request in it: each is spooled by its caller (`services.intake`).
- A request that waited `timeout_ms` without its batch starting is withdrawn from the queue
  and told the database is unavailable (it is spooled). One whose batch has started waits for
  that batch's outcome, bounded by the statements' timeout, and is let go (rolled back, so
  spooled) if its batch must be written again past its deadline: a request is never both
  written and spooled.
- The writer thread is started by the first request of a process (after gunicorn's fork) and
  ends after a few idle seconds.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from statuspage.database import bounded

log = logging.getLogger(__name__)

#: the most requests one transaction writes
MAX_BATCH = 64
#: a writer thread with nothing to do for this long ends (the next request starts another)
IDLE_SECONDS = 5.0
#: errors that say the database cannot answer at all: every request of the batch gets it
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
#: PostgreSQL's deadlock and serialization failures: two processes' batches, each holding a row
#: the other waits for (the same form sent twice, its copies in two batches), not an outage
CONFLICTS = frozenset({"40P01", "40001"})


@dataclass(eq=False)
class _Work:
    write: Callable[[Connection], Any]
    timeout_ms: int
    #: past it (time.monotonic()), the request is told the database could not take it
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    result: Any = None
    error: BaseException | None = None

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done.set()


class GroupCommit:
    """The writer of one engine in one process (kept by the app: `services.intake`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._waiting = threading.Condition(self._lock)
        self._queue: collections.deque[_Work] = collections.deque()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: transactions committed and requests written by them (what the tests observe)
        self.batches = 0
        self.written = 0

    @property
    def waiting(self) -> int:
        """Writes queued for the next transaction."""
        with self._lock:
            return len(self._queue)

    def run(self, write: Callable[[Connection], Any], *, timeout_ms: int) -> Any:
        """`write(connection)` run inside a shared transaction, committed; its return value.

        Raises what the write raised alone, or an error of `database.DATABASE_ERRORS` when the
        database could not take it within `timeout_ms`."""
        work = _Work(write, timeout_ms, time.monotonic() + timeout_ms / 1000)
        with self._lock:
            self._queue.append(work)
            self._start()
            self._waiting.notify()
        if not work.done.wait(timeout_ms / 1000):
            with self._lock:
                if not work.started:
                    self._queue.remove(work)
                    raise PoolTimeout(f"no transaction could start within {timeout_ms} ms")
            work.done.wait()  # its batch has started: its statements and its deadline bound it
        if work.error is not None:
            raise work.error
        return work.result

    def _start(self) -> None:
        if self._pid != os.getpid():  # a forked child: the parent's thread is not here
            self._pid, self._thread = os.getpid(), None
        if self._thread is None or not self._thread.is_alive():
            thread = threading.Thread(target=self._serve, name="group-commit", daemon=True)
            thread.start()
            self._thread = thread

    def _serve(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    if not self._waiting.wait(IDLE_SECONDS) and not self._queue:
                        self._thread = None
                        return
                batch = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                for work in batch:
                    work.started = True
            try:
                self._write(batch)
            except BaseException as error:  # noqa: BLE001 - no waiter may be left hanging
                log.exception("group commit failed")
                for work in batch:
                    if not work.done.is_set():
                        work.finish(error=error)

    def _write(self, batch: list[_Work]) -> None:
        """The batch written and committed; each request finished with its outcome.

        A request whose own rows fail is finished with its error and the others are written
        again without it; a conflict with another process's transaction (a deadlock) writes
        them again as they were. Each round first lets go of the requests past their deadline
        (rolled back, so spooled by their callers, never written too): however many rounds,
        a customer waits about their timeout, not a batch's worth of them."""
        while batch:
            try:
                results = self._transaction(batch)
            except _Faulty as fault:
                fault.work.finish(error=fault.error)
                batch = self._in_time([w for w in batch if w is not fault.work])
                continue
            except _Conflict:
                batch = self._in_time(batch)
                continue
            except Exception as error:  # noqa: BLE001 - the database's answer, for every one
                for work in batch:
                    work.finish(error=error)
                return
            self.batches += 1
            self.written += len(batch)
            for work, result in zip(batch, results, strict=True):
                work.finish(result)
            return

    @staticmethod
    def _in_time(batch: list[_Work]) -> list[_Work]:
        now = time.monotonic()
        for work in batch:
            if now >= work.deadline:
                work.finish(error=PoolTimeout("the request's writes were rolled back: too late"))
        return [work for work in batch if not work.done.is_set()]

    def _transaction(self, batch: list[_Work]) -> list[Any]:
        timeout_ms = min(work.timeout_ms for work in batch)
        with (
            self.engine.connect() as connection,
            connection.begin(),
            bounded(connection, timeout_ms),
        ):
            results = []
            for work in batch:
                try:
                    results.append(work.write(connection))
                except UNAVAILABLE as error:
                    if isinstance(error, OperationalError) and _sqlstate(error) in CONFLICTS:
                        raise _Conflict from error
                    raise
                except Exception as error:  # noqa: BLE001 - this request's own fault
                    raise _Faulty(work, error) from error
            return results


class _Faulty(Exception):
    """One request's writes failed on its own data (a submission key already stored)."""

    def __init__(self, work: _Work, error: Exception) -> None:
        super().__init__(str(error))
        self.work, self.error = work, error


class _Conflict(Exception):
    """The transaction lost to another one (PostgreSQL's deadlock detector): write it again."""


def _sqlstate(error: OperationalError) -> str | None:
    return getattr(error.orig, "sqlstate", None)
