"""The static mirror: every public page, feed, badge and `/api/v2/*.json`, in both languages,
written as files with the site's URL layout, so a web server can serve the status without the
app (and a cold process can answer from it while the database is down).

Layout: one tree per language, `DIR/<lang>/...`; a URL without an extension is a folder with an
`index.html` (`/` → `en/index.html`, `/incidents/<id>` → `en/incidents/<id>/index.html`),
`/history?page=N` is `history/page/N/index.html`, and a URL with an extension keeps its name
(`/history.atom` → `en/history.atom`, the feed in that language).

Published atomically: the new trees are written beside DIR, then DIR, a symbolic link, is
switched to them with one `rename`; readers see the old mirror or the new one, never a mix,
and a publication that fails leaves the old mirror untouched.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.domain.texts import LANGUAGES
from statuspage.models import Component, Incident

API_V2 = (
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
)
MAX_HISTORY_PAGES = 1000


class PublishError(Exception):
    pass


def relative_file(path: str, page: str | None = None) -> str:
    """Where the URL `path` (and `?page=`) lives inside a language's tree."""
    path = path.strip("/")
    if page and page != "1":
        path = f"{path}/page/{page}"
    if not path:
        return "index.html"
    if "." in path.rsplit("/", 1)[-1]:
        return path
    return f"{path}/index.html"


def urls(session: Session, logo: str = "") -> Iterator[str]:
    """Every public URL but the history's later pages (found by following them), with the
    site's colours and logo (`logo`: the file name content/site.md gives)."""
    yield from ("/", "/history", "/about", "/badge.svg", "/embed", "/embed.js", "/site.css")
    if logo:
        yield "/logo." + logo.rsplit(".", 1)[1].lower()
    for kind in ("atom", "rss"):
        yield f"/history.{kind}"
    yield from (f"/api/v2/{name}" for name in API_V2)
    components = session.execute(
        select(Component.id).where(Component.hidden.is_(False)).order_by(Component.position)
    ).scalars()
    for component_id in components:
        yield f"/components/{component_id}"
        yield f"/components/{component_id}/badge.svg"
        yield f"/components/{component_id}/history.atom"
        yield f"/components/{component_id}/history.rss"
    for incident_id in session.execute(select(Incident.id).order_by(Incident.id)).scalars():
        yield f"/incidents/{incident_id}"
        yield f"/incidents/{incident_id}/history.atom"
        yield f"/incidents/{incident_id}/history.rss"


def _write(tree: Path, relative: str, body: bytes, previous: Path | None) -> None:
    """Writes one file; one the previous mirror holds with the same bytes is linked to it
    instead, so it keeps its modification time and the web server its ETag (nginx's is made of
    the mtime and the size): browsers and CDNs revalidate with a 304, not a new download."""
    target = tree / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if previous is not None:
        old = previous / relative
        try:
            same = old.stat().st_size == len(body) and old.read_bytes() == body
        except OSError:
            same = False
        if same:
            try:
                os.link(old, target)
                return
            except OSError:  # links refused, or the old tree just removed: a copy, dated as
                target.write_bytes(body)  # the old file while it is there
                with suppress(OSError):
                    stat = old.stat()
                    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
                return
    target.write_bytes(body)


def _render_tree(
    app: Flask, pages: list[str], tree: Path, lang: str, previous: Path | None = None
) -> int:
    """Runs in a thread of its own: each request gets its own app context (and `g`, and
    language), as in production, not the command's. `previous` is the language's tree in the
    mirror being replaced."""
    client = app.test_client()
    count = 0

    def fetch(url: str, page: str | None = None) -> bytes | None:
        query = {"lang": lang, **({"page": page} if page else {})}
        response = client.get(url, query_string=query, headers={"Accept-Language": lang})
        if response.status_code == 404 and page:
            return None
        if response.status_code != 200:
            raise PublishError(f"{url} answered {response.status_code}")
        return response.data

    for url in pages:
        body = fetch(url)
        _write(tree, relative_file(url), body, previous)
        count += 1
        if url == "/history":
            for number in range(2, MAX_HISTORY_PAGES + 1):
                older = fetch(url, str(number))
                if older is None:
                    break
                _write(tree, relative_file(url, str(number)), older, previous)
                count += 1
                if b'rel="next"' not in older:
                    break
    return count


def publish(app: Flask, session: Session, target: Path, *, now: datetime) -> int:
    """Writes the mirror beside `target`, then switches `target` (a symlink) to it."""
    target = target.absolute()
    if target.exists() and not target.is_symlink():
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        else:
            raise PublishError(
                f"{target} exists and is not a mirror link: give a new path (it becomes a "
                "symbolic link to the published tree)"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    tree = target.parent / f".{target.name}.{stamp}-{secrets.token_hex(4)}"
    tree.mkdir()
    try:
        reader = app.extensions.get("statuspage_version_reader")
        if reader is not None:
            reader.forget()  # render from the version just read, not one a second old
        pages = list(urls(session, app.config["SITE"].logo))
        session.commit()  # no transaction held while the pages are rendered
        previous = target.resolve() if target.is_symlink() else None
        if previous is not None and not previous.is_dir():
            previous = None
        with ThreadPoolExecutor(max_workers=1) as pool:
            count = sum(
                pool.submit(
                    _render_tree, app, pages, tree / lang, lang, previous and previous / lang
                ).result()
                for lang in LANGUAGES
            )
        link = target.parent / f".{target.name}.link-{secrets.token_hex(4)}"
        os.symlink(tree.name, link)
        os.replace(link, target)  # the switch: one rename
    except BaseException:
        shutil.rmtree(tree, ignore_errors=True)
        raise
    if previous is not None and previous != tree and previous.parent == target.parent:
        shutil.rmtree(previous, ignore_errors=True)
    return count


def find(folder: str, path: str, page: str | None, lang: str) -> Path | None:
    """The mirror's file for a URL, if one was published (for a cold process, database down)."""
    if not folder:
        return None
    relative = relative_file(path, page)
    if ".." in relative.split("/"):
        return None
    candidate = Path(folder) / lang / relative
    return candidate if candidate.is_file() else None
