"""Customer requests and master tickets: the matcher applied, the request's life, its mail.

Every operation flushes and never commits: a new request is taken in, matched and committed by
`statuspage.services.intake`, the only caller that commits.
"""

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
from statuspage.content import catalogue_cached
from statuspage.domain import matching
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.domain.helpdesk import HandoffReason
from statuspage.models import (
    Component,
    Incident,
    IncidentUpdate,
    OutboxMessage,
    RequestEvent,
    SupportRequest,
    still_open,
    with_timeline,
)
from statuspage.services import helpdesk
from statuspage.services.versioning import current_version

S = rq.RequestState
#: The sweep reads at most this many open requests (the newest): ~3 ms of matching each.
SWEEP_LIMIT = 200
#: A request still `received` this long after it was stored lost its matcher (a process killed
#: between the two commits): the timers put it in the queue and acknowledge it.
STUCK_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class RequestInput:
    email: str
    name: str
    service_id: str | None
    domain: str | None
    subject: str
    message: str
    lang: str


# -- the matcher -------------------------------------------------------------------------------


def services(session: Session) -> list[matching.Service]:
    """The catalogue as the matcher reads it; dependencies come from `content/catalogue/`."""
    rows = list(session.execute(select(Component)).scalars())
    by_key = {c.key: c.id for c in rows}
    depends = {e.key: e.depends_on for e in catalogue_cached(current_app.config["CONTENT_DIR"])}
    return [
        matching.Service(
            id=c.id,
            names=(c.name_en, c.name_fr),
            aliases=tuple((c.aliases or {}).get("en", []) + (c.aliases or {}).get("fr", [])),
            descriptions=(c.description_en, c.description_fr),
            group_id=c.group_id,
            depends_on=tuple(by_key[k] for k in depends.get(c.key, ()) if k in by_key),
            key=c.key,
        )
        for c in rows
    ]


def service_names(session: Session) -> dict[str, Component]:
    """Components by id, to put a reason's service into the reader's language."""
    return {c.id: c for c in session.execute(select(Component)).scalars()}


def model() -> matching.Model:
    """The committed artifact, or the one a test or an evaluation fold sets in `MATCH_MODEL`."""
    chosen = current_app.config.get("MATCH_MODEL")
    if not chosen:
        return matching.default_model()
    if isinstance(chosen, matching.Model):
        return chosen
    return _model_from(str(chosen))


@cache
def _model_from(path: str) -> matching.Model:
    return matching.Model.load(path)


def matcher(session: Session, version: int | None = None) -> matching.Matcher:
    """Built from the catalogue once per data version, not once per contact-form submission."""
    config = current_app.config
    chosen = model()
    key = (
        current_version(session) if version is None else version,
        config["MATCH_PROPOSAL_THRESHOLD"],
        config["MATCH_HIGH_THRESHOLD"],
        id(chosen),
    )
    cached = current_app.extensions.get("statuspage_matcher")
    if cached is not None and cached[0] == key:
        return cached[1]
    built = matching.Matcher(
        services(session),
        proposal_threshold=config["MATCH_PROPOSAL_THRESHOLD"],
        high_threshold=config["MATCH_HIGH_THRESHOLD"],
        model=chosen,
    )
    current_app.extensions["statuspage_matcher"] = (key, built)
    return built


def as_candidate(incident: Incident) -> matching.Incident:
    """The matcher's view of an incident: its title and updates in both languages at once, so a
    request written in either language finds it."""
    affected = st.impacted_components(incident.facts())
    return matching.Incident(
        id=incident.id,
        name=tx.both(incident.texts("name"), " / "),
        kind=incident.kind.value,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        scheduled_for=incident.scheduled_for,
        scheduled_until=incident.scheduled_until,
        closed=incident.status in st.CLOSED_STATUSES,
        components=tuple(affected),
        keywords=tuple(incident.keywords or ()),
        updates=tuple(
            matching.Update(u.display_at, tx.both(u.texts("body"))) for u in incident.updates
        ),
    )


