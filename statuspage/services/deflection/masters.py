"""The staff backlog: master tickets (the requests on each incident, counted), the sweep of
open requests onto an incident, the queue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from statuspage import links, mail
from statuspage.domain import matching
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.models import (
    Component,
    Incident,
    IncidentUpdate,
    RequestEvent,
    SupportRequest,
    still_open,
)
from statuspage.services import audit
from statuspage.services.deflection.candidates import as_candidate, matcher
from statuspage.services.deflection.followup import mail_context
from statuspage.services.deflection.life import attach_to_incident

S = rq.RequestState
#: The sweep reads at most this many open requests (the newest): ~3 ms of matching each.
SWEEP_LIMIT = 200


@dataclass
class IncidentStats:
    incident: Incident
    attached: int
    declined: int
    detached_by_staff: int
    still_broken: int
    received: int
    new_since_update: int

    @property
    def deflection_rate(self) -> float | None:
        return rq.deflection_rate(self.attached, self.received)


def turned_down(incident_id: str):
    """The requests whose customer said this incident is not their problem: declined when it was
    proposed, or offered second with a proposal they declined (NULL-safe, so it can be negated)."""
    return or_(
        SupportRequest.declined_incident_id.is_not_distinct_from(incident_id),
        and_(
            SupportRequest.alternative_incident_id.is_not_distinct_from(incident_id),
            SupportRequest.events.any(RequestEvent.action == "declined"),
        ),
    )


def _tied(incident_id, why: str, *conditions):
    """Rows (incident, request, why) of the requests tied to an incident in one way."""
    return select(
        incident_id,
        SupportRequest.id,
        literal(why, String),
        cast(null(), Integer),
        cast(null(), Integer),
    ).where(*conditions)


def stats(session: Session, incident: Incident, *, now: datetime) -> IncidentStats:
    """The incident's numbers, counted as `statuspage.domain.requests` says in words."""
    return stats_of(session, [incident], now=now)[0]


@cache
def _numbers(count: int):
    """The grouped statement counting `count` incidents, built once for each count and its
    values all bound parameters (`stats_of` gives them): the same statement on every page, so
    SQLAlchemy compiles it once, not the 25 parts of the page's 20 incidents on each view.

    Every request tied to an incident, or naming one of its services while it was active, is one
    row (incident, request, why); each number counts an incident's distinct requests, so a
    request reached twice (proposed, then attached) counts once. Each branch is a plain equality
    or range an index serves, never an OR over the whole table."""
    at_type = SupportRequest.attached_at.type
    incident = [bindparam(f"incident_{n}", type_=String) for n in range(count)]
    windows = [
        _tied(
            incident[n],
            "window",
            SupportRequest.service_id.in_(bindparam(f"services_{n}", expanding=True)),
            SupportRequest.created_at >= bindparam(f"begins_{n}", type_=at_type),
            SupportRequest.created_at <= bindparam(f"ends_{n}", type_=at_type),
        )
        for n in range(count)
    ]
    on_master = SupportRequest.incident_id
    since_update = case(
        {incident[n]: bindparam(f"latest_{n}", type_=at_type) for n in range(count)},
        value=on_master,
    )
    rows = union_all(
        select(
            on_master.label("incident_id"),
            SupportRequest.id.label("request_id"),
            literal("master", String).label("why"),
            case((SupportRequest.still_broken.is_(True), 1), else_=0).label("broken"),
            case((SupportRequest.attached_at > since_update, 1), else_=0).label("fresh"),
        ).where(on_master.in_(bindparam("on_master", expanding=True))),
        _tied(
            SupportRequest.proposed_incident_id,
            "proposed",
            SupportRequest.proposed_incident_id.in_(bindparam("proposed", expanding=True)),
        ),
        # turned_down(), with equality so that the indexes serve it
        _tied(
            SupportRequest.declined_incident_id,
            "declined",
            SupportRequest.declined_incident_id.in_(bindparam("declined", expanding=True)),
        ),
        _tied(
            SupportRequest.alternative_incident_id,
            "declined",
            SupportRequest.alternative_incident_id.in_(bindparam("alternative", expanding=True)),
            SupportRequest.events.any(RequestEvent.action == "declined"),
        ),
        select(
            RequestEvent.detail,
            RequestEvent.request_id,
            literal("detached", String),
            cast(null(), Integer),
            cast(null(), Integer),
        ).where(
            RequestEvent.action == "detached by staff",
            RequestEvent.detail.in_(bindparam("detached", expanding=True)),
        ),
        *windows,
    ).subquery()

    def distinct(why: str, *conditions):
        return func.count(
            case((and_(rows.c.why == why, *conditions), rows.c.request_id)).distinct()
        )

    return select(
        rows.c.incident_id,
        func.count(rows.c.request_id.distinct()).label("received"),
        distinct("master", rows.c.broken == 0).label("attached"),
        distinct("master", rows.c.broken == 1).label("still_broken"),
        distinct("master", rows.c.broken == 0, rows.c.fresh == 1).label("fresh"),
        distinct("declined").label("declined"),
        distinct("detached").label("detached"),
    ).group_by(rows.c.incident_id)


