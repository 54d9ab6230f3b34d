"""Writing incidents and their updates (used by the demo loader, the console and the API)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.models import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    still_open,
    with_timeline,
)

Texts = Mapping[str, str]  #: language -> text; a language may be missing or empty


def texts_of(value: Texts | str) -> dict[str, str]:
    """Both languages' texts; a plain string is the site's default language."""
    if isinstance(value, str):
        return {current_app.config["DEFAULT_LANGUAGE"]: value}
    return {lang: value.get(lang) or "" for lang in tx.LANGUAGES}


@dataclass
class RightNow:
    """What is open, what it holds, and what the page says: one query, for every reader."""

    open: list[Incident]  #: still open, oldest first (a maintenance may not have begun)
    states: dict[str, st.ComponentState]
    page: st.PageStatus

    @property
    def statuses(self) -> dict[str, st.ComponentStatus]:
        return {k: v.status for k, v in self.states.items()}

    def status_of(self, component: Component) -> st.ComponentStatus:
        """A component's status; a group's is the worst of its shown members' (as on the page)."""
        if component.is_group:
            return st.worst(self.status_of(c) for c in component.children if not c.hidden)
        return self.states.get(component.id, st.ComponentState()).status


def right_now(session: Session, *, now: datetime) -> RightNow:
    begins = Incident.begins_at
    rows = list(
        session.execute(
            select(Incident).where(still_open(now)).order_by(begins).options(with_timeline())
        ).scalars()
    )
    facts = [i.facts() for i in rows]
    states = st.current_component_states(facts, now)
    active = [f for f in facts if st.is_active(f, now)]
    page = st.page_status((s.status for s in states.values()), active)
    return RightNow(rows, states, page)


def create_incident(
    session: Session,
    *,
    name: Texts | str,
    kind: st.IncidentKind,
    status: st.IncidentStatus,
    impact: st.Impact,
    body: Texts | str,
    components: Mapping[str, st.ComponentStatus],
    now: datetime,
    started_at: datetime | None = None,
    scheduled_for: datetime | None = None,
    scheduled_until: datetime | None = None,
    keywords: Iterable[str] = (),
    display_at: datetime | None = None,
) -> Incident:
    if kind is st.IncidentKind.MAINTENANCE:
        started_at = started_at or scheduled_for
    else:
        started_at = started_at or now
    incident = Incident(
        kind=kind,
        status=status,
        impact=impact,
        started_at=started_at,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        keywords=[k.strip() for k in keywords if k.strip()],
        created_at=now,
        updated_at=now,
    )
    incident.set_texts("name", texts_of(name))
    session.add(incident)
    post_update(
        session,
        incident,
        status=status,
        body=body,
        components=components,
        now=now,
        display_at=display_at or (started_at if kind is st.IncidentKind.INCIDENT else now),
    )
    return incident


def post_update(
    session: Session,
    incident: Incident,
    *,
    status: st.IncidentStatus,
    body: Texts | str,
    components: Mapping[str, st.ComponentStatus] | None,
    now: datetime,
    display_at: datetime | None = None,
    deliver_notifications: bool = True,
) -> IncidentUpdate:
    """Adds an update (its text in English and French, either may be empty); resolving returns
    every component the incident holds to operational."""
    display_at = display_at or now
    held = st.affected_components(incident.facts())
    others = right_now(session, now=now).states
    wanted = dict(components or {})
    if status in st.CLOSED_STATUSES:
        for component_id, component_status in held.items():
            if component_status is not st.ComponentStatus.OPERATIONAL:
                wanted.setdefault(component_id, st.ComponentStatus.OPERATIONAL)

    update = IncidentUpdate(
        position=max((u.position for u in incident.updates), default=-1) + 1,
        status=status,
        display_at=display_at,
        deliver_notifications=deliver_notifications,
        created_at=now,
        updated_at=now,
    )
    update.set_texts("body", texts_of(body))
    for component_id, new_status in wanted.items():
        before = others.get(component_id)
        old_status = before.status if before else st.ComponentStatus.OPERATIONAL
        update.changes.append(
            ComponentChange(
                component_id=component_id,
                old_status=old_status,
                new_status=st.ComponentStatus(new_status),
            )
        )
    incident.updates.append(update)

    latest = max(incident.updates, key=lambda u: (u.display_at, u.position))
    incident.status = latest.status
    if status is st.IncidentStatus.MONITORING:
        incident.monitoring_at = display_at
    if status in st.ENDING_STATUSES:
        incident.resolved_at = display_at
        if incident.scheduled_until is not None and display_at > incident.scheduled_until:
            incident.resolved_at = incident.scheduled_until  # a note after the window closed
    if status is st.IncidentStatus.IN_PROGRESS and (
        incident.started_at is None or display_at < incident.started_at
    ):
        incident.started_at = display_at
    incident.updated_at = now
    session.flush()
    return update
