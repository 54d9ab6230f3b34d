"""The background worker: one loop for everything that happens without a visitor.

Each round: spooled requests ingested, maintenance windows turned (recorded in the timeline),
the requests' timers, maintenance reminders, mail and webhooks, and the static mirror
republished (with `PUBLISH_DIR`) when the data changed or time turned a page. A round that meets
a database error logs it and the next round tries again: the worker outlives the database like
the pages do.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from statuspage import mail, mirror, webhooks
from statuspage.database import DATABASE_ERRORS, POSTGRESQL_TIMEOUT_KEY
from statuspage.domain import localtime
from statuspage.services import deflection, intake, maintenance, notifications
from statuspage.services import overview as ov
from statuspage.services.versioning import current_version

log = logging.getLogger(__name__)


@dataclass
class Round:
    """What one round did (printed by `flask worker --once` and `flask outbox deliver`)."""

    ingested: int = 0
    turned: int = 0
    published: int = 0
    moved: int = 0
    reminders: int = 0
    sent: int = 0
    failed: int = 0
    hooks_sent: int = 0
    hooks_failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return any((self.ingested, self.turned, self.published, self.moved, self.reminders)) or any(
            (self.sent, self.failed, self.hooks_sent, self.hooks_failed, self.errors)
        )

    def __str__(self) -> str:
        text = (
            f"ingested {self.ingested}; sent {self.sent}, failed {self.failed}; "
            f"webhooks sent {self.hooks_sent}, failed {self.hooks_failed}; "
            f"maintenance transitions {self.turned}; requests moved {self.moved}"
            + (f"; mirror: {self.published} files" if self.published else "")
        )
        return text + (f"; errors: {', '.join(self.errors)}" if self.errors else "")


def _step(session: Session, result: Round, name: str, work: Callable[[], None]) -> None:
    """One job of the round in one transaction, committed here when the job is done: the
    services it calls only flush, as in a request. (`claims` also commits, each claim and each
    outcome of a mail or a webhook, so that two workers never send the same one twice.)"""
    try:
        work()
        session.commit()
    except StaleDataError as error:  # another worker moved the same request first: it did it
        session.rollback()
        log.info("worker: %s gave way to another worker: %s", name, error)
        result.errors.append(f"{name}: changed meanwhile by another worker")
    except DATABASE_ERRORS as error:
        try:
            session.rollback()
        except DATABASE_ERRORS:
            log.debug("rollback failed with the database gone", exc_info=True)
        log.warning("worker: %s skipped, database unavailable: %s", name, error)
        result.errors.append(f"{name}: database unavailable")


@dataclass
class MirrorState:
    """What the worker last published: the data version, and when time alone changes a page."""

    version: int | None = None
    next_at: datetime | None = None


def republish(session: Session, state: MirrorState, *, now: datetime) -> int:
    """With `PUBLISH_DIR` set: the mirror again when the data changed or time turned a page."""
    folder = current_app.config["PUBLISH_DIR"]
    if not folder:
        return 0
    version = current_version(session)
    if state.version == version and state.next_at is not None and now < state.next_at:
        return 0
    app = current_app._get_current_object()
    count = mirror.publish(app, session, Path(folder), now=now)
    overview = ov.build_overview(
        session,
        current_app.config["PAGE_CACHE_SECONDS"],
        now=now,
        zone=localtime.zone(current_app.config["TIMEZONE"]),
    )
    state.version, state.next_at = version, overview.valid_until
    return count


def bound_statements(engine, timeout_ms: int) -> None:
    """Every statement of this worker gives up after `timeout_ms` (PostgreSQL; SQLite's busy
    timeout already bounds its waits): a lock held forever by a dead client makes a round fail
    and the next one try again, never a worker stuck for good."""
    if engine.dialect.name != "postgresql":
        return
    if getattr(engine, "_statuspage_statement_timeout", None) == timeout_ms:
        return
    engine._statuspage_statement_timeout = timeout_ms

    def on_connect(connection, record) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {int(timeout_ms):d}")
        connection.commit()
        record.info[POSTGRESQL_TIMEOUT_KEY] = timeout_ms  # what `bounded` gives back

    event.listen(engine, "connect", on_connect)
    engine.dispose()  # connections opened before are not bounded


def run_round(
    session: Session, now: Callable[[], datetime], mirror_state: MirrorState | None = None
) -> Round:
    result = Round()
    mirror_state = mirror_state if mirror_state is not None else MirrorState()

    def publishing() -> None:
        result.published = republish(session, mirror_state, now=now())

    def ingest() -> None:
        result.ingested = intake.ingest(session, now=now())

    def turning() -> None:
        result.turned = maintenance.turn(session, now=now())

    def timers() -> None:
        result.moved = deflection.run_timers(session, now=now())
        result.reminders = notifications.send_reminders(session, now=now())

    def outbox() -> None:
        result.sent, result.failed = mail.deliver(session, now=now())

    def posting() -> None:
        result.hooks_sent, result.hooks_failed = webhooks.deliver(session, now=now())

    for name, work in (
        ("spool", ingest),
        ("maintenance", turning),
        ("timers", timers),
        ("mail", outbox),
        ("webhooks", posting),
        ("mirror", publishing),
    ):
        _step(session, result, name, work)
    return result


def run(
    session: Session,
    now: Callable[[], datetime],
    interval: float,
    report: Callable[[Round], None],
    stop: threading.Event | None = None,
) -> None:
    """Rounds every `interval` seconds until SIGTERM or SIGINT (ends after the current round)."""
    stop = stop or threading.Event()
    mirror_state = MirrorState()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        result = run_round(session, now, mirror_state)
        if result.busy:
            report(result)
        session.close()  # no connection held between rounds
        stop.wait(interval)
