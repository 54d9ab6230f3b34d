"""Public pages rendered once per change of the data, then served from memory.

A request costs at most one primary-key read of the data version (shared by every instance
through the database), and that read is made at most once per `DATA_VERSION_INTERVAL` per
process, with a short timeout. A rendered page is kept until the version changes or its
`valid_until` passes (a maintenance window opening, midnight turning the uptime bars, or
`PAGE_CACHE_SECONDS`). Responses carry an `ETag` so browsers and CDNs revalidate with
`304 Not Modified`.

The page outlives the database: when the version cannot be read, or a render fails on the
database, the last good render of the page is served (stale-if-error), however old; its footer
says when it was rendered. Only a process that never rendered the page answers 503.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app, g, render_template, request
from sqlalchemy import select
from werkzeug.exceptions import ServiceUnavailable

from statuspage import mirror
from statuspage.clock import app_now
from statuspage.database import DATABASE_ERRORS, bounded
from statuspage.extensions import db
from statuspage.i18n import current_language, page_zone
from statuspage.models import SiteState
from statuspage.services import overview as ov
from statuspage.services import versioning

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    body: bytes
    mimetype: str
    status: int
    etag: str
    expires_at: datetime
    rendered_at: datetime  #: Last-Modified: what the page says may have changed then
    headers: tuple[tuple[str, str], ...] = ()
    version: int = 0  #: the data version it was rendered from


class PageCache:
    """One entry per page (path, known parameters, language): the last good render."""

    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.renders = 0  #: how many times a page was computed (for tests and benchmarks)
        self.stale_served = 0  #: answers given from a stale entry because the database failed

    def get(self, key: tuple, version: int, now: datetime) -> Entry | None:
        """The entry if it is still good for this version at `now`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version or entry.expires_at <= now:
                return None
            self._entries.move_to_end(key)
            return entry

    def last_good(self, key: tuple) -> Entry | None:
        """The last render of the page, however old: what to serve when the database fails."""
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class VersionReader:
    """The data version, read at most once per `interval` seconds per process.

    A commit made by this process that changes public data is seen at once (the next call
    reads again); changes from other instances are seen within `interval`. `None` means the
    database did not answer within `timeout_ms`; that too is remembered for `interval`, so a
    dead database costs one slow read per second, not one per request.
    """

    def __init__(self, interval: float, timeout_ms: int) -> None:
        self.interval = interval
        self.timeout_ms = timeout_ms
        self.monotonic: Callable[[], float] = time.monotonic
        self.reads = 0  #: version reads made (for tests and benchmarks)
        self._lock = threading.Lock()
        self._reading = False
        self._checked_at: float | None = None
        self._value: int | None = None
        self._local_bumps = -1

    def current(self) -> int | None:
        with self._lock:
            fresh = (
                self._checked_at is not None
                and self.monotonic() - self._checked_at < self.interval
                and self._local_bumps == versioning.local_bumps()
            )
            if fresh or (self._reading and self._checked_at is not None):
                return self._value  # another thread is reading: don't pile up on the database
            self._reading = True
            bumps = versioning.local_bumps()
        try:
            value = self._read()
        finally:
            with self._lock:
                self._reading = False
        with self._lock:
            self._value, self._checked_at, self._local_bumps = value, self.monotonic(), bumps
            self.reads += 1
        return value

    def forget(self) -> None:
        """The next call reads the database again."""
        with self._lock:
            self._checked_at = None

    def _read(self) -> int | None:
        """One read on a connection of its own, bounded by `timeout_ms`."""
        try:
            with db.engine.connect() as connection, bounded(connection, self.timeout_ms):
                value = connection.execute(
                    select(SiteState.version).where(SiteState.id == 1)
                ).scalar()
                connection.rollback()
                return value or 0
        except DATABASE_ERRORS as error:
            log.warning("data version unreadable, serving the last good pages: %s", error)
            return None


def page_cache() -> PageCache:
    cache = current_app.extensions.get("statuspage_page_cache")
    if cache is None:
        cache = PageCache(current_app.config["PAGE_CACHE_ENTRIES"])
        current_app.extensions["statuspage_page_cache"] = cache
    return cache


def version_reader() -> VersionReader:
    reader = current_app.extensions.get("statuspage_version_reader")
    if reader is None:
        config = current_app.config
        reader = VersionReader(config["DATA_VERSION_INTERVAL"], config["DATA_VERSION_TIMEOUT_MS"])
        current_app.extensions["statuspage_version_reader"] = reader
    return reader


