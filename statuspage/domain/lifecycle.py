"""Which status an update may give an incident or a maintenance, and what it implies.

The rules, in words:

* An **open incident** (investigating, identified, monitoring) may move to any of those three or
  to `resolved`. Resolving needs a message: customers read it.
* A **resolved** incident takes no update until it is reopened; reopening puts it back to
  investigating, identified or monitoring. `postmortem` is reached only by publishing a postmortem
  on a resolved incident.
* A **maintenance** goes `scheduled` -> `in_progress` -> `verifying` -> `completed`; it may stay on
  its status (a note), skip `verifying`, or go back from `verifying` to `in_progress`; it may be
  completed (or cancelled) while still `scheduled`. A completed maintenance takes no update,
  except one: when its window closed by itself (the clock says completed, the record does not
  yet), a closing note completing it is still welcome.
* An incident's statuses are never given to a maintenance, nor the other way round.
"""

from __future__ import annotations

from statuspage.domain.errors import Conflict
from statuspage.domain.status import (
    ENDING_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    IncidentKind,
    IncidentStatus,
)

S = IncidentStatus
OPEN_INCIDENT = (S.INVESTIGATING, S.IDENTIFIED, S.MONITORING)

_NEXT: dict[IncidentStatus, tuple[IncidentStatus, ...]] = {
    S.INVESTIGATING: (*OPEN_INCIDENT, S.RESOLVED),
    S.IDENTIFIED: (*OPEN_INCIDENT, S.RESOLVED),
    S.MONITORING: (*OPEN_INCIDENT, S.RESOLVED),
    S.RESOLVED: (),
    S.POSTMORTEM: (),
    S.SCHEDULED: (S.SCHEDULED, S.IN_PROGRESS, S.COMPLETED),
    S.IN_PROGRESS: (S.IN_PROGRESS, S.VERIFYING, S.COMPLETED),
    S.VERIFYING: (S.IN_PROGRESS, S.VERIFYING, S.COMPLETED),
    S.COMPLETED: (),
}


class LifecycleError(Conflict):
    """An update the rules refuse; `code` names the rule for translations and the API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, field="status")


def statuses_for(kind: IncidentKind) -> tuple[IncidentStatus, ...]:
    return MAINTENANCE_STATUSES if kind is IncidentKind.MAINTENANCE else INCIDENT_STATUSES


def initial_statuses(kind: IncidentKind) -> tuple[IncidentStatus, ...]:
    if kind is IncidentKind.MAINTENANCE:
        return (S.SCHEDULED, S.IN_PROGRESS)
    return OPEN_INCIDENT


def allowed_next(kind: IncidentKind, current: IncidentStatus) -> tuple[IncidentStatus, ...]:
    return tuple(s for s in _NEXT[current] if s in statuses_for(kind))


def check_initial(kind: IncidentKind, status: IncidentStatus) -> None:
    if status not in initial_statuses(kind):
        allowed = ", ".join(initial_statuses(kind))
        raise LifecycleError("invalid_initial_status", f"a new {kind} starts as one of: {allowed}")


def allowed_updates(
    kind: IncidentKind, current: IncidentStatus, *, stored: IncidentStatus | None = None
) -> tuple[IncidentStatus, ...]:
    """The statuses an update may give now: `current` is the status the clock implies,
    `stored` the one on record (when they differ, a maintenance window closed by itself)."""
    if current is S.COMPLETED and stored not in (None, S.COMPLETED):
        # the window closed by itself: a closing note is still welcome
        return (S.COMPLETED,)
    return allowed_next(kind, current)


def check_update(
    kind: IncidentKind,
    current: IncidentStatus,
    new: IncidentStatus,
    body: str,
    *,
    stored: IncidentStatus | None = None,
) -> None:
    """Refuse an update `allowed_updates` does not allow, naming the rule it breaks."""
    if new not in statuses_for(kind):
        raise LifecycleError("wrong_kind", f"'{new}' is not a status of a {kind}")
    if new in allowed_updates(kind, current, stored=stored):
        if new in ENDING_STATUSES and not body.strip():
            raise LifecycleError("body_required", "the resolution needs a message for customers")
        return
    if current in (S.RESOLVED, S.POSTMORTEM):
        raise LifecycleError("closed", "this incident is resolved: reopen it before updating it")
    if current is S.COMPLETED:
        raise LifecycleError("closed", "this maintenance is completed")
    raise LifecycleError("transition", f"a {kind} cannot go from {current} to {new}")


def check_reopen(kind: IncidentKind, current: IncidentStatus, new: IncidentStatus) -> None:
    if kind is not IncidentKind.INCIDENT:
        raise LifecycleError("not_reopenable", "a maintenance cannot be reopened")
    if current not in (S.RESOLVED, S.POSTMORTEM):
        raise LifecycleError("not_closed", "only a resolved incident can be reopened")
    if new not in OPEN_INCIDENT:
        raise LifecycleError(
            "transition", "a reopened incident is investigating, identified or monitoring"
        )


def check_postmortem(kind: IncidentKind, current: IncidentStatus) -> None:
    if kind is not IncidentKind.INCIDENT or current not in (S.RESOLVED, S.POSTMORTEM):
        raise LifecycleError("not_closed", "a postmortem is published on a resolved incident")
