"""Customer requests through the API: the contact form's public endpoints (no token;
rate-limited per client address) and the deflection numbers of the master tickets."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import jsonify
from flask_babel import force_locale, gettext

from statuspage import links, reasons
from statuspage.clock import app_now
from statuspage.database import DATABASE_ERRORS
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.domain.domains import normalise as normalise_domain
from statuspage.domain.ids import is_public_id
from statuspage.extensions import db, limiter
from statuspage.models import Component, Incident
from statuspage.services import deflection, intake
from statuspage.views.api.base import (
    ApiError,
    bp,
    json_body,
    only_known,
    string_field,
    time_field,
    token_required,
)
from statuspage.web.limits import match_limit, submit_limit
from statuspage.web.openapi import MATCH_REQUEST, NEW_REQUEST


def _known_service(service: str) -> bool:
    """A component id; with the database down, any well-formed id (checked at ingestion)."""
    try:
        return db.session.get(Component, service) is not None
    except DATABASE_ERRORS:
        db.session.rollback()
        return is_public_id(service)


def _request_input(data: dict[str, Any], require_contact: bool) -> deflection.RequestInput:
    service = data.get("service")
    if service is not None and (not isinstance(service, str) or not _known_service(service)):
        raise ApiError(422, "invalid_field", "'service' is a component or group id", "service")
    domain = string_field(data, "domain").strip()
    if domain:
        try:
            domain = normalise_domain(domain)[0]
        except ValueError:
            raise ApiError(
                422, "invalid_field", "'domain' is not a domain name", "domain"
            ) from None
    lang = string_field(data, "lang", default="en")
    if lang not in tx.LANGUAGES:
        raise ApiError(422, "invalid_field", "'lang' is en or fr", "lang")
    email = string_field(data, "email", required=require_contact).strip()
    if require_contact:
        try:  # an address our mail can reach: ASCII before the @, the domain as punycode
            email = validate_email(
                email, check_deliverability=False, allow_smtputf8=False
            ).ascii_email
        except EmailNotValidError:
            raise ApiError(
                422,
                "invalid_field",
                "'email' is not an address our mail can reach (ASCII before the @)",
                "email",
            ) from None
    subject = string_field(data, "subject", required=require_contact)
    message = string_field(data, "message", required=require_contact)
    if require_contact and not (subject.strip() and message.strip()):
        field = "subject" if not subject.strip() else "message"
        raise ApiError(422, "missing_field", f"'{field}' is required", field)
    if len(subject) > 255 or len(message) > 20_000:
        raise ApiError(422, "invalid_field", "the subject or message is too long", "message")
    name = string_field(data, "name")
    if len(name) > 200:  # refused, never cut: nothing typed is lost without a word
        raise ApiError(422, "invalid_field", "'name' is 200 characters at most", "name")
    return deflection.RequestInput(
        email=email,
        name=name,
        service_id=service,
        domain=domain or None,
        subject=subject,
        message=message,
        lang=lang,
    )


def _incident_name(incident_id: str, lang: str, default: str) -> str:
    incident = db.session.get(Incident, incident_id)
    return incident.text("name", lang).text if incident is not None else default


def _match_json(result, lang: str) -> dict[str, Any]:
    """The proposal, what the customer would be shown, and every candidate with its reasons.

    Each reason is data (`code`, `params`, its share of the score in log-odds) with its sentence
    in the request's language; `customer` marks those a customer is shown.
    """
    name = reasons.service_namer(deflection.service_names(db.session), lang)
    with force_locale(lang):
        matches = [
            {
                "incident_id": m.incident_id,
                "name": _incident_name(m.incident_id, lang, m.name),
                "score": m.score,
                "reasons": [{**r.as_data(), "text": reasons.sentence(r, name)} for r in m.reasons],
            }
            for m in result.matches
        ]
    return {
        "proposal": result.proposal_id,
        "high": result.high,
        "shown": [m.incident_id for m in result.shown],
        "matches": matches,
    }


@bp.post("/requests/match")
@limiter.limit(match_limit)
def match_request():
    """What the matcher would propose for this request; no side effect."""
    data = only_known(json_body(), MATCH_REQUEST)
    at = time_field(data, "at") or app_now()
    request_input = _request_input(data, require_contact=False)
    result = deflection.match(db.session, request_input, at)
    return jsonify(_match_json(result, request_input.lang))


@bp.post("/requests")
@limiter.limit(submit_limit)
def create_request():
    """The contact form as JSON: matched, stored and acknowledged (`services.intake`)."""
    data = only_known(json_body(), NEW_REQUEST)
    key = data.get("submission_key")
    if key is not None and (not isinstance(key, str) or len(key) > 64):
        raise ApiError(
            422, "invalid_field", "'submission_key' is a string of at most 64", "submission_key"
        )
    receipt = intake.submit(
        db.session, _request_input(data, require_contact=True), key, now=app_now()
    )
    body: dict[str, Any] = {
        "reference": receipt.reference,
        "state": receipt.state.value,
        "proposal": receipt.proposal,
        "shown": list(receipt.shown),
        "url": links.private_link(receipt),
    }
    if receipt.spooled:  # the database could not take it: on disk, told
        with force_locale(receipt.lang):
            body["spooled"] = True
            body["message"] = gettext(
                "Received: we will check it against known incidents in a moment."
            )
    response = jsonify(body)
    response.status_code = 202 if receipt.spooled else 201
    return response


@bp.get("/stats")
@token_required()
def deflection_stats():
    now = app_now()
    rows = deflection.master_tickets(db.session, now=now, limit=50)
    return jsonify(
        {
            "incidents": [
                {
                    "incident_id": row.incident.id,
                    "name": row.incident.name,
                    "status": st.effective_status(row.incident.facts(), now).value,
                    "attached": row.attached,
                    "declined": row.declined,
                    "detached_by_staff": row.detached_by_staff,
                    "still_broken": row.still_broken,
                    "received": row.received,
                    "deflection_rate": None
                    if row.deflection_rate is None
                    else round(row.deflection_rate, 3),
                }
                for row in rows
            ]
        }
    )
