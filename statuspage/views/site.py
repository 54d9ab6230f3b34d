"""The site's look from `content/site.md`: its accent colours as a style sheet, and its logo.

Both change with a deployment only; they never read the database, so they answer while it is
down, and browsers and CDNs keep them for an hour.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request

bp = Blueprint("site", __name__)

MAX_AGE = 3600


def _kept(body: str | bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/site.css")
def style():
    site = current_app.config["SITE"]
    return _kept(
        f":root {{ --accent: {site.accent}; }}\n"
        f"@media (prefers-color-scheme: dark) {{ :root {{ --accent: {site.accent_dark}; }} }}\n",
        "text/css",
    )


@bp.get("/logo.<any(svg, png):kind>")
def logo(kind: str):
    site = current_app.config["SITE"]
    if not site.logo or not site.logo.lower().endswith(f".{kind}"):
        abort(404)
    body = (Path(current_app.config["CONTENT_DIR"]) / site.logo).read_bytes()  # a few KB
    return _kept(body, "image/svg+xml" if kind == "svg" else "image/png")
