"""Requests that end in our queue, handed off to the company's help desk (see
`statuspage.domain.helpdesk`): a mail through the outbox to `HELPDESK_EMAIL`, and/or signed JSON
to `HELPDESK_WEBHOOK` through the webhook deliveries. Written in the transaction that moves the
request; the worker sends both, with their retries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from email.utils import formataddr
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from statuspage import links, mail, serializers
from statuspage.domain import helpdesk as hd
from statuspage.domain import status as st
from statuspage.filters import fallback_note, idn
from statuspage.models import HelpdeskHandoff, Incident, SupportRequest, WebhookDelivery

EVENT = "helpdesk.handoff"


def configured() -> bool:
    config = current_app.config
    return bool(config["HELPDESK_EMAIL"] or config["HELPDESK_WEBHOOK"])


def console_link(request: SupportRequest) -> str:
    return links.console_request(request.id)


def _incident(incident: Incident | None) -> dict[str, Any] | None:
    """An incident as the help desk reads it: its title in the desk's language (else the other,
    marked), and both titles for the software that receives the webhook."""
    if incident is None:
        return None
    lang = current_app.config["HELPDESK_LANGUAGE"]
    shown = incident.text("name", lang)
    with force_locale(lang):
        note = fallback_note(shown)
    return {
        "id": incident.id,
        "name": f"{shown.text} {note}" if note else shown.text,
        "name_lang": shown.lang,
        "names": incident.texts("name"),
        "kind": incident.kind.value,
        "status": incident.status.value,
        "impact": incident.impact.value,
        "url": links.incident_page(incident.id),
        "console_url": links.console_incident(incident.id),
    }


def _left_incident(
    session: Session, request: SupportRequest, reason: hd.HandoffReason
) -> Incident | None:
    """The master ticket the request just left."""
    if reason is hd.HandoffReason.STILL_BROKEN:
        return request.incident
    if reason in (hd.HandoffReason.DETACHED, hd.HandoffReason.DETACHED_BY_STAFF):
        left = [e.detail for e in request.events if e.action in ("detached", "detached by staff")]
        return session.get(Incident, left[-1]) if left and left[-1] else None
    return None


def _declined(session: Session, request: SupportRequest) -> list[Incident]:
    """The incidents the customer turned down: the proposal, and a second one offered with it."""
    if request.declined_incident_id is None:
        return []
    found = [session.get(Incident, request.declined_incident_id)]
    declined_both = any(e.action == "declined" for e in request.events)
    if declined_both and request.alternative_incident_id not in (None, found[0].id):
        found.append(session.get(Incident, request.alternative_incident_id))
    return [i for i in found if i is not None]


def facts(
    session: Session,
    request: SupportRequest,
    handoff: HelpdeskHandoff,
    candidates: Iterable[Incident],
) -> dict[str, Any]:
    """What the help desk receives, as data: the webhook's JSON, and the mail's context.
    `candidates`: the incidents that may have been active when the request was written."""
    lang = current_app.config["HELPDESK_LANGUAGE"]
    active = [i for i in candidates if st.is_active(i.facts(), request.created_at)]
    active.sort(key=lambda i: (i.begins_at or request.created_at, i.id))
    left = _left_incident(session, request, handoff.reason)
    return {
        "handoff": {
            "id": hd.handoff_id(request.reference, handoff.sequence),
            "sequence": handoff.sequence,
            "reason": handoff.reason.value,
            "at": serializers.timestamp(handoff.at),
            "left_master_ticket": handoff.reason in hd.LEFT_MASTER_TICKET,
        },
        "request": {
            "reference": request.reference,
            "kind": request.kind.value,
            "state": request.state.value,
            "created_at": serializers.timestamp(request.created_at),
            "lang": request.lang,
            "customer": {"name": request.name, "email": request.email},
            "subject": request.subject,
            "message": request.message,
            "service": (
                {"id": request.service.id, "name": request.service.name(lang)}
                if request.service is not None
                else None
            ),
            "domain": idn(request.domain) or None,
            "domain_ascii": request.domain or None,
            "still_broken_details": request.still_broken_details or None,
            "console_url": console_link(request),
        },
        "incidents_active": [_incident(i) for i in active],
        "declined_incidents": [_incident(i) for i in _declined(session, request)],
        "left_incident": _incident(left),
        "history": [
            {
                "at": serializers.timestamp(e.at),
                "action": e.action,
                "actor": e.actor or None,
                "detail": e.detail or None,
            }
            for e in request.events
        ],
    }


def hand_off(
    session: Session,
    request: SupportRequest,
    reason: hd.HandoffReason,
    candidates: Iterable[Incident],
    *,
    now: datetime,
) -> HelpdeskHandoff:
    """Records the handoff and queues its mail and webhook, in the caller's transaction (the
    operations of `statuspage.services.deflection` that move a request to the queue, when
    `configured()`); `candidates` as for `facts`."""
    config = current_app.config
    session.flush()
    sequence = (
        session.execute(
            select(func.max(HelpdeskHandoff.sequence)).where(
                HelpdeskHandoff.request_id == request.id
            )
        ).scalar()
        or 0
    ) + 1
    handoff = HelpdeskHandoff(request_id=request.id, sequence=sequence, reason=reason, at=now)
    session.add(handoff)
    session.flush()
    data = facts(session, request, handoff, candidates)
    if config["HELPDESK_EMAIL"]:
        lang = config["HELPDESK_LANGUAGE"]
        with force_locale(lang):
            subject = hd.subject(request.reference, request.subject, _fallback_subject(request))
        handoff.mail = mail.queue(
            session,
            kind="helpdesk",
            recipient=config["HELPDESK_EMAIL"],
            lang=lang,
            template="helpdesk",
            context={
                "facts": data,
                "stored": request,
                "reason": reason,
                "subject": subject,
                "site_name": config["SITE_NAME"],
            },
            now=now,
            request_id=request.id,
            headers={
                "Reply-To": formataddr((" ".join(request.name.split()), request.email)),
                "X-Statuspage-Reference": request.reference,
                "X-Statuspage-Handoff": data["handoff"]["id"],
            },
        )
    if config["HELPDESK_WEBHOOK"]:
        handoff.delivery = WebhookDelivery(
            webhook_id=None,
            target=config["HELPDESK_WEBHOOK"],
            event=EVENT,
            payload=json.dumps(
                {"meta": _meta(now=now), **data}, ensure_ascii=False, sort_keys=True
            ),
            created_at=now,
            next_attempt_at=now,
        )
        session.add(handoff.delivery)
    session.flush()
    return handoff


def _fallback_subject(request: SupportRequest) -> str:
    """For requests without a subject ("I'm affected too"), in the help desk's language."""
    if request.service is not None:
        name = request.service.name(current_app.config["HELPDESK_LANGUAGE"])
        return gettext("Request about %(service)s", service=name)
    return gettext("Request without a subject")


def _meta(*, now: datetime) -> dict[str, Any]:
    return {
        "page_id": current_app.config["PAGE_ID"],
        "event": EVENT,
        "documentation": links.api_documentation(),
        "generated_at": serializers.timestamp(now),
    }
