"""The site's look from `content/site.md`: its accent colours as a style sheet, and its logo.

Both change with a deployment only; they never read the database, so they answer while it is
down, and browsers and CDNs keep them for an hour.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

bp = Blueprint("site", __name__)

MAX_AGE = 3600


@bp.get("/site.css")
def style():
    site = current_app.config["SITE"]
    body = (
        f":root {{ --accent: {site.accent}; }}\n"
        f"@media (prefers-color-scheme: dark) {{ :root {{ --accent: {site.accent_dark}; }} }}\n"
    )
    response = Response(body, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/logo.<any(svg, png):kind>")
def logo(kind: str):
    site = current_app.config["SITE"]
    if not site.logo or not site.logo.lower().endswith(f".{kind}"):
        abort(404)
    return send_from_directory(current_app.config["CONTENT_DIR"], site.logo, max_age=MAX_AGE)
