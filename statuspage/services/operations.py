"""What responders do to incidents, checked against the lifecycle rules and written to the audit
log. The console and the API both call these; they flush, the request commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.domain import errors, lifecycle
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.models import Component, Incident, IncidentUpdate
from statuspage.services import audit, backlog, deflection, notifications
from statuspage.services.incidents import Texts, create_incident, post_update, texts_of

MAX_NAME = 255
MAX_BODY = 20_000
MAX_KEYWORDS = 30


class InvalidInput(errors.InvalidInput):
    """A value the caller gave is wrong; `field` names it for forms and the API."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


def _has_text(values: Texts) -> bool:
    return any((values.get(lang) or "").strip() for lang in tx.LANGUAGES)


@dataclass(frozen=True)
class IncidentInput:
    name: Texts  #: the title in English and French (one of them at least)
    kind: st.IncidentKind
    status: st.IncidentStatus
    impact: st.Impact
    body: Texts  #: the first update's text in English and French
    components: Mapping[str, st.ComponentStatus]
    started_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    keywords: tuple[str, ...] = ()
    display_at: datetime | None = None  #: of the first update, when backfilling


def snapshot(incident: Incident) -> dict[str, Any]:
    """What the audit log keeps of an incident."""
    return {
        "name": incident.texts("name"),
        "status": incident.status.value,
        "impact": incident.impact.value,
        "keywords": list(incident.keywords or []),
        "scheduled_for": _iso(incident.scheduled_for),
        "scheduled_until": _iso(incident.scheduled_until),
        "resolved_at": _iso(incident.resolved_at),
    }


