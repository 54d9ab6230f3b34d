"""`/history.atom|rss`, and the same per component (or group) and per incident."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from statuspage.cache import cached_page
from statuspage.domain.ids import is_public_id
from statuspage.extensions import db
from statuspage.i18n import json_language
from statuspage.models import Component, ComponentChange, Incident, IncidentUpdate
from statuspage.web import feeds

bp = Blueprint("feeds", __name__)
MIMETYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}


def feed_language() -> str:
    return json_language()


def _updates(query, limit: int = feeds.DEFAULT_ENTRIES) -> list[IncidentUpdate]:
    query = (
        query.order_by(IncidentUpdate.display_at.desc(), IncidentUpdate.position.desc())
        .limit(limit)
        .options(
            selectinload(IncidentUpdate.changes).selectinload(ComponentChange.component),
            selectinload(IncidentUpdate.incident),
        )
    )
    return list(db.session.execute(query).scalars())


def _respond(updates, title: str, endpoint: str, kind: str, page_url: str, **values):
    lang = feed_language()
    base = current_app.config["BASE_URL"]
    self_url = base + url_for(endpoint, kind=kind, lang=lang, **values)
    body = feeds.build(
        updates, title=title, self_url=self_url, page_url=base + page_url, lang=lang, kind=kind
    )
    response = Response(body, mimetype=MIMETYPES[kind])
    response.headers["Content-Language"] = lang
    return response


@bp.get("/history.<any(atom, rss):kind>")
@cached_page(language=json_language)
def site(kind: str):
    with force_locale(feed_language()):
        title = _("%(site)s: incident history", site=current_app.config["SITE_NAME"])
    return _respond(
        _updates(select(IncidentUpdate)), title, "feeds.site", kind, url_for("public.history")
    )


@bp.get("/components/<component_id>/history.<any(atom, rss):kind>")
@cached_page(language=json_language)
def component(component_id: str, kind: str):
    item = db.session.get(Component, component_id) if is_public_id(component_id) else None
    if item is None or item.hidden:
        abort(404)
    ids = [item.id, *(c.id for c in item.children)]
    incidents = (
        select(IncidentUpdate.incident_id)
        .join(ComponentChange, ComponentChange.update_id == IncidentUpdate.id)
        .where(ComponentChange.component_id.in_(ids))
    )
    query = select(IncidentUpdate).where(IncidentUpdate.incident_id.in_(incidents))
    lang = feed_language()
    with force_locale(lang):
        title = _(
            "%(site)s: %(component)s",
            site=current_app.config["SITE_NAME"],
            component=item.name(lang),
        )
    return _respond(
        _updates(query),
        title,
        "feeds.component",
        kind,
        url_for("public.component", component_id=item.id),
        component_id=item.id,
    )


@bp.get("/incidents/<incident_id>/history.<any(atom, rss):kind>")
@cached_page(language=json_language)
def incident(incident_id: str, kind: str):
    item = db.session.get(Incident, incident_id) if is_public_id(incident_id) else None
    if item is None:
        abort(404)
    query = select(IncidentUpdate).where(IncidentUpdate.incident_id == item.id)
    return _respond(
        _updates(query, limit=500),
        item.text("name", feed_language()).text,
        "feeds.incident",
        kind,
        url_for("public.incident", incident_id=item.id),
        incident_id=item.id,
    )
