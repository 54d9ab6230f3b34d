"""`flask publish DIR`: the static mirror, written atomically, served by a cold process while
the database is gone."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest

from statuspage import create_app, mirror
from statuspage.domain import status as st
from statuspage.extensions import db
from tests import outage
from tests.conftest import new_incident, open_webmail
from tests.outage import database_gone

# the app reaches PostgreSQL through a relay a test can cut (tests/outage.py)
proxy = outage.proxy
database_url = outage.database_url


def trees(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".mirror."))


def test_publish_writes_every_public_page_in_both_languages(
    client, runner, livedns, components, tmp_path
):
    target = tmp_path / "site" / "mirror"
    result = runner.invoke(args=["publish", str(target)])
    assert result.exit_code == 0, result.output
    assert target.is_symlink()
    webmail = components["webmail"].id
    for lang in ("en", "fr"):
        for url, relative in (
            ("/", "index.html"),
            ("/history", "history/index.html"),
            ("/about", "about/index.html"),
            (f"/incidents/{livedns}", f"incidents/{livedns}/index.html"),
            (f"/components/{webmail}", f"components/{webmail}/index.html"),
            ("/history.atom", "history.atom"),
            (f"/incidents/{livedns}/history.rss", f"incidents/{livedns}/history.rss"),
            ("/badge.svg", "badge.svg"),
            ("/embed", "embed/index.html"),
            ("/site.css", "site.css"),
            ("/logo.svg", "logo.svg"),
            ("/api/v2/summary.json", "api/v2/summary.json"),
            ("/api/v2/incidents/unresolved.json", "api/v2/incidents/unresolved.json"),
        ):
            published = (target / lang / relative).read_bytes()
            assert published == client.get(f"{url}?lang={lang}").data, (lang, url)
    assert '<html lang="fr">' in (target / "fr" / "index.html").read_text()
    assert "LiveDNS resolution errors" in (target / "en" / "index.html").read_text()
    feed = feedparser.parse((target / "fr" / "history.atom").read_bytes())
    assert feed.bozo == 0
    assert feed.feed.language == "fr"
    summary = json.loads((target / "en" / "api/v2/summary.json").read_text())
    assert summary["status"]["indicator"] == "critical"


def test_history_pages_are_published_as_far_as_they_go(
    app, client, runner, data, clock, components, tmp_path
):
    for days in (35, 65):
        new_incident(
            data,
            clock,
            components,
            name=f"Old outage {days}",
            component="webmail",
            status="major_outage",
            impact=st.Impact.MAJOR,
            started_at=clock.now - timedelta(days=days),
        )
    app.config["HISTORY_PAGE_SIZE"] = 1
    pages = 1
    while 'rel="next"' in client.get(f"/history?page={pages}&lang=en").get_data(as_text=True):
        pages += 1
    assert pages >= 3
    target = tmp_path / "mirror"
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    for number in range(2, pages + 1):
        published = target / "fr" / "history" / "page" / str(number) / "index.html"
        assert published.read_bytes() == client.get(f"/history?page={number}&lang=fr").data
    assert not (target / "fr" / "history" / "page" / str(pages + 1)).exists()


@pytest.mark.db_independent  # files on disk
def test_a_publication_that_fails_leaves_the_mirror_as_it_was(
    runner, livedns, tmp_path, monkeypatch
):
    site = tmp_path / "site"
    target = site / "mirror"
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    (first,) = trees(site)
    before = (target / "en" / "index.html").read_bytes()
    written = []
    real_write = mirror._write

    def failing(tree, relative, body):
        written.append(relative)
        if len(written) == 25:
            raise OSError(28, "No space left on device")
        real_write(tree, relative, body)

    monkeypatch.setattr(mirror, "_write", failing)
    result = runner.invoke(args=["publish", str(target)])
    assert result.exit_code != 0
    assert trees(site) == [first]  # the half-written tree is gone, the link unchanged
    assert target.resolve().name == first
    assert (target / "en" / "index.html").read_bytes() == before
    monkeypatch.setattr(mirror, "_write", real_write)
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    (second,) = trees(site)  # switched, and the old tree removed
    assert second != first
    assert target.resolve().name == second


@pytest.mark.db_independent  # files on disk
def test_publish_refuses_a_folder_it_does_not_manage(runner, tmp_path):
    folder = tmp_path / "www"
    folder.mkdir()
    (folder / "index.html").write_text("someone else's site")
    result = runner.invoke(args=["publish", str(folder)])
    assert result.exit_code != 0
    assert "not a mirror link" in result.output
    assert (folder / "index.html").read_text() == "someone else's site"


def test_a_cold_process_serves_the_mirror_while_the_database_is_gone(
    app, runner, livedns, tmp_path, database_url, proxy
):
    target = tmp_path / "mirror"
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    cold = create_app({**app.config, "PUBLISH_DIR": str(target), "TESTING": True})
    with database_gone(app, database_url, proxy):
        client = cold.test_client()
        page = client.get("/?lang=fr")
        assert page.status_code == 200
        assert page.data == (target / "fr" / "index.html").read_bytes()
        assert "LiveDNS" in page.get_data(as_text=True)
        status = client.get("/api/v2/status.json")
        assert status.status_code == 200
        assert status.json["status"]["indicator"] == "critical"
        assert status.headers["Access-Control-Allow-Origin"] == "*"
        feed = client.get("/history.atom?lang=en")
        assert feed.mimetype == "application/atom+xml"
        assert client.get("/history?page=7&lang=en").status_code == 503  # never published
    with cold.app_context():
        db.engine.dispose()


def test_the_worker_republishes_when_the_data_or_the_time_changes(
    app, data, clock, components, tmp_path
):
    from statuspage.worker import MirrorState, run_round

    target = tmp_path / "mirror"
    app.config.update(PUBLISH_DIR=str(target), OUTBOX_DIR=str(tmp_path / "outbox"))
    state = MirrorState()
    with app.app_context():
        assert run_round(db.session, clock, state).published > 0
        first = target.resolve()
        assert run_round(db.session, clock, state).published == 0  # nothing changed
        assert target.resolve() == first
    open_webmail(data, clock, components)
    with app.app_context():
        assert run_round(db.session, clock, state).published > 0
    assert "Webmail unavailable" in (target / "en" / "index.html").read_text()
    with app.app_context():
        assert run_round(db.session, clock, state).published == 0
        clock.now += timedelta(minutes=2)  # time alone: durations, bars, windows
        assert run_round(db.session, clock, state).published > 0


@pytest.mark.db_independent  # files on disk
def test_a_file_whose_content_did_not_change_keeps_its_date_and_etag(
    runner, data, clock, components, livedns, tmp_path
):
    """nginx's ETag is the file's mtime and size: a publication that rewrote unchanged files
    would make every browser and CDN download them again. A file with the same bytes keeps its
    date; a changed one gets a new date."""
    target = tmp_path / "mirror"
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    files = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    an_hour_ago = time.time_ns() - 3600 * 10**9
    for relative in files:  # dated an hour back, so a rewrite could not keep the date by luck
        os.utime(target / relative, ns=(an_hour_ago, an_hour_ago))
    before = {relative: (target / relative).read_bytes() for relative in files}

    assert runner.invoke(args=["publish", str(target)]).exit_code == 0  # nothing changed
    for relative in files:
        assert (target / relative).read_bytes() == before[relative], relative
        assert (target / relative).stat().st_mtime_ns == an_hour_ago, relative

    new_incident(
        data,
        clock,
        components,
        name="Webmail login failures",
        component="webmail",
        status="partial_outage",
        impact=st.Impact.MAJOR,
    )
    assert runner.invoke(args=["publish", str(target)]).exit_code == 0
    webmail = components["webmail"].id
    changed = {
        relative for relative in files if (target / relative).read_bytes() != before[relative]
    }
    for relative in (
        "en/index.html",
        "fr/api/v2/summary.json",
        f"en/components/{webmail}/history.atom",
    ):
        assert Path(relative) in changed, relative
    kept = set(files) - changed
    assert Path(f"en/incidents/{livedns}/history.atom") in kept  # that incident did not change
    for relative in files:
        dated = (target / relative).stat().st_mtime_ns
        assert (dated == an_hour_ago) == (relative in kept), relative
    assert len(list(tmp_path.glob(".mirror.*"))) == 1  # the old trees are gone