def active_at(session: Session, at: datetime, until: datetime | None = None) -> list[Incident]:
    """Incidents and maintenances that may be active at `at` (the matcher has the last word);
    with `until`, at any moment from `at` to `until`."""
    begins = Incident.begins_at
    query = (
        select(Incident)
        .where(
            begins <= (until or at),
            or_(Incident.resolved_at.is_(None), Incident.resolved_at > at),
            or_(Incident.scheduled_until.is_(None), Incident.scheduled_until > at),
        )
        .options(with_timeline())
    )
    return list(session.execute(query).scalars())


#: The active incidents, as the matcher reads them, are loaded once per data version for a
#: window of time: a maintenance window opens without any change to the data, so a read is good
#: for this long at most.
CANDIDATES_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Candidates:
    version: int
    start: datetime
    end: datetime
    incidents: tuple[matching.Incident, ...]


def _data_version(session: Session) -> int:
    """The data version as the public pages read it (at most once a second per process; a
    change committed by this process at once); read in `session` when that read fails, so a
    database that does not answer fails the caller (which spools) instead of matching blind."""
    from statuspage.cache import version_reader  # the web layer's reader, shared by the pages

    version = version_reader().current()
    return current_version(session) if version is None else version


def candidates(session: Session, at: datetime) -> tuple[int, tuple[matching.Incident, ...]]:
    """(data version, the incidents that may be active at `at`, prepared for the matcher).

    Read from the database once per data version and `CANDIDATES_WINDOW`, not once per
    submission: during an incident, every contact request is matched against the same few."""
    version = _data_version(session)
    kept: Candidates | None = current_app.extensions.get("statuspage_candidates")
    if kept is not None and kept.version == version and kept.start <= at <= kept.end:
        return version, kept.incidents
    until = at + CANDIDATES_WINDOW
    incidents = tuple(as_candidate(i) for i in active_at(session, at, until))
    current_app.extensions["statuspage_candidates"] = Candidates(version, at, until, incidents)
    return version, incidents


def match(session: Session, data: RequestInput, at: datetime) -> matching.Result:
    """The matcher's answer for a request sent at `at`: only the request's own features are
    computed here; the incidents' are kept per data version (`candidates`, `matching.Matcher`)."""
    version, incidents = candidates(session, at)
    request = matching.Request(
        subject=data.subject,
        message=data.message,
        at=at,
        service_id=data.service_id,
        domain=data.domain,
        lang=data.lang,
    )
    return matcher(session, version).match(request, incidents)


#: The answers a mail offers, each with its own place on the private page.
ANSWERS = ("fixed", "still-broken", "confirm", "different")


# -- the request's life ------------------------------------------------------------------------


def _event(
    request: SupportRequest, action: str, now: datetime, actor: str = "", detail: str = ""
) -> None:
    request.events.append(RequestEvent(at=now, action=action, actor=actor, detail=detail))
    request.updated_at = now


def _hand_off(
    session: Session, request: SupportRequest, reason: HandoffReason, now: datetime
) -> None:
    """The request ended in our queue: the company's help desk gets it, when one is configured
    (`statuspage.services.helpdesk`), in this same transaction."""
    if not helpdesk.configured():
        return
    active = active_at(session, request.created_at)
    helpdesk.hand_off(session, request, reason, now, active)
    _event(request, "handed off", now, detail=reason.value)


def find_submission(session: Session, key: str | None) -> SupportRequest | None:
    if not key:
        return None
    return session.execute(
        select(SupportRequest).where(SupportRequest.submission_key == key)
    ).scalar_one_or_none()


def same_submission(request: SupportRequest, data: RequestInput) -> bool:
    """A submission key only deduplicates the same request sent again: same address, same words."""
    return (
        request.email == data.email.strip().lower()
        and request.subject == data.subject.strip()
        and request.message == data.message.strip()
    )


