"""What the status page says, and why.

Vocabularies are named as Atlassian Statuspage's v2 API names them, so that the JSON API and the
page speak the same words.

The rules, in words:

* An **incident** is *active* from its `started_at` until it is resolved (status `resolved` or
  `postmortem`).
* A **maintenance** follows its window by itself: it is `scheduled` before `scheduled_for`,
  `in_progress` from `scheduled_for` (or from the moment staff start it by hand, `started_at`),
  and `completed` at `scheduled_until` (or when staff complete it by hand, `resolved_at`). It is
  *active* while `in_progress` or `verifying`.
* Each update carries per-component changes. Within one incident, a component keeps the status of
  its latest change, and only while the incident is active. The **current status of a component**
  is the worst status that the active incidents and maintenances give it (worst wins, see
  `SEVERITY`); with none, it is `operational`. A group's status is the worst of its children.
* The **page indicator** is the worst of two readings, in the order
  `none < maintenance < minor < major < critical`:
    - the worst current component status: `degraded_performance` -> `minor`,
      `partial_outage` -> `major`, `major_outage` -> `critical`, `under_maintenance` ->
      `maintenance`;
    - the highest impact of the active incidents (an incident declared `critical` makes the page
      critical even before components are marked).
  Its description: none "All Systems Operational", minor "Minor Service Outage", major "Partial
  System Outage", critical "Major Service Outage", maintenance "Service Under Maintenance".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ComponentStatus(StrEnum):
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


#: Worst wins: a higher number is a worse status.
SEVERITY: dict[ComponentStatus, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


class IncidentKind(StrEnum):
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class IncidentStatus(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
    IncidentStatus.POSTMORTEM,
)
MAINTENANCE_STATUSES = (
    IncidentStatus.SCHEDULED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.VERIFYING,
    IncidentStatus.COMPLETED,
)
CLOSED_STATUSES = frozenset(
    {IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM, IncidentStatus.COMPLETED}
)
#: The statuses that end an incident or a maintenance: such an update needs a text for
#: customers, sets `resolved_at`, and subscribers and attached customers are always told.
ENDING_STATUSES = frozenset({IncidentStatus.RESOLVED, IncidentStatus.COMPLETED})


class Impact(StrEnum):
    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"
    MAINTENANCE = "maintenance"


class Indicator(StrEnum):
    NONE = "none"
    MAINTENANCE = "maintenance"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


INDICATOR_RANK: dict[Indicator, int] = {
    Indicator.NONE: 0,
    Indicator.MAINTENANCE: 1,
    Indicator.MINOR: 2,
    Indicator.MAJOR: 3,
    Indicator.CRITICAL: 4,
}

INDICATOR_DESCRIPTIONS: dict[Indicator, str] = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major Service Outage",
    Indicator.MAINTENANCE: "Service Under Maintenance",
}

_INDICATOR_OF_COMPONENT = {
    ComponentStatus.OPERATIONAL: Indicator.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Indicator.MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE: Indicator.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Indicator.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Indicator.CRITICAL,
}

_INDICATOR_OF_IMPACT = {
    Impact.NONE: Indicator.NONE,
    Impact.MAINTENANCE: Indicator.MAINTENANCE,
    Impact.MINOR: Indicator.MINOR,
    Impact.MAJOR: Indicator.MAJOR,
    Impact.CRITICAL: Indicator.CRITICAL,
}


@dataclass(frozen=True)
class ComponentChange:
    component_id: str
    old_status: ComponentStatus | None
    new_status: ComponentStatus


@dataclass(frozen=True)
class UpdateFacts:
    status: IncidentStatus
    display_at: datetime
    changes: tuple[ComponentChange, ...] = ()
    position: int = 0  #: order of writing: breaks ties between updates dated alike

    @property
    def order(self) -> tuple[datetime, int]:
        return (self.display_at, self.position)


@dataclass(frozen=True)
class IncidentFacts:
    """What the rules need to know of an incident or maintenance (times are aware UTC)."""

    id: str
    name: str
    kind: IncidentKind
    status: IncidentStatus
    impact: Impact
    started_at: datetime | None
    resolved_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    updates: tuple[UpdateFacts, ...] = ()


@dataclass(frozen=True)
class Segment:
    """A component held at `status` by `incident_id` from `start` to `end` (None: still going)."""

    incident_id: str
    component_id: str
    status: ComponentStatus
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class PageStatus:
    indicator: Indicator
    description: str


@dataclass
class ComponentState:
    status: ComponentStatus = ComponentStatus.OPERATIONAL
    incident_ids: list[str] = field(default_factory=list)


def worst(statuses: Iterable[ComponentStatus]) -> ComponentStatus:
    return max(statuses, key=SEVERITY.__getitem__, default=ComponentStatus.OPERATIONAL)


def effective_status(incident: IncidentFacts, now: datetime) -> IncidentStatus:
    """The status as of `now`; a maintenance turns with its window, with no job to run."""
    if incident.kind is not IncidentKind.MAINTENANCE or incident.status in CLOSED_STATUSES:
        return incident.status
    start = incident.started_at or incident.scheduled_for
    if incident.scheduled_until is not None and now >= incident.scheduled_until:
        return IncidentStatus.COMPLETED
    if incident.status is IncidentStatus.SCHEDULED and start is not None and now >= start:
        return IncidentStatus.IN_PROGRESS
    return incident.status


def active_window(incident: IncidentFacts, now: datetime) -> tuple[datetime, datetime] | None:
    """The time during which the incident holds its components, clipped to `now`.

    None when it has not begun yet (a future maintenance or a future `started_at`).
    """
    if incident.kind is IncidentKind.MAINTENANCE:
        start = incident.started_at or incident.scheduled_for
        if incident.status in CLOSED_STATUSES and incident.resolved_at is not None:
            end = incident.resolved_at
        else:
            end = incident.scheduled_until or now
    else:
        start = incident.started_at
        end = incident.resolved_at if incident.status in CLOSED_STATUSES else now
        if end is None:
            end = now
    if start is None or start > now:
        return None
    end = min(end, now)
    if end < start:
        return None
    return start, end


def is_active(incident: IncidentFacts, now: datetime) -> bool:
    status = effective_status(incident, now)
    if incident.kind is IncidentKind.MAINTENANCE:
        return status in (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
    return status not in CLOSED_STATUSES and active_window(incident, now) is not None


def is_upcoming(incident: IncidentFacts, now: datetime) -> bool:
    return (
        incident.kind is IncidentKind.MAINTENANCE
        and effective_status(incident, now) is IncidentStatus.SCHEDULED
    )


def affected_components(incident: IncidentFacts) -> dict[str, ComponentStatus]:
    """Each component the incident names, with the status of its latest change."""
    latest: dict[str, ComponentStatus] = {}
    for update in sorted(incident.updates, key=lambda u: u.order):
        for change in update.changes:
            latest[change.component_id] = change.new_status
    return latest


def declared_components(incident: IncidentFacts) -> dict[str, ComponentStatus]:
    """Each component the incident ever named, with the worst status it declared.

    What a reader wants to see of a resolved incident: which services it hit, and how hard.
    """
    declared: dict[str, ComponentStatus] = {}
    for update in incident.updates:
        for change in update.changes:
            previous = declared.get(change.component_id, ComponentStatus.OPERATIONAL)
            declared[change.component_id] = worst([previous, change.new_status])
    return declared


def impacted_components(incident: IncidentFacts) -> list[str]:
    """The components the incident ever held below operational: the services it is about."""
    return [
        cid
        for cid, status in declared_components(incident).items()
        if status is not ComponentStatus.OPERATIONAL
    ]


def segments(incident: IncidentFacts, now: datetime) -> list[Segment]:
    """The non-operational periods the incident imposed on each component, up to `now`."""
    window = active_window(incident, now)
    if window is None:
        return []
    win_start, win_end = window
    changes: dict[str, list[tuple[datetime, ComponentStatus]]] = {}
    for update in sorted(incident.updates, key=lambda u: u.order):
        for change in update.changes:
            changes.setdefault(change.component_id, []).append(
                (update.display_at, change.new_status)
            )
    ongoing = is_active(incident, now)
    result: list[Segment] = []
    for component_id, timeline in changes.items():
        for index, (at, status) in enumerate(timeline):
            if status is ComponentStatus.OPERATIONAL:
                continue
            next_at = timeline[index + 1][0] if index + 1 < len(timeline) else None
            start = max(at, win_start)
            end = win_end if next_at is None else min(next_at, win_end)
            open_ended = next_at is None and ongoing
            if end < start or (end == start and not open_ended):
                continue
            result.append(
                Segment(incident.id, component_id, status, start, None if open_ended else end)
            )
    return result


def current_component_states(
    incidents: Iterable[IncidentFacts], now: datetime
) -> dict[str, ComponentState]:
    """Components held by active incidents and maintenances; absent ones are operational."""
    states: dict[str, ComponentState] = {}
    for incident in incidents:
        if not is_active(incident, now):
            continue
        for component_id, status in affected_components(incident).items():
            if status is ComponentStatus.OPERATIONAL:
                continue
            state = states.setdefault(component_id, ComponentState())
            state.status = worst([state.status, status])
            state.incident_ids.append(incident.id)
    return states


def page_status(
    component_statuses: Iterable[ComponentStatus],
    active_incidents: Sequence[IncidentFacts],
) -> PageStatus:
    readings = [_INDICATOR_OF_COMPONENT[s] for s in component_statuses]
    readings += [
        _INDICATOR_OF_IMPACT[i.impact] for i in active_incidents if i.kind is IncidentKind.INCIDENT
    ]
    indicator = max(readings, key=INDICATOR_RANK.__getitem__, default=Indicator.NONE)
    return PageStatus(indicator, INDICATOR_DESCRIPTIONS[indicator])