def _audit(
    session: Session,
    action: str,
    incident_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Every operation on an incident leaves one audit entry: who, what, when, before and after
    (mostly `snapshot`s of the incident)."""
    audit.record(
        session,
        actor=actor,
        action=action,
        now=now,
        target_type="incident",
        target_id=incident_id,
        before=before,
        after=after,
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def clean_keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    cleaned = []
    for word in keywords:
        word = " ".join(str(word).split()).lower()
        if word and word not in cleaned:
            if len(word) > 64:
                raise InvalidInput("keywords", "a keyword has at most 64 characters")
            cleaned.append(word)
    if len(cleaned) > MAX_KEYWORDS:
        raise InvalidInput("keywords", f"at most {MAX_KEYWORDS} keywords")
    return tuple(cleaned)


def check_components(session: Session, components: Mapping[str, Any]) -> dict[str, Any]:
    if not components:
        return {}
    known = set(
        session.execute(
            select(Component.id).where(
                Component.id.in_(list(components)), Component.is_group.is_(False)
            )
        ).scalars()
    )
    unknown = sorted(set(components) - known)
    if unknown:
        raise InvalidInput("components", f"unknown component(s): {', '.join(unknown)}")
    result = {}
    for component_id, value in components.items():
        try:
            result[component_id] = st.ComponentStatus(value)
        except ValueError:
            raise InvalidInput("components", f"'{value}' is not a component status") from None
    return result


def _check_text(name: Texts, body: Texts, *, body_required: bool = True) -> None:
    if not _has_text(name):
        raise InvalidInput("name", "a name is needed (in English or French)")
    if any(len(value or "") > MAX_NAME for value in name.values()):
        raise InvalidInput("name", f"the name has at most {MAX_NAME} characters")
    _check_body(body, required=body_required)


def _check_body(body: Texts, required: bool = True) -> None:
    if required and not _has_text(body):
        raise InvalidInput("body", "a message is needed (in English or French)")
    if any(len(value or "") > MAX_BODY for value in body.values()):
        raise InvalidInput("body", f"the message has at most {MAX_BODY} characters")


def open_incident(session: Session, data: IncidentInput, *, actor: str, now: datetime) -> Incident:
    data = replace(data, name=texts_of(data.name), body=texts_of(data.body))
    _check_text(data.name, data.body)
    try:
        lifecycle.check_initial(data.kind, data.status)
    except lifecycle.LifecycleError as error:
        raise InvalidInput("status", str(error)) from None
    components = check_components(session, data.components)
    keywords = clean_keywords(data.keywords)
    started_at = data.started_at
    if data.kind is st.IncidentKind.MAINTENANCE:
        if data.scheduled_for is None or data.scheduled_until is None:
            raise InvalidInput("scheduled_for", "a maintenance needs its window")
        if data.scheduled_until <= data.scheduled_for:
            raise InvalidInput("scheduled_until", "the window must end after it starts")
        if data.impact is not st.Impact.MAINTENANCE and data.impact is not st.Impact.NONE:
            raise InvalidInput("impact", "a maintenance has the impact 'maintenance'")
        if data.status is st.IncidentStatus.IN_PROGRESS:
            started_at = min(now, data.scheduled_for)
        display_at = now
    else:
        if data.impact is st.Impact.MAINTENANCE:
            raise InvalidInput("impact", "an incident's impact is none, minor, major or critical")
        if started_at is not None and started_at > now + timedelta(minutes=5):
            raise InvalidInput("started_at", "an incident cannot start in the future")
        started_at = started_at or now
        display_at = started_at
    if data.display_at is not None:
        if data.display_at > now + timedelta(minutes=5):
            raise InvalidInput("display_at", "an update cannot be dated in the future")
        display_at = data.display_at
    incident = create_incident(
        session,
        name=data.name,
        kind=data.kind,
        status=data.status,
        impact=data.impact,
        body=data.body,
        components=components,
        now=now,
        started_at=started_at,
        scheduled_for=data.scheduled_for,
        scheduled_until=data.scheduled_until,
        keywords=keywords,
        display_at=display_at,
    )
    _audit(
        session,
        f"{data.kind.value}.open",
        incident.id,
        None,
        {**snapshot(incident), "components": {k: v.value for k, v in components.items()}},
        actor=actor,
        now=now,
    )
    notifications.on_change(session, incident, incident.updates[0], now=now, created=True)
    backlog.refresh(session, now=now, actor=actor)
    return incident


def current_status(incident: Incident, *, now: datetime) -> st.IncidentStatus:
    return st.effective_status(incident.facts(), now)


def add_update(
    session: Session,
    incident: Incident,
    *,
    status: st.IncidentStatus,
    body: Texts | str,
    components: Mapping[str, Any] | None,
    actor: str,
    now: datetime,
    display_at: datetime | None = None,
    deliver_notifications: bool = True,
) -> IncidentUpdate:
    body = texts_of(body)
    _check_body(body, required=status in st.ENDING_STATUSES)
    if not _has_text(body) and not components and status is current_status(incident, now=now):
        raise InvalidInput("body", "an update needs a message or a change")
    lifecycle.check_update(
        incident.kind,
        current_status(incident, now=now),
        status,
        tx.both(body),
        stored=incident.status,
    )
    if display_at is not None and display_at > now + timedelta(minutes=5):
        raise InvalidInput("display_at", "an update cannot be dated in the future")
    checked = check_components(session, components or {})
    before = snapshot(incident)
    update = post_update(
        session,
        incident,
        status=status,
        body=body,
        components=checked,
        now=now,
        display_at=display_at,
        deliver_notifications=deliver_notifications,
    )
    deflection.on_update(session, incident, update, now=now)
    notifications.on_change(session, incident, update, now=now)
    _audit(
        session,
        f"{incident.kind.value}.update",
        incident.id,
        before,
        {
            **snapshot(incident),
            "update": update.id,
            "components": {k: v.value for k, v in checked.items()},
        },
        actor=actor,
        now=now,
    )
    backlog.refresh(session, now=now, actor=actor)
    return update


def resolve(
    session: Session,
    incident: Incident,
    body: Texts | str,
    *,
    actor: str,
    now: datetime,
    display_at: datetime | None = None,
) -> IncidentUpdate:
    final = (
        st.IncidentStatus.COMPLETED
        if incident.kind is st.IncidentKind.MAINTENANCE
        else st.IncidentStatus.RESOLVED
    )
    return add_update(
        session,
        incident,
        status=final,
        body=body,
        components=None,
        actor=actor,
        now=now,
        display_at=display_at,
    )


def reopen(
    session: Session,
    incident: Incident,
    status: st.IncidentStatus,
    body: Texts | str,
    components: Mapping[str, Any] | None,
    *,
    actor: str,
    now: datetime,
) -> IncidentUpdate:
    lifecycle.check_reopen(incident.kind, incident.status, status)
    body = texts_of(body)
    _check_body(body)
    checked = check_components(session, components or {})
    before = snapshot(incident)
    incident.resolved_at = None
    update = post_update(session, incident, status=status, body=body, components=checked, now=now)
    deflection.on_reopen(session, incident, now=now)
    notifications.on_change(session, incident, update, now=now)
    _audit(
        session, "incident.reopen", incident.id, before, snapshot(incident), actor=actor, now=now
    )
    backlog.refresh(session, now=now, actor=actor)
    return update


def edit_update_body(
    session: Session, update: IncidentUpdate, body: Texts | str, *, actor: str, now: datetime
) -> None:
    """Rewrites the update's text; a language not given keeps its text."""
    given = (
        texts_of(body)
        if isinstance(body, str)
        else {k: v or "" for k, v in body.items() if k in tx.LANGUAGES}
    )
    body = {**update.texts("body"), **given}
    _check_body(body, required=update.status in st.ENDING_STATUSES)
    before = {"body": update.texts("body")}
    update.set_texts("body", body)
    update.updated_at = now
    update.incident.updated_at = now
    _audit(
        session,
        "update.edit",
        update.incident_id,
        {**before, "update": update.id},
        {"body": update.texts("body"), "update": update.id},
        actor=actor,
        now=now,
    )
    session.flush()


def edit_incident(
    session: Session,
    incident: Incident,
    *,
    actor: str,
    now: datetime,
    name: Texts | str | None = None,
    impact: st.Impact | None = None,
    keywords: Iterable[str] | None = None,
) -> None:
    """Changes what is given; a language missing from `name` keeps its title."""
    before = snapshot(incident)
    if name is not None:
        given = (
            texts_of(name)
            if isinstance(name, str)
            else {k: v or "" for k, v in name.items() if k in tx.LANGUAGES}
        )
        names = {**incident.texts("name"), **given}
        _check_text(names, {}, body_required=False)
        incident.set_texts("name", names)
    if impact is not None:
        if (impact is st.Impact.MAINTENANCE) != (incident.kind is st.IncidentKind.MAINTENANCE):
            raise InvalidInput("impact", f"'{impact}' is not an impact of a {incident.kind}")
        incident.impact = impact
    if keywords is not None:
        incident.keywords = list(clean_keywords(keywords))
    incident.updated_at = now
    _audit(
        session,
        f"{incident.kind.value}.edit",
        incident.id,
        before,
        snapshot(incident),
        actor=actor,
        now=now,
    )
    session.flush()
    notifications.on_change(session, incident, None, now=now)
    backlog.refresh(session, now=now, actor=actor)


def publish_postmortem(
    session: Session,
    incident: Incident,
    body: Texts | str,
    *,
    actor: str,
    now: datetime,
    publish: bool = True,
) -> None:
    lifecycle.check_postmortem(incident.kind, incident.status)
    body = texts_of(body)
    _check_body(body)
    before = {
        "postmortem": incident.texts("postmortem"),
        "published": _iso(incident.postmortem_published_at),
    }
    incident.set_texts("postmortem", body)
    if publish:
        incident.postmortem_published_at = incident.postmortem_published_at or now
        incident.status = st.IncidentStatus.POSTMORTEM
    incident.updated_at = now
    _audit(
        session,
        "incident.postmortem",
        incident.id,
        before,
        {
            "postmortem": incident.texts("postmortem"),
            "published": _iso(incident.postmortem_published_at),
        },
        actor=actor,
        now=now,
    )
    session.flush()


def extend_maintenance(
    session: Session,
    incident: Incident,
    until: datetime,
    body: Texts | str,
    *,
    actor: str,
    now: datetime,
) -> IncidentUpdate | None:
    if incident.kind is not st.IncidentKind.MAINTENANCE:
        raise InvalidInput("scheduled_until", "only a maintenance has a window")
    status = current_status(incident, now=now)
    if status is st.IncidentStatus.COMPLETED and incident.resolved_at is not None:
        raise lifecycle.LifecycleError("closed", "this maintenance is completed")
    start = incident.started_at or incident.scheduled_for
    if start is not None and until <= max(start, now):
        raise InvalidInput("scheduled_until", "the new end must be later than now and the start")
    before = snapshot(incident)
    incident.scheduled_until = until
    incident.updated_at = now
    _audit(
        session, "maintenance.extend", incident.id, before, snapshot(incident), actor=actor, now=now
    )
    session.flush()
    body = texts_of(body)
    if _has_text(body):
        return add_update(
            session,
            incident,
            status=current_status(incident, now=now),
            body=body,
            components=None,
            actor=actor,
            now=now,
        )
    return None