def new_request(
    data: RequestInput,
    now: datetime,
    *,
    reference: str,
    submission_key: str | None = None,
    kind: rq.RequestKind = rq.RequestKind.TICKET,
) -> SupportRequest:
    """The request as received, with its first event, not yet in any session."""
    request = SupportRequest(
        reference=reference,
        kind=kind,
        state=S.RECEIVED,
        email=data.email.strip().lower(),
        name=data.name.strip(),
        service_id=data.service_id,
        domain=data.domain,
        subject=data.subject.strip(),
        message=data.message.strip(),
        lang=data.lang,
        created_at=now,
        updated_at=now,
        submission_key=submission_key,
    )
    _event(request, "received", now)
    return request


def store(
    session: Session,
    data: RequestInput,
    now: datetime,
    submission_key: str | None = None,
    kind: rq.RequestKind = rq.RequestKind.TICKET,
    reference: str | None = None,
) -> SupportRequest:
    """Stores the request as received; the caller commits before anything else happens.

    `reference`: the one a spooled request was already acknowledged with."""
    if reference is None:
        reference = rq.new_reference()
        while session.execute(
            select(SupportRequest.id).where(SupportRequest.reference == reference)
        ).first():
            reference = rq.new_reference()
    request = new_request(data, now, reference=reference, submission_key=submission_key, kind=kind)
    session.add(request)
    session.flush()
    return request


def apply_match(
    session: Session, request: SupportRequest, result: matching.Result, now: datetime
) -> None:
    """A proposal waits for the customer's answer; without one, the request joins the queue."""
    rq.check(request.state, {S.RECEIVED})
    if result.proposal is None:
        request.state = S.QUEUED
        _event(request, "queued", now, detail="no active incident matches")
        _hand_off(session, request, HandoffReason.NO_MATCH, now)
    else:
        request.state = S.PROPOSED
        request.proposed_incident_id = result.proposal.incident_id
        request.proposal_score = result.proposal.score
        request.proposal_reasons = reasons_data(result.proposal.reasons)
        request.proposed_at = now
        detail = f"{result.proposal.name} (score {result.proposal.score:.2f})"
        if len(result.shown) > 1:
            second = result.shown[1]
            request.alternative_incident_id = second.incident_id
            request.alternative_score = second.score
            request.alternative_reasons = reasons_data(second.reasons)
            detail += f"; or {second.name} (score {second.score:.2f})"
        _event(request, "proposed", now, detail=detail)
    session.flush()


def offered(request: SupportRequest) -> list[tuple[str, list]]:
    """The incidents a proposal offers, best first, each with its stored reasons."""
    if request.proposed_incident_id is None:
        return []
    found = [(request.proposed_incident_id, request.proposal_reasons or [])]
    if request.alternative_incident_id is not None:
        found.append((request.alternative_incident_id, request.alternative_reasons or []))
    return found


def reasons_data(reasons: Iterable[matching.Reason]) -> list[dict]:
    """Reasons as stored with the request: data, put into words when shown."""
    return [r.as_data() for r in reasons]


def matcher_failed(
    session: Session, request: SupportRequest, now: datetime, error: Exception
) -> None:
    request.state = S.QUEUED
    _event(request, "queued", now, detail=f"matching unavailable ({type(error).__name__})")
    _hand_off(session, request, HandoffReason.MATCHER_UNAVAILABLE, now)


def _attach(
    request: SupportRequest, incident_id: str, now: datetime, actor: str, action: str
) -> None:
    request.state = S.ATTACHED
    request.incident_id = incident_id
    request.attached_at = now
    request.still_broken = False
    _event(request, action, now, actor)


