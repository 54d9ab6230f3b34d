"""Badges (SVG) and the embeddable banner, for the help center and the customer panel."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template
from markupsafe import escape

from statuspage import links
from statuspage.cache import cached_page, current_overview
from statuspage.domain import status as st
from statuspage.domain.ids import is_public_id
from statuspage.extensions import db
from statuspage.i18n import LABELS, current_language
from statuspage.models import Component
from statuspage.web.cards import COLOURS

bp = Blueprint("badges", __name__)


def _width(text: str) -> int:
    return 10 + int(len(text) * 6.6)


def svg(label: str, message: str, colour: str) -> Response:
    left, right = _width(label), _width(message)
    total = left + right
    body = f"""<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" \
aria-label="{escape(label)}: {escape(message)}">
<title>{escape(label)}: {escape(message)}</title>
<rect width="{left}" height="20" fill="#555"/>
<rect x="{left}" width="{right}" height="20" fill="{colour}"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
<text x="5" y="14">{escape(label)}</text>
<text x="{left + 5}" y="14">{escape(message)}</text>
</g>
</svg>"""
    return Response(body, mimetype="image/svg+xml")


@bp.get("/badge.svg")
@cached_page
def site():
    page = current_overview().page
    return svg(
        current_app.config["SITE_NAME"],
        str(LABELS["indicator"][page.indicator]),
        COLOURS[page.indicator.value],
    )


@bp.get("/components/<component_id>/badge.svg")
@cached_page
def component(component_id: str):
    item = db.session.get(Component, component_id) if is_public_id(component_id) else None
    if item is None or item.hidden:
        abort(404)
    node = current_overview().node(item.id)
    status = node.status if node else st.ComponentStatus.OPERATIONAL
    return svg(
        item.name(current_language()), str(LABELS["component"][status]), COLOURS[status.value]
    )


@bp.get("/embed")
@cached_page
def embed():
    """A small banner other sites can put in an iframe: active incidents, or all is well."""
    return render_template("public/embed.html", overview=current_overview())


@bp.get("/embed.js")
@cached_page
def embed_script():
    base = urlsplit(current_app.config["BASE_URL"])
    src = links.absolute_url("badges.embed")
    # an origin as browsers write it: lower case, no default port (https://host:443 is
    # https://host, and would never equal the message's origin)
    host = (base.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(base.scheme)
    port = "" if base.port in (None, default) else f":{base.port}"
    body = render_template("public/embed.js", src=src, origin=f"{base.scheme}://{host}{port}")
    response = Response(body, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
