"""Backlog Killer: its current state, and its history written when the state changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.domain import backlog
from statuspage.domain import status as st
from statuspage.models import BacklogKillerEvent, Incident, still_open
from statuspage.services import audit, settings


def current(session: Session, *, now: datetime) -> backlog.State:
    open_incidents = session.execute(
        select(Incident).where(still_open(now), Incident.kind == st.IncidentKind.INCIDENT)
    ).scalars()
    active = [(i.kind, i.impact) for i in open_incidents if st.is_active(i.facts(), now)]
    trigger = frozenset(st.Impact(v) for v in settings.get(session, "backlog_trigger"))
    mode = backlog.Mode(settings.get(session, "backlog_mode"))
    return backlog.state(mode, active, trigger)


def last_event(session: Session) -> BacklogKillerEvent | None:
    return session.execute(
        select(BacklogKillerEvent).order_by(BacklogKillerEvent.id.desc()).limit(1)
    ).scalar_one_or_none()


def refresh(session: Session, *, now: datetime, actor: str = "") -> backlog.State:
    """Writes an event when the state or mode differs from the last one recorded."""
    session.flush()
    state = current(session, now=now)
    last = last_event(session)
    if last is None:
        changed = state.active or state.mode is not backlog.Mode.AUTO
    else:
        changed = last.active != state.active or last.mode != state.mode.value
    if changed:
        session.add(
            BacklogKillerEvent(
                at=now,
                active=state.active,
                mode=state.mode.value,
                reason=state.reason,
                actor=actor,
            )
        )
        audit.record(
            session,
            actor=actor or "system",
            action="backlog_killer.change",
            now=now,
            target_type="backlog_killer",
            before=None if last is None else {"active": last.active, "mode": last.mode},
            after={"active": state.active, "mode": state.mode.value, "reason": state.reason},
        )
        session.flush()
    return state


def set_mode(session: Session, mode: backlog.Mode, *, actor: str, now: datetime) -> backlog.State:
    settings.put(session, "backlog_mode", mode.value)
    return refresh(session, now=now, actor=actor)


def history(session: Session, limit: int = 20) -> list[BacklogKillerEvent]:
    return list(
        session.execute(
            select(BacklogKillerEvent).order_by(BacklogKillerEvent.id.desc()).limit(limit)
        ).scalars()
    )