def accept(
    session: Session, request: SupportRequest, now: datetime, incident_id: str | None = None
) -> None:
    """ "Yes, this is my problem: keep me informed", for the incident chosen among those offered
    (the proposal when none is named); `rq.NotOfferedError` for any other."""
    rq.check(request.state, {S.PROPOSED})
    chosen = rq.offered_choice(
        incident_id, request.proposed_incident_id, request.alternative_incident_id
    )
    incident = session.get(Incident, chosen)
    if incident is None or incident.status in st.CLOSED_STATUSES:
        request.state = S.QUEUED
        _event(request, "queued", now, detail="the chosen incident is over")
        _hand_off(session, request, HandoffReason.INCIDENT_OVER, now)
    else:
        _attach(request, incident.id, now, request.email, "attached")
        if incident.id != request.proposed_incident_id:
            request.events[-1].detail = "the second incident offered"
    session.flush()


def decline(session: Session, request: SupportRequest, now: datetime) -> None:
    """ "No, my problem is different": a normal ticket, the declined match recorded. With two
    incidents offered, both are turned down (`turned_down`): the second stays recorded as
    offered."""
    rq.check(request.state, {S.PROPOSED})
    request.state = S.QUEUED
    request.declined_incident_id = request.proposed_incident_id
    _event(request, "declined", now, request.email)
    _hand_off(session, request, HandoffReason.DECLINED, now)
    session.flush()


def detach(
    session: Session, request: SupportRequest, now: datetime, actor: str, by_staff: bool
) -> None:
    """ "My problem is different" on an attached request, by the customer or staff."""
    rq.check(request.state, rq.ON_MASTER_TICKET)
    if not by_staff:
        request.declined_incident_id = request.incident_id
    request.detached_by_staff = by_staff
    request.state = S.QUEUED
    _event(
        request,
        "detached by staff" if by_staff else "detached",
        now,
        actor,
        detail=request.incident_id or "",
    )
    request.incident_id = None
    session.flush()
    reason = HandoffReason.DETACHED_BY_STAFF if by_staff else HandoffReason.DETACHED
    _hand_off(session, request, reason, now)


def attach_by_staff(
    session: Session, request: SupportRequest, incident: Incident, *, now: datetime, actor: str
) -> None:
    rq.check(request.state, rq.OPEN_STATES)
    if incident.status in st.CLOSED_STATUSES:
        raise rq.TransitionError("this incident is over: it takes no new request")
    _attach(request, incident.id, now, actor, "attached by staff")
    session.flush()


def still_broken(
    session: Session, request: SupportRequest, now: datetime, details: str = ""
) -> None:
    """After the resolution: reopens this request alone, as a normal ticket with its history;
    what the customer says still fails is kept in that history, for staff to read."""
    rq.check(request.state, {S.AWAITING_CONFIRMATION, S.CLOSED})
    if request.incident_id is None:
        raise rq.TransitionError("this request is not attached to an incident")
    request.state = S.QUEUED
    request.still_broken = True
    request.closed_at = None
    _event(request, "still broken", now, request.email, detail=details.strip())
    _hand_off(session, request, HandoffReason.STILL_BROKEN, now)
    session.flush()


def confirm(session: Session, request: SupportRequest, now: datetime) -> None:
    """ "Yes, this is my problem" on a request our team attached: it stays attached, confirmed."""
    rq.check(request.state, {S.ATTACHED})
    if not rq.consent_pending([e.action for e in request.events]):
        raise rq.TransitionError("nothing to confirm")
    _event(request, "confirmed", now, request.email)
    session.flush()


def fixed(session: Session, request: SupportRequest, now: datetime) -> None:
    rq.check(request.state, {S.AWAITING_CONFIRMATION})
    request.state = S.CLOSED
    request.closed_at = now
    _event(request, "fixed", now, request.email)
    session.flush()


def close_by_staff(session: Session, request: SupportRequest, *, now: datetime, actor: str) -> None:
    rq.check(request.state, rq.OPEN_STATES | rq.ON_MASTER_TICKET)
    request.state = S.CLOSED
    request.closed_at = now
    _event(request, "closed", now, actor)
    session.flush()


