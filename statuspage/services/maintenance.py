"""Maintenance windows turning by themselves, recorded as real timeline entries.

The page already shows a maintenance in progress inside its window and completed after it
(`domain.status.effective_status`), but nothing was written: no entry in the timeline, the feeds
or the webhooks, no mail to subscribers, `resolved_at` empty. The worker calls `turn`: at the
window's start an "In progress" update dated at the start, at its end a "Completed" update dated
at the end (which sets `resolved_at`), each through the same notifications as a responder's
update (a transition more than `CATCH_UP` old, met by a worker that was stopped, is written
without mail or webhooks). Each transition is claimed by a conditional UPDATE, so two workers
never record it twice: the claim and the record are committed together by the worker (another
worker's claim waits for that commit, then finds the transition taken).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from statuspage.domain import status as st
from statuspage.models import Incident
from statuspage.services import audit, backlog, deflection, notifications
from statuspage.services.incidents import post_update

S = st.IncidentStatus
ACTOR = "system"
OPEN = (S.SCHEDULED, S.IN_PROGRESS, S.VERIFYING)
#: a transition older than this is written to the timeline without mail or webhooks
CATCH_UP = timedelta(hours=1)


def _claim(session: Session, incident: Incident, **where) -> bool:
    """Takes the transition for this worker: False if another worker already recorded it."""
    conditions = [getattr(Incident, name) == value for name, value in where.items()]
    result = session.execute(
        update(Incident)
        .where(Incident.id == incident.id, *conditions)
        .values(updated_at=Incident.updated_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _record(
    session: Session, incident: Incident, status: S, at: datetime, *, now: datetime
) -> None:
    before = {"status": incident.status.value}
    entry = post_update(
        session, incident, status=status, body={}, components=None, now=now, display_at=at
    )
    if now - at <= CATCH_UP:  # long past (a worker that was stopped): recorded, not announced
        deflection.on_update(session, incident, entry, now=now)
        notifications.on_change(session, incident, entry, now=now)
    audit.record(
        session,
        actor=ACTOR,
        action=f"maintenance.{status.value}",
        now=now,
        target_type="incident",
        target_id=incident.id,
        before=before,
        after={"status": incident.status.value, "update": entry.id},
    )


def turn(session: Session, *, now: datetime) -> int:
    """Records the starts and ends of maintenance windows that passed; returns how many."""
    due = session.execute(
        select(Incident).where(
            Incident.kind == st.IncidentKind.MAINTENANCE,
            Incident.status.in_([s.value for s in OPEN]),
            Incident.resolved_at.is_(None),
            Incident.scheduled_for <= now,
        )
    ).scalars()
    recorded = 0
    for incident in list(due):
        start = incident.started_at or incident.scheduled_for
        if incident.status is S.SCHEDULED and start is not None and start <= now:
            if not _claim(session, incident, status=S.SCHEDULED.value):
                continue
            _record(session, incident, S.IN_PROGRESS, start, now=now)
            recorded += 1
        end = incident.scheduled_until
        if end is not None and end <= now and incident.resolved_at is None:
            if not _claim(session, incident, status=incident.status.value, resolved_at=None):
                continue
            _record(session, incident, S.COMPLETED, end, now=now)
            recorded += 1
    if recorded:
        backlog.refresh(session, now=now, actor=ACTOR)
    session.flush()
    return recorded