def expires_at(moment: datetime) -> None:
    """A view says its page turns stale at `moment` even if no data changes."""
    previous = request.environ.get("statuspage.expires_at", moment)
    request.environ["statuspage.expires_at"] = min(moment, previous)


def current_overview() -> ov.Overview:
    """The page's overview for this request; the cached page turns stale when the overview does
    (a maintenance starts, a day ends)."""
    result = ov.build_overview(
        db.session, current_app.config["PAGE_CACHE_SECONDS"], now=app_now(), zone=page_zone()
    )
    expires_at(result.valid_until)
    return result


def _respond(entry: Entry, *, stale: bool = False) -> Response:
    """The cached body with its validators; `304 Not Modified` when the client has it."""
    max_age = current_app.config["HTTP_MAX_AGE"]
    response = Response(entry.body, status=entry.status, mimetype=entry.mimetype)
    response.set_etag(entry.etag)
    response.last_modified = entry.rendered_at.replace(microsecond=0)
    for name, value in entry.headers:
        response.headers[name] = value
    if stale:  # a cache in front must come back soon rather than keep the old page
        response.headers["Cache-Control"] = "public, max-age=5"
    else:
        response.headers["Cache-Control"] = (
            f"public, max-age={max_age}, stale-while-revalidate=30, stale-if-error=86400"
        )
    response.vary.update(("Accept-Language", "Cookie"))
    return response.make_conditional(request)


def _unavailable() -> Response:
    """A process that never rendered the page, with the database down: a clear 503."""
    error = ServiceUnavailable()
    g.pop("page_rendered_at", None)  # nothing was rendered
    if request.path.startswith("/api/"):
        response = current_app.json.response(
            {"error": {"code": "service_unavailable", "message": "try again in a moment"}}
        )
    else:
        response = Response(
            render_template("errors/error.html", error=error, live_chat=lambda: ""),
            mimetype="text/html",
        )
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


MIRROR_TYPES = {
    ".html": "text/html",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".js": "text/javascript",
}


def _from_mirror(key: tuple) -> Response | None:
    """A process that never rendered the page: the static mirror's copy, if one was published."""
    path, args, lang = key
    found = mirror.find(current_app.config["PUBLISH_DIR"], path, dict(args).get("page"), lang)
    if found is None:
        return None
    response = Response(found.read_bytes(), mimetype=MIRROR_TYPES.get(found.suffix, "text/html"))
    response.headers["Cache-Control"] = "public, max-age=5"
    if path.startswith("/api/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _stale(cache: PageCache, key: tuple) -> Response:
    request.environ["statuspage.database_down"] = True  # the headers ask it nothing more
    try:
        db.session.rollback()
    except DATABASE_ERRORS:  # the connection is gone with the database
        log.debug("rollback failed after a database error", exc_info=True)
    entry = cache.last_good(key)
    if entry is None:
        return _from_mirror(key) or _unavailable()
    cache.stale_served += 1
    return _respond(entry, stale=True)


def cached_page(
    view: Callable | None = None,
    *,
    params: Iterable[str] = (),
    language: Callable[[], str] | None = None,
) -> Callable:
    """Caches a public GET view per (path, `params`, language) and data version.

    `language` says which language the view speaks (default: the reader's); the feeds and the
    JSON speak `?lang=` or the site's default, whatever the cookie or the browser say.

    Query parameters other than `params` (and `lang`, read by the language) do not reach the
    cache key: `?r=123` cannot make a page render again.
    """
    known = frozenset(params)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            args_key = tuple(
                sorted((k, v) for k, v in request.args.items(multi=True) if k in known)
            )
            key = (request.path, args_key, (language or current_language)())
            cache = page_cache()
            version = version_reader().current()
            if version is None:
                return _stale(cache, key)
            request.environ["statuspage.version"] = version  # the headers reuse per-version data
            moment = app_now()
            g.page_rendered_at = moment
            g.page_params = dict(args_key)
            entry = cache.get(key, version, moment)
            if entry is None:
                try:
                    with bounded(db.session, current_app.config["RENDER_TIMEOUT_MS"]):
                        result = current_app.make_response(view(*args, **kwargs))
                except DATABASE_ERRORS as error:
                    log.warning("render of %s failed on the database: %s", request.path, error)
                    return _stale(cache, key)
                if result.status_code != 200 or result.direct_passthrough:
                    return result
                entry = _entry(result, moment, version)
                cache.put(key, entry)
                cache.renders += 1
            return _respond(entry)

        return wrapper

    return decorate(view) if view is not None else decorate


def _entry(result: Response, moment: datetime, version: int) -> Entry:
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
    return Entry(body, result.mimetype, result.status_code, etag, deadline, moment, kept, version)
