"""Public pages rendered once per change of the data, then served from memory.

Each request costs one primary-key read of the data version (shared by every instance through
the database). A rendered page is kept until the version changes or its `valid_until` passes
(a maintenance window opening, midnight turning the uptime bars, or `PAGE_CACHE_SECONDS`).
Responses carry an `ETag` so browsers and CDNs revalidate with `304 Not Modified`.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app, request

from statuspage.clock import app_now
from statuspage.extensions import db
from statuspage.i18n import current_language
from statuspage.services.versioning import current_version


@dataclass(frozen=True)
class Entry:
    body: bytes
    mimetype: str
    status: int
    etag: str
    expires_at: datetime
    rendered_at: datetime  #: Last-Modified: what the page says may have changed then
    headers: tuple[tuple[str, str], ...] = ()


class PageCache:
    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.renders = 0  #: how many times a page was computed (for tests and benchmarks)

    def get(self, key: tuple, now: datetime) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.expires_at <= now:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def page_cache() -> PageCache:
    cache = current_app.extensions.get("statuspage_page_cache")
    if cache is None:
        cache = PageCache(current_app.config["PAGE_CACHE_ENTRIES"])
        current_app.extensions["statuspage_page_cache"] = cache
    return cache


def now() -> datetime:
    """The request's `now`, read once so a page is consistent with itself."""
    environ = request.environ
    if "statuspage.now" not in environ:
        environ["statuspage.now"] = app_now()
    return environ["statuspage.now"]


def expires_at(moment: datetime) -> None:
    """A view says its page turns stale at `moment` even if no data changes."""
    previous = request.environ.get("statuspage.expires_at", moment)
    request.environ["statuspage.expires_at"] = min(moment, previous)


def _respond(entry: Entry) -> Response:
    """The cached body with its validators; `304 Not Modified` when the client has it."""
    max_age = current_app.config["HTTP_MAX_AGE"]
    response = Response(entry.body, status=entry.status, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    response.last_modified = entry.rendered_at.replace(microsecond=0)
    for name, value in entry.headers:
        response.headers[name] = value
    response.headers["Cache-Control"] = f"public, max-age={max_age}, stale-while-revalidate=30"
    response.vary.update(("Accept-Language", "Cookie"))
    return response.make_conditional(request)


def cached_page(view: Callable) -> Callable:
    """Caches a public GET view per (path, query, language, data version)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        version = current_version(db.session)
        request.environ["statuspage.version"] = version  # lets the headers reuse per-version data
        args_key = tuple(sorted((k, v) for k, v in request.args.items(multi=True) if k != "lang"))
        key = (request.path, args_key, current_language(), version)
        cache = page_cache()
        moment = now()
        entry = cache.get(key, moment)
        if entry is None:
            result = current_app.make_response(view(*args, **kwargs))
            if result.status_code != 200 or result.direct_passthrough:
                return result
            body = result.get_data()
            limit = moment.timestamp() + current_app.config["PAGE_CACHE_SECONDS"]
            expiry = request.environ.get("statuspage.expires_at")
            deadline = datetime.fromtimestamp(limit, tz=moment.tzinfo)
            if expiry is not None and expiry < deadline:
                deadline = expiry
            etag = hashlib.blake2b(body, digest_size=12).hexdigest()
            kept = tuple(
                (name, value)
                for name, value in result.headers.items()
                if name.lower().startswith("access-control-") or name.lower() == "content-language"
            )
            entry = Entry(body, result.mimetype, result.status_code, etag, deadline, moment, kept)
            cache.put(key, entry)
            cache.renders += 1
        return _respond(entry)

    return wrapper