def affected_too(
    session: Session, incident: Incident, email: str, lang: str, now: datetime
) -> SupportRequest:
    """ "I'm affected too": a short request on the master ticket, to be told of the outcome."""
    if incident.status in st.CLOSED_STATUSES or not st.is_active(incident.facts(), now):
        raise rq.TransitionError("this incident is not active")
    existing = (
        session.execute(
            select(SupportRequest).where(
                SupportRequest.incident_id == incident.id,
                SupportRequest.email == email.strip().lower(),
                SupportRequest.state.in_([S.ATTACHED, S.AWAITING_CONFIRMATION]),
            )
        )
        .scalars()
        .first()
    )
    if existing is not None:
        return existing
    data = RequestInput(email, "", None, None, incident.name, "", lang)
    request = store(session, data, now, kind=rq.RequestKind.AFFECTED)
    _attach(request, incident.id, now, request.email, "attached")
    session.flush()
    return request


def shown_incident(
    session: Session, request: SupportRequest
) -> tuple[Incident | None, rq.Relation | None]:
    """The incident the customer's private page shows, and how the request stands towards it:
    the one it is attached to, else the last one the customer turned down, else the proposed
    one, else the last one our team detached it from."""
    staff_detached = [e.detail for e in request.events if e.action == "detached by staff"]
    incident = request.incident or request.declined_incident or request.proposed_incident
    if incident is None and staff_detached:
        incident = session.get(Incident, staff_detached[-1])
    if incident is None:
        return None, None
    return incident, rq.relation(
        request.state,
        attached=request.incident_id == incident.id,
        declined=request.declined_incident_id == incident.id,
        detached_by_staff=incident.id in staff_detached,
        still_broken=request.still_broken,
        to_confirm=rq.consent_pending([e.action for e in request.events]),
    )


# -- timers (run by the outbox worker, and lazily when a request is looked at) -----------------


def run_timers(session: Session, now: datetime) -> int:
    """Unanswered proposals and confirmations that ran out of time; returns how many moved."""
    high = current_app.config["MATCH_HIGH_THRESHOLD"]
    moved = 0
    expired = session.execute(
        select(SupportRequest).where(
            SupportRequest.state == S.PROPOSED,
            SupportRequest.proposed_at <= now - rq.PROPOSAL_TIMEOUT,
        )
    ).scalars()
    for request in expired:
        expire_proposal(session, request, now, high)
        moved += 1
    stuck = session.execute(
        select(SupportRequest).where(
            SupportRequest.state == S.RECEIVED, SupportRequest.created_at <= now - STUCK_AFTER
        )
    ).scalars()
    for request in stuck:  # stored, then the process died before the matcher answered
        request.state = S.QUEUED
        _event(request, "queued", now, detail="not matched: recovered after an interruption")
        _hand_off(session, request, HandoffReason.INTERRUPTED, now)
        acknowledge(session, request, now)
        moved += 1
    stale = session.execute(
        select(SupportRequest).where(
            SupportRequest.state == S.AWAITING_CONFIRMATION,
            SupportRequest.confirmation_since <= now - rq.CONFIRMATION_PERIOD,
        )
    ).scalars()
    for request in stale:
        request.state = S.CLOSED
        request.closed_at = now
        _event(request, "closed", now, detail="no answer 7 days after the resolution")
        moved += 1
    session.flush()
    return moved


def unanswered_outcome(request: SupportRequest, high: float) -> rq.RequestState:
    """What becomes of a proposal the customer does not answer: the page says it, the timer does
    it."""
    incident = request.proposed_incident
    over = incident is None or incident.status in st.CLOSED_STATUSES
    return rq.after_timeout(request.proposal_score or 0.0, high, incident_over=over)


