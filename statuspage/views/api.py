"""The staff API (`/api/v1/`): bearer tokens, JSON in and out, JSON errors only."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import force_locale, gettext
from sqlalchemy import select

from statuspage import links, reasons, serializers
from statuspage.clock import app_now
from statuspage.database import DATABASE_ERRORS
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.domain.cleaning import clean_data, plausible_time
from statuspage.domain.domains import normalise as normalise_domain
from statuspage.domain.ids import is_public_id
from statuspage.extensions import csrf, db, limiter
from statuspage.models import ApiToken, AuditEntry, Component, Incident, StaffRole, still_open
from statuspage.services import deflection, intake, operations, staff
from statuspage.services.incidents import right_now
from statuspage.web.errors import json_error
from statuspage.web.limits import match_limit, submit_limit
from statuspage.web.openapi import (
    INCIDENT_CREATE,
    MATCH_REQUEST,
    NEW_REQUEST,
    RESOLVE,
    TOKEN_CREATE,
    UPDATE_CREATE,
    document,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_LIST = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return json_error(error.status, error.code, error.message, error.field)


def token_required(role: StaffRole = StaffRole.RESPONDER):
    """Bearer token auth; cookies are ignored here. `admin` routes refuse responder tokens."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer" or not secret.strip():
                raise ApiError(401, "unauthorized", "a bearer token is needed")
            token = staff.find_token(db.session, secret.strip())
            if token is None:
                raise ApiError(401, "unauthorized", "unknown or revoked token")
            if role is StaffRole.ADMIN and not token.is_admin:
                raise ApiError(403, "forbidden", "this endpoint needs an admin token")
            token.last_used_at = app_now()
            g.api_token = token
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator


def actor() -> str:
    return f"token:{g.api_token.name}"


def _json() -> dict[str, Any]:
    """The body as a JSON object, every string in it without control characters."""
    try:
        data = clean_data(request.get_json(silent=True))
    except RecursionError:  # thousands of nested arrays: not a document we read
        raise ApiError(400, "invalid_json", "the JSON document is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


def _only(data: dict, schema: dict) -> dict:
    """Unknown keys are refused, as the OpenAPI document's `additionalProperties: false` says."""
    unknown = sorted(set(data) - set(schema["properties"]))
    if unknown:
        raise ApiError(422, "invalid_field", f"unknown field '{unknown[0]}'", unknown[0])
    return data


def _string(data: dict, key: str, required: bool = False, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ApiError(422, "missing_field", f"'{key}' is required", key)
        return default
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"'{key}' must be a string", key)
    return value


def _enum(enum_cls, data: dict, key: str, default=None):
    value = data.get(key)
    if value is None:
        if default is None:
            raise ApiError(422, "missing_field", f"'{key}' is required", key)
        return default
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise ApiError(422, "invalid_field", f"'{key}' must be one of: {allowed}", key) from None


def _time(data: dict, key: str) -> datetime | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"'{key}' must be an ISO 8601 time", key)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(422, "invalid_field", f"'{key}' must be an ISO 8601 time", key) from None
    if not plausible_time(moment):
        raise ApiError(422, "invalid_field", f"'{key}' must be a time between 2000 and 2100", key)
    return moment


def _components(data: dict) -> dict[str, str]:
    value = data.get("components") or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ApiError(
            422, "invalid_field", "'components' maps component ids to statuses", "components"
        )
    return value


def _keywords(data: dict) -> tuple[str, ...] | None:
    value = data.get("keywords")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ApiError(422, "invalid_field", "'keywords' is a list of strings", "keywords")
    return tuple(value)


def _lang(data: dict) -> str:
    """The language of `name` and `body`: the site's default unless `lang` says."""
    value = data.get("lang")
    if value is None:
        return current_app.config["DEFAULT_LANGUAGE"]
    if value not in tx.LANGUAGES:
        raise ApiError(422, "invalid_field", "'lang' is en or fr", "lang")
    return value


