"""The life of a customer request: taken in, matched, answered, attached, closed; its timers
and the mail it receives when its incident moves."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from statuspage.domain import matching
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain.helpdesk import HandoffReason
from statuspage.models import (
    Incident,
    RequestEvent,
    SupportRequest,
)
from statuspage.services import audit, helpdesk
from statuspage.services.deflection.candidates import RequestInput, active_at

S = rq.RequestState
#: A request still `received` this long after it was stored lost its matcher (a process killed
#: between the two commits): the timers put it in the queue and acknowledge it.
STUCK_AFTER = timedelta(minutes=5)


#: The answers a mail offers, each with its own place on the private page.
ANSWERS = ("fixed", "still-broken", "confirm", "different")


def _event(
    request: SupportRequest, action: str, detail: str = "", *, now: datetime, actor: str = ""
) -> None:
    request.events.append(RequestEvent(at=now, action=action, actor=actor, detail=detail))
    request.updated_at = now


def _hand_off(
    session: Session, request: SupportRequest, reason: HandoffReason, *, now: datetime
) -> None:
    """The request ended in our queue: the company's help desk gets it, when one is configured
    (`statuspage.services.helpdesk`), in this same transaction."""
    if not helpdesk.configured():
        return
    active = active_at(session, request.created_at)
    helpdesk.hand_off(session, request, reason, active, now=now)
    _event(request, "handed off", now=now, detail=reason.value)


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


def request_values(
    data: RequestInput,
    *,
    now: datetime,
    reference: str,
    submission_key: str | None = None,
    kind: rq.RequestKind = rq.RequestKind.TICKET,
) -> dict[str, Any]:
    """The columns of a request as received: the row `new_request` builds, or the intake
    inserts as it is (`services.intake`)."""
    return {
        "reference": reference,
        "kind": kind,
        "state": S.RECEIVED,
        "email": data.email.strip().lower(),
        "name": data.name.strip(),
        "service_id": data.service_id,
        "domain": data.domain,
        "subject": data.subject.strip(),
        "message": data.message.strip(),
        "lang": data.lang,
        "created_at": now,
        "updated_at": now,
        "submission_key": submission_key,
        "detached_by_staff": False,
        "still_broken": False,
    }


def new_request(
    data: RequestInput,
    *,
    now: datetime,
    reference: str,
    submission_key: str | None = None,
    kind: rq.RequestKind = rq.RequestKind.TICKET,
) -> SupportRequest:
    """The request as received, with its first event, not yet in any session."""
    request = SupportRequest(
        **request_values(
            data, now=now, reference=reference, submission_key=submission_key, kind=kind
        )
    )
    _event(request, "received", now=now)
    return request


def store(
    session: Session,
    data: RequestInput,
    *,
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
    request = new_request(
        data, now=now, reference=reference, submission_key=submission_key, kind=kind
    )
    session.add(request)
    session.flush()
    return request


def match_outcome(result: matching.Result, *, now: datetime) -> tuple[dict[str, Any], str, str]:
    """What a match changes on a received request: its columns, and the event (action, detail)
    that records it. A proposal waits for the customer's answer; without one, the request
    joins the queue."""
    if result.proposal is None:
        return {"state": S.QUEUED}, "queued", "no active incident matches"
    fields: dict[str, Any] = {
        "state": S.PROPOSED,
        "proposed_incident_id": result.proposal.incident_id,
        "proposal_score": result.proposal.score,
        "proposal_reasons": reasons_data(result.proposal.reasons),
        "proposed_at": now,
    }
    detail = f"{result.proposal.name} (score {result.proposal.score:.2f})"
    if len(result.shown) > 1:
        second = result.shown[1]
        fields["alternative_incident_id"] = second.incident_id
        fields["alternative_score"] = second.score
        fields["alternative_reasons"] = reasons_data(second.reasons)
        detail += f"; or {second.name} (score {second.score:.2f})"
    return fields, "proposed", detail


def hands_off(result: matching.Result) -> bool:
    """Whether this match sends the request to the company's help desk (`_hand_off`)."""
    return result.proposal is None and helpdesk.configured()


def apply_match(
    session: Session, request: SupportRequest, result: matching.Result, *, now: datetime
) -> None:
    """A proposal waits for the customer's answer; without one, the request joins the queue
    (and the help desk gets it, when one is configured)."""
    rq.check(request.state, {S.RECEIVED})
    fields, action, detail = match_outcome(result, now=now)
    for name, value in fields.items():
        setattr(request, name, value)
    _event(request, action, now=now, detail=detail)
    if result.proposal is None:
        _hand_off(session, request, HandoffReason.NO_MATCH, now=now)
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
    session: Session, request: SupportRequest, error: Exception, *, now: datetime
) -> None:
    request.state = S.QUEUED
    _event(request, "queued", now=now, detail=f"matching unavailable ({type(error).__name__})")
    _hand_off(session, request, HandoffReason.MATCHER_UNAVAILABLE, now=now)