def expire_proposal(session: Session, request: SupportRequest, now: datetime, high: float) -> None:
    if request.state is not S.PROPOSED or not rq.proposal_expired(request.proposed_at, now):
        return
    waited = f"no answer in {rq.PROPOSAL_TIMEOUT // timedelta(minutes=1)} minutes"
    if unanswered_outcome(request, high) is S.ATTACHED:
        _attach(request, request.proposed_incident_id, now, "", "attached")
        request.events[-1].detail = f"{waited}, high-confidence match"
    else:
        request.state = S.QUEUED
        _event(request, "queued", now, detail=waited)
        _hand_off(session, request, HandoffReason.UNANSWERED, now)
    session.flush()


# -- incident events ---------------------------------------------------------------------------


def mail_context(request: SupportRequest, **extra) -> dict:
    return {
        "request": request,
        "link": links.private_link(request),
        "site_name": current_app.config["SITE_NAME"],
        **extra,
    }


def acknowledge(session: Session, request: SupportRequest, now: datetime) -> None:
    """One acknowledgement per request: "I'm affected too" pressed again sends nothing new."""
    already = session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.request_id == request.id, OutboxMessage.kind == "ack"
        )
    ).first()
    if already is not None:
        return
    mail.queue(
        session,
        kind="ack",
        recipient=request.email,
        lang=request.lang,
        template="ack",
        context=mail_context(request),
        now=now,
        request_id=request.id,
    )


def on_update(session: Session, incident: Incident, update: IncidentUpdate, now: datetime) -> None:
    """Attached customers hear of updates staff choose to send, and of the resolution."""
    attached = (
        session.execute(
            select(SupportRequest).where(
                SupportRequest.incident_id == incident.id, SupportRequest.state == S.ATTACHED
            )
        )
        .scalars()
        .all()
    )
    closing = update.status in st.ENDING_STATUSES
    told: set[str] = set()  # one mail per address and update, however many requests it has here
    for request in sorted(attached, key=lambda r: r.id):
        if closing:
            request.state = S.AWAITING_CONFIRMATION
            request.confirmation_since = now
            _event(request, "resolved", now, detail="waiting for the customer's confirmation")
            template = "resolved"
        elif update.deliver_notifications:
            template = "update"
        else:
            continue
        if request.email in told:
            continue
        told.add(request.email)
        mail.queue(
            session,
            kind=template,
            recipient=request.email,
            lang=request.lang,
            template=template,
            context=mail_context(
                request,
                incident=incident,
                update=update,
                fixed_link=links.answer_link(request, "fixed", request.lang),
                broken_link=links.answer_link(request, "still-broken", request.lang),
            ),
            now=now,
            request_id=request.id,
        )
    session.flush()


def on_reopen(session: Session, incident: Incident, now: datetime) -> None:
    """A reopened incident takes back the requests still waiting for their confirmation."""
    waiting = session.execute(
        select(SupportRequest).where(
            SupportRequest.incident_id == incident.id,
            SupportRequest.state == S.AWAITING_CONFIRMATION,
        )
    ).scalars()
    for request in waiting:
        request.state = S.ATTACHED
        request.confirmation_since = None
        _event(request, "attached", now, detail="the incident was reopened")
    session.flush()


# -- the staff backlog -------------------------------------------------------------------------


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


def stats(session: Session, incident: Incident, now: datetime) -> IncidentStats:
    """The incident's numbers, counted as `statuspage.domain.requests` says in words."""
    return stats_of(session, [incident], now)[0]


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


def stats_of(session: Session, incidents: Sequence[Incident], now: datetime) -> list[IncidentStats]:
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


def master_tickets(session: Session, now: datetime, limit: int = 20) -> list[IncidentStats]:
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
    return stats_of(session, [loaded[i] for i in ids], now)


def sweep_candidates(
    session: Session, incident: Incident, now: datetime
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
            attach_by_staff(session, request, incident, now=now, actor=actor)
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
