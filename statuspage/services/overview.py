"""What the public pages show, read in a bounded number of queries.

The cost depends on the 90-day window and the number of components, not on years of history:
incidents are loaded only when they may touch the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.domain import status as st
from statuspage.domain import uptime
from statuspage.models import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    incidents_between,
    incidents_overlapping,
    still_open,
    with_timeline,
)

RECENT_DAYS = 7


@dataclass
class IncidentView:
    """An incident with what the rules say of it at `now`."""

    incident: Incident
    status: st.IncidentStatus  #: effective status (a maintenance turns with its window)
    active: bool
    upcoming: bool
    components: list[tuple[Component, st.ComponentStatus]]
    #: from its start to its resolution (a maintenance: its window) or to now; None before
    duration: timedelta | None = None

    @property
    def id(self) -> str:
        return self.incident.id

    @property
    def latest_update(self) -> IncidentUpdate | None:
        return self.incident.updates[0] if self.incident.updates else None

    @property
    def over(self) -> bool:
        """Resolved or completed: its components show the worst state they reached."""
        return not self.active and not self.upcoming


@dataclass
class ComponentNode:
    component: Component
    status: st.ComponentStatus
    incident_ids: list[str]
    uptime: uptime.Uptime
    children: list[ComponentNode] = field(default_factory=list)


@dataclass
class Overview:
    now: datetime
    page: st.PageStatus
    nodes: list[ComponentNode]  #: top level, in order; groups carry their children
    active: list[IncidentView]
    upcoming: list[IncidentView]
    recent: list[IncidentView]
    incidents: dict[str, IncidentView]
    valid_until: datetime  #: when time alone changes what this shows

    def node(self, component_id: str) -> ComponentNode | None:
        for node in self.nodes:
            if node.component.id == component_id:
                return node
            for child in node.children:
                if child.component.id == component_id:
                    return child
        return None


def view_incident(incident: Incident, *, now: datetime) -> IncidentView:
    facts = incident.facts()
    active = st.is_active(facts, now)
    shown = st.affected_components(facts) if active else st.declared_components(facts)
    components_by_id = {c.component_id: c.component for u in incident.updates for c in u.changes}
    components = sorted(
        ((components_by_id[cid], status) for cid, status in shown.items()),
        key=lambda pair: (
            pair[0].group.position if pair[0].group else pair[0].position,
            pair[0].position,
        ),
    )
    return IncidentView(
        incident=incident,
        status=st.effective_status(facts, now),
        active=active,
        upcoming=st.is_upcoming(facts, now),
        components=components,
        duration=(window[1] - window[0]) if (window := st.active_window(facts, now)) else None,
    )


def next_change(incident: Incident, *, now: datetime) -> datetime:
    """When time alone will change what the rules say of this incident (far future: never)."""
    moments = (incident.started_at, incident.scheduled_for, incident.scheduled_until)
    return min(
        (m for m in moments if m is not None and m > now), default=datetime.max.replace(tzinfo=UTC)
    )


def _next_midnight(zone: tzinfo = UTC, *, now: datetime) -> datetime:
    """When the day turns in `zone` (the uptime bars move on), in UTC."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time.min, tzinfo=zone).astimezone(UTC)