def _translations(data: dict, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`translations: {"fr": {"name": …, "body": …}, "en": {…}}`, checked."""
    value = data.get("translations")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(
            422, "invalid_field", "'translations' maps en or fr to texts", "translations"
        )
    result: dict[str, dict[str, str]] = {}
    for lang, entry in value.items():
        if lang not in tx.LANGUAGES:
            raise ApiError(
                422, "invalid_field", "'translations' has only the keys en and fr", "translations"
            )
        if not isinstance(entry, dict):
            raise ApiError(
                422, "invalid_field", f"'translations.{lang}' is an object", "translations"
            )
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise ApiError(
                422,
                "invalid_field",
                f"unknown field 'translations.{lang}.{unknown[0]}'",
                "translations",
            )
        result[lang] = {}
        for field in fields:
            text = entry.get(field)
            if text is None:
                continue
            if not isinstance(text, str):
                raise ApiError(
                    422,
                    "invalid_field",
                    f"'translations.{lang}.{field}' must be a string",
                    "translations",
                )
            result[lang][field] = text
    return result


def _texts(
    data: dict, field: str, lang: str, translations: dict, required: bool = False
) -> dict[str, str]:
    """The languages given for `field`: `field` itself in `lang`, the others from
    `translations` (`field` wins over `translations[lang]`)."""
    given = {k: v[field] for k, v in translations.items() if field in v}
    if field in data or required:
        given[lang] = _string(data, field, required=required)
    return given


def _reading_lang() -> str:
    asked = request.args.get("lang")
    return asked if asked in tx.LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]


def _incident_json(
    incident: Incident, now: datetime, states: dict[str, st.ComponentStatus] | None = None
) -> dict[str, Any]:
    """Statuspage's shape with `name` and `body` in the site's default language (or `?lang=`),
    falling back to the other, and `translations` holding both languages."""
    if states is None:
        states = right_now(db.session, now).statuses
    lang = _reading_lang()
    data = serializers.incident(incident, now, states, lang)
    data.setdefault("scheduled_for", None)
    data.setdefault("scheduled_until", None)
    data["kind"] = incident.kind.value
    data["keywords"] = list(incident.keywords or [])
    data["lang"] = incident.text("name", lang).lang
    names, postmortems = incident.texts("name"), incident.texts("postmortem")
    data["translations"] = {
        k: {"name": names[k], "postmortem": postmortems[k]} for k in tx.LANGUAGES
    }
    by_id = {u.id: u for u in incident.updates}
    for entry in data["incident_updates"]:
        bodies = by_id[entry["id"]].texts("body")
        entry["lang"] = by_id[entry["id"]].text("body", lang).lang
        entry["translations"] = {k: {"body": bodies[k]} for k in tx.LANGUAGES}
    return data


def _load(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise ApiError(404, "not_found", f"no incident '{incident_id}'")
    return incident


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/components")
@token_required()
def components():
    current = right_now(db.session, app_now())
    rows = db.session.execute(
        select(Component).where(Component.hidden.is_(False)).order_by(Component.position)
    ).scalars()
    return jsonify({"components": [serializers.component(i, current.status_of(i)) for i in rows]})


@bp.get("/incidents")
@token_required()
def list_incidents():
    which = request.args.get("status", "unresolved")
    if which not in ("unresolved", "all"):
        raise ApiError(422, "invalid_field", "'status' is unresolved or all", "status")
    limit = request.args.get("limit", "50")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
        raise ApiError(422, "invalid_field", f"'limit' is 1 to {MAX_LIST}", "limit")
    now = app_now()
    begins = Incident.begins_at
    query = select(Incident).order_by(begins.desc())
    if which == "unresolved":
        query = query.where(still_open(now))
    rows = db.session.execute(query.limit(int(limit))).scalars()
    items = [
        i
        for i in rows
        if which == "all" or st.effective_status(i.facts(), now) not in st.CLOSED_STATUSES
    ]
    states = right_now(db.session, now).statuses  # once for the list, not once per incident
    return jsonify({"incidents": [_incident_json(i, now, states) for i in items]})


@bp.post("/incidents")
@token_required()
def create_incident():
    data = _only(_json(), INCIDENT_CREATE)
    now = app_now()
    kind = _enum(st.IncidentKind, data, "kind", st.IncidentKind.INCIDENT)
    maintenance = kind is st.IncidentKind.MAINTENANCE
    status = _enum(
        st.IncidentStatus,
        data,
        "status",
        st.IncidentStatus.SCHEDULED if maintenance else st.IncidentStatus.INVESTIGATING,
    )
    impact = _enum(
        st.Impact, data, "impact", st.Impact.MAINTENANCE if maintenance else st.Impact.NONE
    )
    lang = _lang(data)
    translations = _translations(data, ("name", "body"))
    payload = operations.IncidentInput(
        name=_texts(data, "name", lang, translations, required=True),
        kind=kind,
        status=status,
        impact=impact,
        body=_texts(data, "body", lang, translations, required=True),
        components=_components(data),
        started_at=_time(data, "started_at"),
        scheduled_for=_time(data, "scheduled_for"),
        scheduled_until=_time(data, "scheduled_until"),
        keywords=_keywords(data) or (),
        display_at=_time(data, "display_at"),
    )
    incident = operations.open_incident(db.session, payload, actor=actor(), now=now)
    response = jsonify(_incident_json(incident, now))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    return response


@bp.get("/incidents/<incident_id>")
@token_required()
def get_incident(incident_id: str):
    return jsonify(_incident_json(_load(incident_id), app_now()))


@bp.patch("/incidents/<incident_id>")
@token_required()
def patch_incident(incident_id: str):
    incident = _load(incident_id)
    data = _json()
    unknown = set(data) - {"name", "lang", "translations", "impact", "keywords"}
    if unknown:
        raise ApiError(
            422,
            "invalid_field",
            "only name (with lang and translations), impact and keywords can be changed here",
            sorted(unknown)[0],
        )
    names = _texts(data, "name", _lang(data), _translations(data, ("name",)))
    name = names or None
    impact = _enum(st.Impact, data, "impact") if "impact" in data else None
    now = app_now()
    operations.edit_incident(
        db.session,
        incident,
        actor=actor(),
        now=now,
        name=name,
        impact=impact,
        keywords=_keywords(data),
    )
    return jsonify(_incident_json(incident, now))


@bp.post("/incidents/<incident_id>/updates")
@token_required()
def add_update(incident_id: str):
    incident = _load(incident_id)
    data = _only(_json(), UPDATE_CREATE)
    now = app_now()
    status = _enum(st.IncidentStatus, data, "status")
    notify = data.get("deliver_notifications", True)
    if not isinstance(notify, bool):
        raise ApiError(
            422, "invalid_field", "'deliver_notifications' is a boolean", "deliver_notifications"
        )
    body = _texts(data, "body", _lang(data), _translations(data, ("body",)))
    operations.add_update(
        db.session,
        incident,
        status=status,
        body=body,
        components=_components(data),
        actor=actor(),
        now=now,
        display_at=_time(data, "display_at"),
        deliver_notifications=notify,
    )
    response = jsonify(_incident_json(incident, now))
    response.status_code = 201
    return response


@bp.post("/incidents/<incident_id>/resolve")
@token_required()
def resolve(incident_id: str):
    incident = _load(incident_id)
    data = _only(_json(), RESOLVE)
    now = app_now()
    body = _texts(data, "body", _lang(data), _translations(data, ("body",)), required=True)
    display_at = _time(data, "display_at")
    operations.resolve(db.session, incident, body, actor=actor(), now=now, display_at=display_at)
    return jsonify(_incident_json(incident, now))


def _token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "prefix": token.prefix,
        "created_by": token.created_by,
        "created_at": serializers.timestamp(token.created_at),
        "last_used_at": serializers.timestamp(token.last_used_at),
        "revoked_at": serializers.timestamp(token.revoked_at),
    }


@bp.get("/tokens")
@token_required(StaffRole.ADMIN)
def list_tokens():
    rows = db.session.execute(select(ApiToken).order_by(ApiToken.id)).scalars()
    return jsonify({"tokens": [_token_json(t) for t in rows]})


@bp.post("/tokens")
@token_required(StaffRole.ADMIN)
def create_token():
    data = _only(_json(), TOKEN_CREATE)
    role = _enum(StaffRole, data, "role", StaffRole.RESPONDER)
    try:
        token, secret = staff.create_token(
            db.session, _string(data, "name", required=True), role, actor=actor(), now=app_now()
        )
    except staff.StaffError as error:
        raise ApiError(422, "invalid_field", str(error), "name") from None
    response = jsonify({**_token_json(token), "token": secret})
    response.status_code = 201
    return response


@bp.delete("/tokens/<int:token_id>")
@token_required(StaffRole.ADMIN)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise ApiError(404, "not_found", f"no token {token_id}")
    staff.revoke_token(db.session, token, actor=actor(), now=app_now())
    return jsonify(_token_json(token))


@bp.get("/audit")
@token_required(StaffRole.ADMIN)
def audit_log():
    limit = request.args.get("limit", "50")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
        raise ApiError(422, "invalid_field", f"'limit' is 1 to {MAX_LIST}", "limit")
    rows = db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(int(limit))
    ).scalars()
    return jsonify(
        {
            "entries": [
                {
                    "id": e.id,
                    "at": serializers.timestamp(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target_type": e.target_type,
                    "target_id": e.target_id,
                    "before": e.before,
                    "after": e.after,
                }
                for e in rows
            ]
        }
    )


# -- public endpoints of the contact form (no token; rate-limited per client address) ----------


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
    domain = _string(data, "domain").strip()
    if domain:
        try:
            domain = normalise_domain(domain)[0]
        except ValueError:
            raise ApiError(
                422, "invalid_field", "'domain' is not a domain name", "domain"
            ) from None
    lang = _string(data, "lang", default="en")
    if lang not in tx.LANGUAGES:
        raise ApiError(422, "invalid_field", "'lang' is en or fr", "lang")
    email = _string(data, "email", required=require_contact).strip()
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
    subject = _string(data, "subject", required=require_contact)
    message = _string(data, "message", required=require_contact)
    if require_contact and not (subject.strip() and message.strip()):
        field = "subject" if not subject.strip() else "message"
        raise ApiError(422, "missing_field", f"'{field}' is required", field)
    if len(subject) > 255 or len(message) > 20_000:
        raise ApiError(422, "invalid_field", "the subject or message is too long", "message")
    name = _string(data, "name")
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
    data = _only(_json(), MATCH_REQUEST)
    at = _time(data, "at") or app_now()
    request_input = _request_input(data, require_contact=False)
    result = deflection.match(db.session, request_input, at)
    return jsonify(_match_json(result, request_input.lang))


@bp.post("/requests")
@limiter.limit(submit_limit)
def create_request():
    """The contact form as JSON: matched, stored and acknowledged (`services.intake`)."""
    data = _only(_json(), NEW_REQUEST)
    key = data.get("submission_key")
    if key is not None and (not isinstance(key, str) or len(key) > 64):
        raise ApiError(
            422, "invalid_field", "'submission_key' is a string of at most 64", "submission_key"
        )
    receipt = intake.submit(db.session, _request_input(data, require_contact=True), key, app_now())
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
    rows = deflection.master_tickets(db.session, now, limit=50)
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
