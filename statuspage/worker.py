"""The background worker: one loop for everything that happens without a visitor.

Each round: spooled requests ingested, maintenance windows turned (recorded in the timeline),
the requests' timers, maintenance reminders, mail and webhooks. A round that meets a database
error logs it and the next round tries again: the worker outlives the database like the pages
do.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from statuspage import intake, mail
from statuspage.database import DATABASE_ERRORS
from statuspage.services import deflection, maintenance, notifications

log = logging.getLogger(__name__)


@dataclass
class Round:
    """What one round did (printed by `flask worker --once` and `flask outbox deliver`)."""

    ingested: int = 0
    turned: int = 0
    moved: int = 0
    reminders: int = 0
    sent: int = 0
    failed: int = 0
    hooks_sent: int = 0
    hooks_failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return any((self.ingested, self.turned, self.moved, self.reminders, self.sent)) or any(
            (self.failed, self.hooks_sent, self.hooks_failed, self.errors)
        )

    def __str__(self) -> str:
        text = (
            f"ingested {self.ingested}; sent {self.sent}, failed {self.failed}; "
            f"webhooks sent {self.hooks_sent}, failed {self.hooks_failed}; "
            f"maintenance transitions {self.turned}; requests moved {self.moved}"
        )
        return text + (f"; errors: {', '.join(self.errors)}" if self.errors else "")


def _step(session: Session, result: Round, name: str, work: Callable[[], None]) -> None:
    try:
        work()
    except DATABASE_ERRORS as error:
        try:
            session.rollback()
        except DATABASE_ERRORS:
            log.debug("rollback failed with the database gone", exc_info=True)
        log.warning("worker: %s skipped, database unavailable: %s", name, error)
        result.errors.append(f"{name}: database unavailable")


def run_round(session: Session, now: Callable[[], datetime]) -> Round:
    result = Round()

    def ingest() -> None:
        result.ingested = intake.ingest(session, now())

    def turning() -> None:
        result.turned = maintenance.turn(session, now())

    def timers() -> None:
        result.moved = deflection.run_timers(session, now())
        result.reminders = notifications.send_reminders(session, now())
        session.commit()

    def outbox() -> None:
        result.sent, result.failed = mail.deliver(session, now())

    def webhooks() -> None:
        result.hooks_sent, result.hooks_failed = notifications.deliver_webhooks(session, now())

    for name, work in (
        ("spool", ingest),
        ("maintenance", turning),
        ("timers", timers),
        ("mail", outbox),
        ("webhooks", webhooks),
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
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        result = run_round(session, now)
        if result.busy:
            report(result)
        session.close()  # no connection held between rounds
        stop.wait(interval)