def _attach(
    request: SupportRequest, incident_id: str, action: str, *, now: datetime, actor: str
) -> None:
    request.state = S.ATTACHED
    request.incident_id = incident_id
    request.attached_at = now
    request.still_broken = False
    _event(request, action, now=now, actor=actor)


def accept(
    session: Session, request: SupportRequest, incident_id: str | None = None, *, now: datetime
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
        _event(request, "queued", now=now, detail="the chosen incident is over")
        _hand_off(session, request, HandoffReason.INCIDENT_OVER, now=now)
    else:
        _attach(request, incident.id, "attached", now=now, actor=request.email)
        if incident.id != request.proposed_incident_id:
            request.events[-1].detail = "the second incident offered"
    session.flush()


def decline(session: Session, request: SupportRequest, *, now: datetime) -> None:
    """ "No, my problem is different": a normal ticket, the declined match recorded. With two
    incidents offered, both are turned down (`turned_down`): the second stays recorded as
    offered."""
    rq.check(request.state, {S.PROPOSED})
    request.state = S.QUEUED
    request.declined_incident_id = request.proposed_incident_id
    _event(request, "declined", now=now, actor=request.email)
    _hand_off(session, request, HandoffReason.DECLINED, now=now)
    session.flush()


def detach(
    session: Session, request: SupportRequest, *, now: datetime, actor: str, by_staff: bool
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
        now=now,
        actor=actor,
        detail=request.incident_id or "",
    )
    request.incident_id = None
    session.flush()
    reason = HandoffReason.DETACHED_BY_STAFF if by_staff else HandoffReason.DETACHED
    _hand_off(session, request, reason, now=now)
    if by_staff:
        audit.record_request(session, request, "detach", now=now, actor=actor)


def attach_to_incident(
    session: Session, request: SupportRequest, incident: Incident, *, now: datetime, actor: str
) -> None:
    """Staff attach one request (the sweep records its own audit entry, for all of them)."""
    rq.check(request.state, rq.OPEN_STATES)
    if incident.status in st.CLOSED_STATUSES:
        raise rq.TransitionError("this incident is over: it takes no new request")
    _attach(request, incident.id, "attached by staff", now=now, actor=actor)
    session.flush()


def attach_by_staff(
    session: Session, request: SupportRequest, incident: Incident, *, now: datetime, actor: str
) -> None:
    attach_to_incident(session, request, incident, now=now, actor=actor)
    audit.record_request(session, request, "attach", now=now, actor=actor)


def still_broken(
    session: Session, request: SupportRequest, details: str = "", *, now: datetime
) -> None:
    """After the resolution: reopens this request alone, as a normal ticket with its history;
    what the customer says still fails is kept in that history, for staff to read."""
    rq.check(request.state, {S.AWAITING_CONFIRMATION, S.CLOSED})
    if request.incident_id is None:
        raise rq.TransitionError("this request is not attached to an incident")
    request.state = S.QUEUED
    request.still_broken = True
    request.closed_at = None
    _event(request, "still broken", now=now, actor=request.email, detail=details.strip())
    _hand_off(session, request, HandoffReason.STILL_BROKEN, now=now)
    session.flush()


def confirm(session: Session, request: SupportRequest, *, now: datetime) -> None:
    """ "Yes, this is my problem" on a request our team attached: it stays attached, confirmed."""
    rq.check(request.state, {S.ATTACHED})
    if not rq.consent_pending([e.action for e in request.events]):
        raise rq.TransitionError("nothing to confirm")
    _event(request, "confirmed", now=now, actor=request.email)
    session.flush()


def fixed(session: Session, request: SupportRequest, *, now: datetime) -> None:
    rq.check(request.state, {S.AWAITING_CONFIRMATION})
    request.state = S.CLOSED
    request.closed_at = now
    _event(request, "fixed", now=now, actor=request.email)
    session.flush()


def close_by_staff(session: Session, request: SupportRequest, *, now: datetime, actor: str) -> None:
    rq.check(request.state, rq.OPEN_STATES | rq.ON_MASTER_TICKET)
    request.state = S.CLOSED
    request.closed_at = now
    _event(request, "closed", now=now, actor=actor)
    session.flush()
    audit.record_request(session, request, "close", now=now, actor=actor)


def affected_too(
    session: Session, incident: Incident, email: str, lang: str, *, now: datetime
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
    request = store(session, data, now=now, kind=rq.RequestKind.AFFECTED)
    _attach(request, incident.id, "attached", now=now, actor=request.email)
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
