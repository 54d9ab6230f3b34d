"""The public data version: bumped in the same transaction as any change the pages show."""

from __future__ import annotations

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


def _before_flush(session: Session, flush_context, instances) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, PUBLIC_MODELS) for obj in touched):
        bump(session)


def listen(session_factory) -> None:
    """Bump the version on every flush that touches public data, so no writer can forget it."""
    if not event.contains(session_factory, "before_flush", _before_flush):
        event.listen(session_factory, "before_flush", _before_flush)
