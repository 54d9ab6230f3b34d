"""The API's blueprint and what its endpoints share: bearer tokens, JSON errors, reading a
JSON body field by field, an incident as JSON."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, g, request

from statuspage import serializers
from statuspage.clock import app_now
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.domain.cleaning import clean_data, plausible_time
from statuspage.extensions import csrf, db
from statuspage.models import Incident, StaffRole
from statuspage.services import staff
from statuspage.services.incidents import right_now
from statuspage.web.errors import json_error

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


def json_body() -> dict[str, Any]:
    """The body as a JSON object, every string in it without control characters."""
    try:
        data = clean_data(request.get_json(silent=True))
    except RecursionError:  # thousands of nested arrays: not a document we read
        raise ApiError(400, "invalid_json", "the JSON document is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


def only_known(data: dict, schema: dict) -> dict:
    """Unknown keys are refused, as the OpenAPI document's `additionalProperties: false` says."""
    unknown = sorted(set(data) - set(schema["properties"]))
    if unknown:
        raise ApiError(422, "invalid_field", f"unknown field '{unknown[0]}'", unknown[0])
    return data


def string_field(data: dict, key: str, required: bool = False, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise ApiError(422, "missing_field", f"'{key}' is required", key)
        return default
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"'{key}' must be a string", key)
    return value


def enum_field(enum_cls, data: dict, key: str, default=None):
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


def time_field(data: dict, key: str) -> datetime | None:
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


def components_field(data: dict) -> dict[str, str]:
    value = data.get("components") or {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ApiError(
            422, "invalid_field", "'components' maps component ids to statuses", "components"
        )
    return value


def keywords_field(data: dict) -> tuple[str, ...] | None:
    value = data.get("keywords")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ApiError(422, "invalid_field", "'keywords' is a list of strings", "keywords")
    return tuple(value)


def lang_field(data: dict) -> str:
    """The language of `name` and `body`: the site's default unless `lang` says."""
    value = data.get("lang")
    if value is None:
        return current_app.config["DEFAULT_LANGUAGE"]
    if value not in tx.LANGUAGES:
        raise ApiError(422, "invalid_field", "'lang' is en or fr", "lang")
    return value


def translations_field(data: dict, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
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


def texts_field(
    data: dict, field: str, lang: str, translations: dict, required: bool = False
) -> dict[str, str]:
    """The languages given for `field`: `field` itself in `lang`, the others from
    `translations` (`field` wins over `translations[lang]`)."""
    given = {k: v[field] for k, v in translations.items() if field in v}
    if field in data or required:
        given[lang] = string_field(data, field, required=required)
    return given


def _reading_lang() -> str:
    asked = request.args.get("lang")
    return asked if asked in tx.LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]


def incident_json(
    incident: Incident, now: datetime, states: dict[str, st.ComponentStatus] | None = None
) -> dict[str, Any]:
    """Statuspage's shape with `name` and `body` in the site's default language (or `?lang=`),
    falling back to the other, and `translations` holding both languages."""
    if states is None:
        states = right_now(db.session, now=now).statuses
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


def load_incident(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise ApiError(404, "not_found", f"no incident '{incident_id}'")
    return incident
