"""The public status pages: thin views over `services.overview`, cached per data version."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _

from statuspage.cache import cached_page, current_overview, expires_at
from statuspage.clock import app_now
from statuspage.content import pages_cached
from statuspage.domain import status as st
from statuspage.domain.ids import is_public_id
from statuspage.extensions import db
from statuspage.i18n import LABELS, current_language
from statuspage.models import Component
from statuspage.services import backlog, settings
from statuspage.services import overview as ov
from statuspage.web import cards
from statuspage.web.inputs import page_number

bp = Blueprint("public", __name__)


@bp.context_processor
def _live_chat():
    """The chat widget shows unless Backlog Killer mode is on (computed once per render)."""

    def live_chat() -> str:
        snippet = settings.get(db.session, "chat_snippet")
        if not snippet or backlog.current(db.session, now=app_now()).active:
            return ""
        return snippet

    return {"live_chat": live_chat}


@bp.get("/")
@cached_page
def index():
    return render_template("public/index.html", overview=current_overview())


def _incident_view(incident_id: str) -> ov.IncidentView:
    """The incident as its pages show it now, or 404; the page turns stale at its next change."""
    if not is_public_id(incident_id):
        abort(404)
    view = ov.incident_page(db.session, incident_id, now=app_now())
    if view is None:
        abort(404)
    expires_at(ov.next_change(view.incident, now=app_now()))
    return view


@bp.get("/incidents/<incident_id>")
@cached_page
def incident(incident_id: str):
    view = _incident_view(incident_id)
    fonts, _cache = current_app.extensions["statuspage_cards"]
    card = _card(view) if fonts is not None else None
    return render_template(
        "public/incident.html",
        view=view,
        now=app_now(),
        card=card,
        card_version=card.digest(fonts) if card else None,
    )


def _card(view: ov.IncidentView) -> cards.Card:
    """The words of an incident's og:image card, in the page's language."""
    incident = view.incident
    lang = current_language()
    maintenance = incident.kind is st.IncidentKind.MAINTENANCE
    if not view.active and not view.upcoming:
        colour = cards.COLOURS["operational"]
    elif maintenance:
        colour = cards.COLOURS["maintenance"]
    else:
        colour = cards.COLOURS.get(incident.impact.value, cards.COLOURS["minor"])
        if incident.impact is st.Impact.NONE:
            colour = cards.COLOURS["minor"]
    return cards.Card(
        lang=lang,
        site=current_app.config["SITE_NAME"],
        host=urlsplit(current_app.config["BASE_URL"]).netloc,
        title=incident.name,
        status=str(LABELS["incident"][view.status]),
        impact="" if maintenance else f"{_('Impact:')} {LABELS['impact'][incident.impact]}",
        services_heading=_("Affected services"),
        services=tuple(component.name(lang) for component, _status in view.components),
        colour=colour,
    )


@bp.get("/incidents/<incident_id>/card.png")
@cached_page
def card(incident_id: str):
    """The incident's og:image: drawn once per content and language, then served from memory."""
    fonts, cache = current_app.extensions["statuspage_cards"]
    if fonts is None:
        abort(404)
    view = _incident_view(incident_id)
    return Response(cache.png(_card(view), fonts), mimetype="image/png")


@bp.get("/i/<incident_id>")
def shortlink(incident_id: str):
    """The short link that the share panel hands out."""
    if not is_public_id(incident_id):
        abort(404)
    return redirect(url_for("public.incident", incident_id=incident_id), 301)


@bp.get("/components/<component_id>")
@cached_page
def component(component_id: str):
    if not is_public_id(component_id):
        abort(404)
    item = db.session.get(Component, component_id)
    if item is None or item.hidden:
        abort(404)
    overview = current_overview()
    node = overview.node(component_id)
    if node is None:
        abort(404)
    incidents = ov.component_incidents(db.session, item, now=app_now())
    return render_template(
        "public/component.html", node=node, incidents=incidents, overview=overview
    )


@bp.get("/history")
@cached_page(params=("page",))
def history():
    page = page_number(maximum=1000)
    result = ov.history(db.session, page, current_app.config["HISTORY_PAGE_SIZE"], now=app_now())
    return render_template("public/history.html", history=result)


@bp.get("/about")
@cached_page
def about():
    page = pages_cached(current_app.config["CONTENT_DIR"]).get("about")
    if page is None:
        abort(404)
    lang = current_language()
    return render_template("public/text.html", title=page.titles[lang], body=page.bodies[lang])
