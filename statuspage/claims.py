"""Claiming queued work (mail, webhooks) so that several workers never send the same twice, and
the one loop that sends it: claim, try, record the outcome, retry later with backoff.

A worker claims one row at a time: it writes its claim token and a lease deadline on the row in
a transaction of its own, then sends, then records the outcome. On PostgreSQL the row is picked
with `FOR UPDATE SKIP LOCKED`, so workers on several machines never wait for each other; on
SQLite the claiming `UPDATE` is serialized by the database's write lock and only succeeds on a
row whose lease is free. A worker killed mid-send leaves a lease that runs out after `LEASE`,
then another worker takes the row again.

Besides the worker's round (one commit per job), this is the one place that commits in the
background: each claim and each outcome, for the reasons given where it does.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from statuspage.database import DATABASE_ERRORS

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)


class Failed(Exception):
    """A try that did not succeed; `permanent` when trying again cannot help."""

    def __init__(self, error: str, *, permanent: bool = False) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes between tries, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim_next(session: Session, model, *, now: datetime):
    """The next due row of `model`, claimed for this worker and committed; None when none is due
    (or another worker holds the database's write lock this instant)."""
    due = (
        model.status == "pending",
        model.next_attempt_at <= now,
        or_(model.claimed_until.is_(None), model.claimed_until <= now),
    )
    # The claim is committed before anything is sent: holding the row's lock (PostgreSQL) or the
    # write lock (SQLite: every writer of the site) through a slow send would stall the others; a
    # committed lease keeps other workers away instead, and runs out if this one dies. So it is
    # a transaction of its own, and what the job wrote before it (the deliveries of a removed
    # webhook, cancelled) is committed first.
    session.commit()
    pick = select(model.id).where(*due).order_by(model.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    token = f"{WORKER}:{secrets.token_hex(6)}"
    try:
        claimed = session.execute(
            update(model)
            .where(model.id == pick.scalar_subquery(), *due)
            .values(claimed_by=token, claimed_until=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    except DATABASE_ERRORS:  # SQLite busy with another worker's claim: next round
        session.rollback()
        return None
    if claimed != 1:
        return None
    return session.execute(select(model).where(model.claimed_by == token)).scalar_one()


def release(row) -> None:
    """The outcome is recorded: the lease is over (the caller commits)."""
    row.claimed_by = None
    row.claimed_until = None


def work_through(
    session: Session, model, send: Callable, limit: int = 100, *, now: datetime
) -> tuple[int, int]:
    """Sends the due rows of `model` one at a time; returns (sent, failed attempts).

    Each row is claimed first and its outcome committed before the next. `send(row)` sends it
    and records its success on the row, or raises `Failed`: the row is then tried again after
    `backoff`, and marked failed when the error is permanent or after `MAX_ATTEMPTS` tries.
    """
    sent = failed = 0
    for _ in range(limit):
        row = claim_next(session, model, now=now)
        if row is None:
            break
        row.attempts += 1
        try:
            send(row)
        except Failed as failure:
            row.last_error = failure.error[:2000]
            if failure.permanent or row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            row.next_attempt_at = now + backoff(row.attempts)
            log.warning("%s %s failed: %s", model.__tablename__, row.id, failure.error)
            failed += 1
        else:
            row.last_error = ""
            sent += 1
        release(row)
        session.commit()  # recorded before the next claim: what was sent is never sent again
    return sent, failed