def stats_of(
    session: Session, incidents: Sequence[Incident], *, now: datetime
) -> list[IncidentStats]:
    """The numbers of several incidents in one grouped query (`_numbers`), whatever their
    count: the console shows 20 incidents on every page, with millions of requests
    (bench/scale.py)."""
    if not incidents:
        return []
    ids = [incident.id for incident in incidents]
    group_of = dict(session.execute(select(Component.id, Component.group_id)).all())
    values: dict[str, object] = dict.fromkeys(
        ("on_master", "proposed", "declined", "alternative", "detached"), ids
    )
    for n, incident in enumerate(incidents):
        begins = incident.started_at or incident.scheduled_for or incident.created_at
        affected = st.impacted_components(incident.facts())
        groups = {group_of.get(cid) for cid in affected} - {None}
        values |= {
            f"incident_{n}": incident.id,
            # none: no request names its services, the branch reads nothing
            f"services_{n}": affected + sorted(groups),
            f"begins_{n}": begins,
            f"ends_{n}": incident.resolved_at or now,
            f"latest_{n}": max((u.created_at for u in incident.updates), default=begins),
        }
    counted = {row.incident_id: row for row in session.execute(_numbers(len(incidents)), values)}
    numbers = []
    for incident in incidents:
        row = counted.get(incident.id)
        numbers.append(
            IncidentStats(
                incident=incident,
                attached=row.attached if row else 0,
                declined=row.declined if row else 0,
                detached_by_staff=row.detached if row else 0,
                still_broken=row.still_broken if row else 0,
                received=row.received if row else 0,
                new_since_update=row.fresh if row else 0,
            )
        )
    return numbers


