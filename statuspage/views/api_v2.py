"""Atlassian Statuspage's public API v2, spoken exactly: read-only, no auth, CORS `*`.

Tools written for Statuspage (exporters, menu-bar apps, chat integrations) read us unchanged.
Responses are cached per data version like the pages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, g, jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from statuspage import serializers
from statuspage.cache import cached_page, expires_at
from statuspage.clock import app_now
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.i18n import json_language
from statuspage.models import (
    Component,
    Incident,
    SiteState,
    with_timeline,
)
from statuspage.services.incidents import RightNow, right_now
from statuspage.services.overview import next_change

bp = Blueprint("api_v2", __name__, url_prefix="/api/v2")
LIMIT = 50


@bp.after_request
def _cors(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _updated_at() -> datetime | None:
    return db.session.execute(select(SiteState.changed_at).where(SiteState.id == 1)).scalar()


def _current() -> RightNow:
    """What is open now, read once per request and shared by the parts of a response."""
    if "right_now" not in g:
        g.right_now = right_now(db.session, now=app_now())
        for incident in g.right_now.open:
            expires_at(next_change(incident, now=app_now()))
    return g.right_now


def _states() -> dict[str, st.ComponentStatus]:
    return _current().statuses


def _components() -> list[dict[str, Any]]:
    """Groups and children flat, each group followed by its children, as Statuspage lists them."""
    lang = json_language()
    rows = (
        db.session.execute(
            select(Component)
            .where(Component.hidden.is_(False))
            .order_by(Component.position)
            .options(selectinload(Component.children))
        )
        .scalars()
        .all()
    )
    current = _current()
    return [
        serializers.component(c, current.status_of(c), lang)
        for item in rows
        if item.group_id is None
        for c in (item, *(c for c in item.children if not c.hidden))
    ]


def _recent(kind: st.IncidentKind) -> list[Incident]:
    """The 50 most recent of a kind, any status."""
    begins = Incident.begins_at
    query = (
        select(Incident)
        .where(Incident.kind == kind)
        .order_by(begins.desc())
        .limit(LIMIT)
        .options(with_timeline())
    )
    rows = list(db.session.execute(query).scalars())
    for incident in rows:
        expires_at(next_change(incident, now=app_now()))
    return rows


def _open(kind: st.IncidentKind) -> list[Incident]:
    return [i for i in _current().open if i.kind is kind]


def _serialise(rows, states) -> list[dict[str, Any]]:
    lang = json_language()
    return [serializers.incident(i, app_now(), states, lang) for i in rows]


def _status() -> dict[str, str]:
    page = _current().page
    return {"indicator": page.indicator.value, "description": page.description}


def _maintenances(which: str, states) -> list[dict[str, Any]]:
    moment = app_now()
    if which == "all":
        rows = _recent(st.IncidentKind.MAINTENANCE)
    else:
        wanted = (
            (st.IncidentStatus.SCHEDULED,)
            if which == "upcoming"
            else (st.IncidentStatus.IN_PROGRESS, st.IncidentStatus.VERIFYING)
        )
        rows = [
            i
            for i in _open(st.IncidentKind.MAINTENANCE)
            if st.effective_status(i.facts(), moment) in wanted
        ]
        rows.sort(key=lambda i: i.scheduled_for or moment)
    return _serialise(rows, states)


def _unresolved(states) -> list[dict[str, Any]]:
    moment = app_now()
    rows = [i for i in reversed(_open(st.IncidentKind.INCIDENT)) if st.is_active(i.facts(), moment)]
    return _serialise(rows, states)


def _answer(**body):
    return jsonify({"page": serializers.page(_updated_at()), **body})


@bp.get("/summary.json")
@cached_page(language=json_language)
def summary():
    states = _states()
    return _answer(
        components=_components(),
        incidents=_unresolved(states),
        scheduled_maintenances=_maintenances("upcoming", states) + _maintenances("active", states),
        status=_status(),
    )


@bp.get("/status.json")
@cached_page(language=json_language)
def status():
    return _answer(status=_status())


@bp.get("/components.json")
@cached_page(language=json_language)
def components():
    return _answer(components=_components())


@bp.get("/incidents.json")
@cached_page(language=json_language)
def incidents():
    states = _states()
    return _answer(incidents=_serialise(_recent(st.IncidentKind.INCIDENT), states))


@bp.get("/incidents/unresolved.json")
@cached_page(language=json_language)
def unresolved():
    return _answer(incidents=_unresolved(_states()))


@bp.get("/scheduled-maintenances.json")
@cached_page(language=json_language)
def scheduled_maintenances():
    return _answer(scheduled_maintenances=_maintenances("all", _states()))


@bp.get("/scheduled-maintenances/upcoming.json")
@cached_page(language=json_language)
def upcoming_maintenances():
    return _answer(scheduled_maintenances=_maintenances("upcoming", _states()))


@bp.get("/scheduled-maintenances/active.json")
@cached_page(language=json_language)
def active_maintenances():
    return _answer(scheduled_maintenances=_maintenances("active", _states()))
