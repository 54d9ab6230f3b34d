"""Security headers on every response, set in one place.

The Content-Security-Policy allows scripts and styles from the site itself only (`static/`):
no inline script, style or `style=` attribute anywhere. Every page refuses to be framed
(clickjacking on the console's one-click buttons) except `/embed`, the banner other sites put in
an iframe; the rule is read from the endpoint, so a page served from the page cache gets it too.
The live chat snippet an admin pastes is third-party HTML: the origins it loads from, and the
hashes of its inline scripts, are allowed on the public pages that show it.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.wrappers import Response

#: Pages that other sites may frame.
EMBEDDABLE = frozenset({"badges.embed"})
#: Pages whose address carries a secret token: the browser never sends it as a Referer.
TOKEN_IN_URL = frozenset(
    {
        "contact.request_page",
        "subscriptions.confirm",
        "subscriptions.manage",
        "subscriptions.unsubscribe",
    }
)
#: Private pages: never kept by a browser, proxy or CDN.
PRIVATE_PREFIXES = ("/staff", "/api/v1/", "/requests/", "/subscriptions/")
HSTS = "max-age=31536000"
NONE = "'none'"


class _Sources(HTMLParser):
    """The origins a snippet loads from, and the contents of its inline scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.origins: set[str] = set()
        self.inline: list[str] = []
        self._script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("src", "href"):
            url = values.get(name) or ""
            parts = urlsplit(url.strip())
            if parts.scheme == "https" and parts.hostname:
                self.origins.add(f"https://{parts.netloc}")
        if tag == "script" and not values.get("src"):
            self._script = []

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.inline.append("".join(self._script))
            self._script = None


@lru_cache(maxsize=8)
def snippet_sources(snippet: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(https origins, 'sha256-…' sources of inline scripts) of a chat snippet."""
    parser = _Sources()
    parser.feed(snippet)
    parser.close()
    hashes = tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in parser.inline
    )
    return tuple(sorted(parser.origins)), hashes


def content_security_policy(embeddable: bool, snippet: str = "") -> str:
    origins, hashes = snippet_sources(snippet) if snippet else ((), ())
    extra = " ".join(origins)
    script = " ".join(("'self'", *origins, *hashes))
    directives = [
        "default-src 'self'",
        f"script-src {script}",
        f"style-src 'self' {extra}".rstrip(),
        f"img-src 'self' data: {extra}".rstrip(),
        f"connect-src 'self' {extra}".rstrip(),
        f"frame-src {extra or NONE}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors *" if embeddable else "frame-ancestors 'none'",
    ]
    return "; ".join(directives)


def _chat_snippet() -> str:
    """The snippet public pages show; read once per data version when the page cache knows it
    (a page served from the cache costs no extra query)."""
    if request.blueprint != "public":
        return ""
    from statuspage.extensions import db
    from statuspage.services import settings

    version = request.environ.get("statuspage.version")
    known = current_app.extensions.get("statuspage_chat_snippet")
    if request.environ.get("statuspage.database_down"):  # a stale page: the last snippet known
        return known[1] if known is not None else ""
    if version is not None and known is not None and known[0] == version:
        return known[1]
    try:
        snippet = settings.get(db.session, "chat_snippet") or ""
    except Exception:  # noqa: BLE001 - a header is no reason to fail the page
        return ""
    if version is not None:
        current_app.extensions["statuspage_chat_snippet"] = (version, snippet)
    return snippet


def secure_headers(response: Response) -> Response:
    embeddable = request.endpoint in EMBEDDABLE
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(embeddable, _chat_snippet())
    if not embeddable:
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = (
        "no-referrer" if request.endpoint in TOKEN_IN_URL else "strict-origin-when-cross-origin"
    )
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["BASE_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