def build_overview(
    session: Session, max_age: int = 60, zone: tzinfo = UTC, *, now: datetime
) -> Overview:
    """The public page's data; the uptime bars count the days of `zone` (the page's)."""
    today = now.astimezone(zone).date()
    window_start = datetime.combine(
        today - timedelta(days=uptime.DAYS - 1), time.min, tzinfo=zone
    ).astimezone(UTC)
    incidents = list(
        session.execute(incidents_overlapping(window_start).options(with_timeline()))
        .scalars()
        .unique()
    )
    facts = [i.facts() for i in incidents]
    views = {i.id: view_incident(i, now=now) for i in incidents}
    states = st.current_component_states(facts, now)

    segments_by_component: dict[str, list[st.Segment]] = {}
    for fact in facts:
        for segment in st.segments(fact, now):
            segments_by_component.setdefault(segment.component_id, []).append(segment)

    components = list(
        session.execute(
            select(Component).where(Component.hidden.is_(False)).order_by(Component.position)
        ).scalars()
    )

    def node_of(component: Component, children: list[ComponentNode]) -> ComponentNode:
        if children:
            status = st.worst(c.status for c in children)
            incident_ids = list(dict.fromkeys(i for c in children for i in c.incident_ids))
            segs = [s for c in component.children for s in segments_by_component.get(c.id, [])]
            start = min((c.component.start_date or date.min for c in children), default=None)
        else:
            state = states.get(component.id, st.ComponentState())
            status, incident_ids = state.status, state.incident_ids
            segs = segments_by_component.get(component.id, [])
            start = component.start_date
        return ComponentNode(
            component, status, incident_ids, uptime.compute(segs, now, start, zone=zone), children
        )

    nodes = []
    for component in components:
        if component.group_id is not None:
            continue
        children = [node_of(child, []) for child in components if child.group_id == component.id]
        nodes.append(node_of(component, children))

    active_views = sorted(
        (v for v in views.values() if v.active),
        key=lambda v: v.incident.begins_at or now,
        reverse=True,
    )
    upcoming = sorted(
        (v for v in views.values() if v.upcoming), key=lambda v: v.incident.begins_at or now
    )
    recent_start = now - timedelta(days=RECENT_DAYS)
    recent = sorted(
        (
            v
            for v in views.values()
            if not v.active
            and not v.upcoming
            and v.incident.begins_at is not None
            and recent_start <= v.incident.begins_at <= now
        ),
        key=lambda v: v.incident.begins_at,
        reverse=True,
    )
    page = st.page_status(
        (s.status for s in states.values()), [v.incident.facts() for v in active_views]
    )

    boundaries = [now + timedelta(seconds=max_age), _next_midnight(zone, now=now)]
    boundaries += [next_change(incident, now=now) for incident in incidents]
    return Overview(
        now=now,
        page=page,
        nodes=nodes,
        active=active_views,
        upcoming=upcoming,
        recent=recent,
        incidents=views,
        valid_until=min(boundaries),
    )


def active_incidents(session: Session, *, now: datetime) -> list[IncidentView]:
    """Only what is active right now: cheap enough for the contact page under load."""
    begins = Incident.begins_at
    rows = session.execute(
        select(Incident)
        .where(still_open(now), begins <= now)
        .order_by(begins.desc())
        .options(with_timeline())
    ).scalars()
    return [view for view in (view_incident(i, now=now) for i in rows) if view.active]


def incident_page(session: Session, incident_id: str, *, now: datetime) -> IncidentView | None:
    incident = session.execute(
        select(Incident).where(Incident.id == incident_id).options(with_timeline())
    ).scalar_one_or_none()
    return None if incident is None else view_incident(incident, now=now)


def component_incidents(
    session: Session, component: Component, limit: int = 20, *, now: datetime
) -> list[IncidentView]:
    """The latest incidents that named this component (or one of its children)."""
    ids = [component.id, *(c.id for c in component.children)]
    incident_ids = (
        select(IncidentUpdate.incident_id)
        .join(ComponentChange, ComponentChange.update_id == IncidentUpdate.id)
        .where(ComponentChange.component_id.in_(ids))
        .distinct()
    )
    begins = Incident.begins_at
    query = (
        select(Incident)
        .where(Incident.id.in_(incident_ids), begins <= now)
        .order_by(begins.desc())
        .limit(limit)
        .options(with_timeline())
    )
    return [view_incident(i, now=now) for i in session.execute(query).scalars()]


@dataclass
class Month:
    first_day: date
    incidents: list[IncidentView]


@dataclass
class HistoryPage:
    months: list[Month]
    page: int
    has_older: bool


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def history(session: Session, page: int, months_per_page: int, *, now: datetime) -> HistoryPage:
    """Past incidents and maintenances by month, newest month first."""
    today = now.date()
    newest = _month_start(today, (page - 1) * months_per_page)
    oldest = _month_start(today, page * months_per_page - 1)
    start = datetime.combine(oldest, time.min, tzinfo=UTC)
    end = datetime.combine(_month_start(newest, -1), time.min, tzinfo=UTC)
    query = incidents_between(start, min(end, now)).options(with_timeline())
    rows = session.execute(query).scalars()
    months = {
        _month_start(today, (page - 1) * months_per_page + k): Month(
            _month_start(today, (page - 1) * months_per_page + k), []
        )
        for k in range(months_per_page)
    }
    for incident in rows:
        begins = incident.begins_at
        if begins is not None:
            months[_month_start(begins.date())].incidents.append(view_incident(incident, now=now))
    begins = Incident.begins_at
    has_older = (
        session.execute(select(Incident.id).where(begins < start).limit(1)).first() is not None
    )
    return HistoryPage(list(months.values()), page, has_older)