@cache
def _newest_with_requests():
    """`master_tickets`' statements, built once (the view runs them on every page): the ids of
    the newest incidents with requests on them, or active, and those incidents with their
    timelines."""
    now = bindparam("now", type_=Incident.started_at.type)
    limit = bindparam("limit", type_=Integer)
    # A scalar subquery, not EXISTS: PostgreSQL may turn an EXISTS under OR into a hash of every
    # request on a master ticket (16,667 rows at 100k requests, 8 ms a page); this one it can
    # only ask, incident by incident, of the (incident, state) index.
    on_master = (
        select(literal(1))
        .where(
            SupportRequest.incident_id == Incident.id,
            SupportRequest.state.in_(list(rq.ON_MASTER_TICKET)),
        )
        .limit(1)
        .scalar_subquery()
    )
    wanted = or_(still_open(now), on_master.is_not(None))
    started = (
        select(Incident.id, Incident.started_at.label("begins"))
        .where(Incident.started_at <= now, wanted)
        .order_by(Incident.started_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    scheduled = (
        select(Incident.id, Incident.scheduled_for.label("begins"))
        .where(Incident.started_at.is_(None), Incident.scheduled_for <= now, wanted)
        .order_by(Incident.scheduled_for.desc(), Incident.id.desc())
        .limit(limit)
    )
    # each part a subquery of its own: SQLite takes no ORDER BY / LIMIT inside a UNION
    newest = union_all(*(select(part.subquery()) for part in (started, scheduled))).subquery()
    ids = select(newest.c.id).order_by(newest.c.begins.desc(), newest.c.id.desc()).limit(limit)
    incidents = (
        select(Incident)
        .where(Incident.id.in_(bindparam("ids", expanding=True)))
        .options(selectinload(Incident.updates).selectinload(IncidentUpdate.changes))
    )
    return ids, incidents


def master_tickets(session: Session, limit: int = 20, *, now: datetime) -> list[IncidentStats]:
    """Incidents with requests on them, or active: one row each, newest first.

    Walked newest first by `started_at` (then, for the maintenances not started, by
    `scheduled_for`), each incident asking an index whether a request is on its master ticket,
    until `limit` are found: never the set of all requests on master tickets, which grows with
    the years."""
    newest, incidents = _newest_with_requests()
    ids = session.execute(newest, {"now": now, "limit": limit}).scalars().all()
    loaded = {
        incident.id: incident for incident in session.execute(incidents, {"ids": ids}).scalars()
    }
    return stats_of(session, [loaded[i] for i in ids], now=now)


def sweep_candidates(
    session: Session, incident: Incident, *, now: datetime
) -> list[tuple[SupportRequest, matching.Match]]:
    """Open requests written shortly before (or since) the incident that match it."""
    hours = current_app.config["SWEEP_HOURS"]
    begins = incident.started_at or incident.scheduled_for or now
    since = begins - timedelta(hours=hours)
    rows = (
        session.execute(
            select(SupportRequest)
            .where(
                SupportRequest.state.in_([S.QUEUED, S.RECEIVED]),
                SupportRequest.kind == rq.RequestKind.TICKET,
                SupportRequest.created_at >= since,
                ~turned_down(incident.id),
            )
            .order_by(SupportRequest.created_at.desc())
            .limit(SWEEP_LIMIT)
        )
        .scalars()
        .all()
    )
    engine = matcher(session)
    known = as_candidate(incident)
    found = []
    for request in reversed(rows):
        # As if the incident had been published when the request was written: that is the point.
        written = request.created_at
        start = min(begins, written)
        candidate = matching.Incident(
            **{
                **known.__dict__,
                "started_at": start,
                "scheduled_for": None,
                "resolved_at": None,
                "scheduled_until": None,
                "closed": False,
                "updates": tuple(matching.Update(start, u.body) for u in known.updates),
            }
        )
        result = engine.match(
            matching.Request(
                request.subject,
                request.message,
                max(written, start),
                request.service_id,
                request.domain,
                request.lang,
            ),
            [candidate],
        )
        if result.proposal is not None:
            found.append((request, result.proposal))
    return found


def bulk_attach(
    session: Session,
    incident: Incident,
    requests: Sequence[SupportRequest],
    *,
    now: datetime,
    actor: str,
) -> int:
    """Attaches the chosen requests and tells each customer, in their language, with the choice
    of a proposal: yes, this is my problem; no, my problem is different."""
    count = 0
    for request in requests:
        if request.state in rq.OPEN_STATES:
            attach_to_incident(session, request, incident, now=now, actor=actor)
            mail.queue(
                session,
                kind="swept",
                recipient=request.email,
                lang=request.lang,
                template="swept",
                context=mail_context(
                    request,
                    incident=incident,
                    update=incident.updates[0] if incident.updates else None,
                    yes_link=links.answer_link(request, "confirm", request.lang),
                    no_link=links.answer_link(request, "different", request.lang),
                ),
                now=now,
                request_id=request.id,
            )
            count += 1
    audit.record(
        session,
        actor=actor,
        action="incident.sweep",
        now=now,
        target_type="incident",
        target_id=incident.id,
        after={"attached": [r.reference for r in requests]},
    )
    session.flush()
    return count


def queue_query(
    state: str | None = None,
    service_id: str | None = None,
    incident_id: str | None = None,
    lang: str | None = None,
    text: str | None = None,
):
    query = (
        select(SupportRequest)
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
        .options(
            selectinload(SupportRequest.events),  # what a still-broken customer said
            selectinload(SupportRequest.handoffs),
            # not the services: the ticket list loads the catalogue for its filter first, and
            # each request's service is then found in the session without a query
        )
    )
    states: Iterable[S] = [S(state)] if state in S.__members__.values() else [S.QUEUED]
    if state == "all":
        states = list(S)
    query = query.where(SupportRequest.state.in_(list(states)))
    if service_id:
        query = query.where(SupportRequest.service_id == service_id)
    if incident_id:
        query = query.where(
            or_(
                SupportRequest.incident_id == incident_id,
                SupportRequest.declined_incident_id == incident_id,
                SupportRequest.proposed_incident_id == incident_id,
                SupportRequest.alternative_incident_id == incident_id,
            )
        )
    if lang in ("en", "fr"):
        query = query.where(SupportRequest.lang == lang)
    if text:
        pattern = f"%{text.strip()}%"
        query = query.where(
            or_(
                SupportRequest.subject.ilike(pattern),
                SupportRequest.message.ilike(pattern),
                SupportRequest.email.ilike(pattern),
                SupportRequest.reference.ilike(pattern),
                SupportRequest.domain.ilike(pattern),
            )
        )
    return query
