"""The public data version: bumped in the same transaction as any change the pages show."""

from __future__ import annotations

import itertools

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session

from statuspage.models import (
    BacklogKillerEvent,
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    Setting,
    SiteState,
    utcnow,
)

PUBLIC_MODELS = (Component, Incident, IncidentUpdate, ComponentChange, Setting, BacklogKillerEvent)
_BUMPED = "statuspage.bumped"
_local = itertools.count(1)
_local_bumps = 0


def local_bumps() -> int:
    """How many commits of this process changed public data: the page cache then reads the
    version again at once instead of waiting for its next periodic read."""
    return _local_bumps


def current_version(session: Session) -> int:
    return session.execute(select(SiteState.version).where(SiteState.id == 1)).scalar() or 0


def bump(session: Session) -> None:
    result = session.execute(
        update(SiteState)
        .where(SiteState.id == 1)
        .values(version=SiteState.version + 1, changed_at=utcnow())
    )
    if result.rowcount == 0:
        session.execute(insert(SiteState).values(id=1, version=1, changed_at=utcnow()))
    session.info[_BUMPED] = True


def _after_commit(session: Session) -> None:
    global _local_bumps
    if session.info.pop(_BUMPED, False):
        _local_bumps = next(_local)


def _after_rollback(session: Session, previous_transaction=None) -> None:
    session.info.pop(_BUMPED, None)


def _before_flush(session: Session, flush_context, instances) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, PUBLIC_MODELS) for obj in touched):
        bump(session)


def listen(session_factory) -> None:
    """Bump the version on every flush that touches public data, so no writer can forget it."""
    for name, handler in (
        ("before_flush", _before_flush),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_rollback),
    ):
        if not event.contains(session_factory, name, handler):
            event.listen(session_factory, name, handler)
