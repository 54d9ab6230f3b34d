"""Incidents through the API: list, open, read, edit, update, resolve; the components and the
OpenAPI document."""

from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from statuspage import serializers
from statuspage.clock import app_now
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component, Incident, still_open
from statuspage.services import operations
from statuspage.services.incidents import right_now
from statuspage.views.api.base import (
    MAX_LIST,
    ApiError,
    actor,
    bp,
    components_field,
    enum_field,
    incident_json,
    json_body,
    keywords_field,
    lang_field,
    load_incident,
    only_known,
    texts_field,
    time_field,
    token_required,
    translations_field,
)
from statuspage.web.openapi import INCIDENT_CREATE, RESOLVE, UPDATE_CREATE, document


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/components")
@token_required()
def components():
    current = right_now(db.session, now=app_now())
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
    states = right_now(db.session, now=now).statuses  # once for the list, not once per incident
    return jsonify({"incidents": [incident_json(i, now, states) for i in items]})


@bp.post("/incidents")
@token_required()
def create_incident():
    data = only_known(json_body(), INCIDENT_CREATE)
    now = app_now()
    kind = enum_field(st.IncidentKind, data, "kind", st.IncidentKind.INCIDENT)
    maintenance = kind is st.IncidentKind.MAINTENANCE
    status = enum_field(
        st.IncidentStatus,
        data,
        "status",
        st.IncidentStatus.SCHEDULED if maintenance else st.IncidentStatus.INVESTIGATING,
    )
    impact = enum_field(
        st.Impact, data, "impact", st.Impact.MAINTENANCE if maintenance else st.Impact.NONE
    )
    lang = lang_field(data)
    translations = translations_field(data, ("name", "body"))
    payload = operations.IncidentInput(
        name=texts_field(data, "name", lang, translations, required=True),
        kind=kind,
        status=status,
        impact=impact,
        body=texts_field(data, "body", lang, translations, required=True),
        components=components_field(data),
        started_at=time_field(data, "started_at"),
        scheduled_for=time_field(data, "scheduled_for"),
        scheduled_until=time_field(data, "scheduled_until"),
        keywords=keywords_field(data) or (),
        display_at=time_field(data, "display_at"),
    )
    incident = operations.open_incident(db.session, payload, actor=actor(), now=now)
    response = jsonify(incident_json(incident, now))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    return response


@bp.get("/incidents/<incident_id>")
@token_required()
def get_incident(incident_id: str):
    return jsonify(incident_json(load_incident(incident_id), app_now()))


@bp.patch("/incidents/<incident_id>")
@token_required()
def patch_incident(incident_id: str):
    incident = load_incident(incident_id)
    data = json_body()
    unknown = set(data) - {"name", "lang", "translations", "impact", "keywords"}
    if unknown:
        raise ApiError(
            422,
            "invalid_field",
            "only name (with lang and translations), impact and keywords can be changed here",
            sorted(unknown)[0],
        )
    names = texts_field(data, "name", lang_field(data), translations_field(data, ("name",)))
    name = names or None
    impact = enum_field(st.Impact, data, "impact") if "impact" in data else None
    now = app_now()
    operations.edit_incident(
        db.session,
        incident,
        actor=actor(),
        now=now,
        name=name,
        impact=impact,
        keywords=keywords_field(data),
    )
    return jsonify(incident_json(incident, now))


@bp.post("/incidents/<incident_id>/updates")
@token_required()
def add_update(incident_id: str):
    incident = load_incident(incident_id)
    data = only_known(json_body(), UPDATE_CREATE)
    now = app_now()
    status = enum_field(st.IncidentStatus, data, "status")
    notify = data.get("deliver_notifications", True)
    if not isinstance(notify, bool):
        raise ApiError(
            422, "invalid_field", "'deliver_notifications' is a boolean", "deliver_notifications"
        )
    body = texts_field(data, "body", lang_field(data), translations_field(data, ("body",)))
    operations.add_update(
        db.session,
        incident,
        status=status,
        body=body,
        components=components_field(data),
        actor=actor(),
        now=now,
        display_at=time_field(data, "display_at"),
        deliver_notifications=notify,
    )
    response = jsonify(incident_json(incident, now))
    response.status_code = 201
    return response


@bp.post("/incidents/<incident_id>/resolve")
@token_required()
def resolve(incident_id: str):
    incident = load_incident(incident_id)
    data = only_known(json_body(), RESOLVE)
    now = app_now()
    body = texts_field(
        data, "body", lang_field(data), translations_field(data, ("body",)), required=True
    )
    display_at = time_field(data, "display_at")
    operations.resolve(db.session, incident, body, actor=actor(), now=now, display_at=display_at)
    return jsonify(incident_json(incident, now))
