"""Claiming queued work (mail, webhooks) so that several workers never send the same twice.

A worker claims one row at a time: it writes its claim token and a lease deadline on the row in
a transaction of its own, then sends, then records the outcome. On PostgreSQL the row is picked
with `FOR UPDATE SKIP LOCKED`, so workers on several machines never wait for each other; on
SQLite the claiming `UPDATE` is serialized by the database's write lock and only succeeds on a
row whose lease is free. A worker killed mid-send leaves a lease that runs out after `LEASE`,
then another worker takes the row again.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from statuspage.database import DATABASE_ERRORS

LEASE = timedelta(minutes=5)
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def claim_next(session: Session, model, now: datetime):
    """The next due row of `model`, claimed for this worker and committed; None when none is due
    (or another worker holds the database's write lock this instant)."""
    due = (
        model.status == "pending",
        model.next_attempt_at <= now,
        or_(model.claimed_until.is_(None), model.claimed_until <= now),
    )
    session.commit()  # a fresh transaction: the claim is a statement of its own
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
