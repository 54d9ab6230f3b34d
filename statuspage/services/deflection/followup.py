"""What happens to requests after they are answered: their timers (a proposal unanswered, a
resolution unconfirmed, a request stuck without its match) and what they are told when their
incident moves (the acknowledgement, updates, resolution, reopening)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage import links, mail
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain.helpdesk import HandoffReason
from statuspage.models import Incident, IncidentUpdate, OutboxMessage, SupportRequest
from statuspage.services.deflection.life import (
    STUCK_AFTER,
    S,
    _attach,
    _event,
    _hand_off,
)

# -- timers (run by the outbox worker, and lazily when a request is looked at) -----------------


def run_timers(session: Session, *, now: datetime) -> int:
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
        expire_proposal(session, request, high, now=now)
        moved += 1
    stuck = session.execute(
        select(SupportRequest).where(
            SupportRequest.state == S.RECEIVED, SupportRequest.created_at <= now - STUCK_AFTER
        )
    ).scalars()
    for request in stuck:  # stored, then the process died before the matcher answered
        request.state = S.QUEUED
        _event(request, "queued", now=now, detail="not matched: recovered after an interruption")
        _hand_off(session, request, HandoffReason.INTERRUPTED, now=now)
        acknowledge(session, request, now=now)
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
        _event(request, "closed", now=now, detail="no answer 7 days after the resolution")
        moved += 1
    session.flush()
    return moved


def unanswered_outcome(request: SupportRequest, high: float) -> rq.RequestState:
    """What becomes of a proposal the customer does not answer: the page says it, the timer does
    it."""
    incident = request.proposed_incident
    over = incident is None or incident.status in st.CLOSED_STATUSES
    return rq.after_timeout(request.proposal_score or 0.0, high, incident_over=over)


def expire_proposal(
    session: Session, request: SupportRequest, high: float, *, now: datetime
) -> None:
    if request.state is not S.PROPOSED or not rq.proposal_expired(request.proposed_at, now):
        return
    waited = f"no answer in {rq.PROPOSAL_TIMEOUT // timedelta(minutes=1)} minutes"
    if unanswered_outcome(request, high) is S.ATTACHED:
        _attach(request, request.proposed_incident_id, "attached", now=now, actor="")
        request.events[-1].detail = f"{waited}, high-confidence match"
    else:
        request.state = S.QUEUED
        _event(request, "queued", now=now, detail=waited)
        _hand_off(session, request, HandoffReason.UNANSWERED, now=now)
    session.flush()


# -- incident events ---------------------------------------------------------------------------


def mail_context(request: SupportRequest, **extra) -> dict:
    return {
        "request": request,
        "link": links.private_link(request),
        "site_name": current_app.config["SITE_NAME"],
        **extra,
    }


def acknowledge(session: Session, request: SupportRequest, *, now: datetime) -> None:
    """One acknowledgement per request: "I'm affected too" pressed again sends nothing new."""
    already = session.execute(
        select(OutboxMessage.id).where(
            OutboxMessage.request_id == request.id, OutboxMessage.kind == "ack"
        )
    ).first()
    if already is not None:
        return
    session.flush()  # the request's id
    mail.queue_unrendered(
        session,
        kind="ack",
        recipient=request.email,
        lang=request.lang,
        request_id=request.id,
        now=now,
    )


def on_update(
    session: Session, incident: Incident, update: IncidentUpdate, *, now: datetime
) -> None:
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
            _event(request, "resolved", now=now, detail="waiting for the customer's confirmation")
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


def on_reopen(session: Session, incident: Incident, *, now: datetime) -> None:
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
        _event(request, "attached", now=now, detail="the incident was reopened")
    session.flush()
