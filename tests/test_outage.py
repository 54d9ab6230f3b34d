"""The status page outlives the database: locked, slow or gone, every public page that this
process rendered once is still served (the last good render), saying when it was rendered."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import timedelta

import feedparser
from sqlalchemy import func

from statuspage.cache import version_reader
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import SupportRequest
from tests import outage
from tests.conftest import csrf_token, new_incident
from tests.outage import database_gone, direct, locked, sqlite_gone

UPDATED = re.compile(r'Page updated <time datetime="([^"]+)">')

# the app reaches PostgreSQL through a relay a test can cut (tests/outage.py)
proxy = outage.proxy
database_url = outage.database_url


def public_pages(livedns: str, component_id: str) -> list[str]:
    return [
        "/?lang=en",
        "/?lang=fr",
        f"/incidents/{livedns}?lang=en",
        f"/components/{component_id}?lang=fr",
        "/history?lang=en",
        "/history?page=2&lang=en",
        "/about?lang=en",
        "/history.atom?lang=en",
        "/history.rss?lang=fr",
        f"/incidents/{livedns}/history.atom",
        "/badge.svg",
        f"/components/{component_id}/badge.svg",
        "/embed?lang=en",
        "/embed.js",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ]


def warm(client, pages: list[str]) -> dict[str, bytes]:
    bodies = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        bodies[page] = response.data
    return bodies


def assert_served_stale(client, bodies: dict[str, bytes]) -> None:
    for page, body in bodies.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert response.data == body, page
    response = client.get("/?lang=en")
    assert "max-age=5" in response.headers["Cache-Control"]  # a CDN comes back soon
    html = response.get_data(as_text=True)
    assert "LiveDNS resolution errors" in html
    assert UPDATED.search(html).group(1) == "2026-03-10T12:00:00Z"
    feed = feedparser.parse(client.get("/history.atom?lang=en").data)
    assert feed.bozo == 0
    assert feed.entries[0].title == "[Investigating] LiveDNS resolution errors"
    assert client.get("/api/v2/status.json").json["status"]["indicator"] == "critical"


def test_pages_are_served_while_the_database_is_locked(
    app, client, livedns, components, clock, database_url
):
    app.config["DATA_VERSION_INTERVAL"] = 0  # read the version at every request
    bodies = warm(client, public_pages(livedns, components["livedns"].id))
    clock.now += timedelta(hours=2)  # every render is past its life: each one must be redone
    with locked(database_url):
        assert_served_stale(client, bodies)
        served = app.extensions["statuspage_page_cache"].stale_served
        assert served >= len(bodies)
    # the database is back: the next request renders again, with the new time
    html = client.get("/?lang=en").get_data(as_text=True)
    assert UPDATED.search(html).group(1) == "2026-03-10T14:00:00Z"


def test_a_render_stuck_on_a_lock_serves_the_last_good_page(
    app, client, livedns, components, clock, database_url
):
    """The version was read just before the lock: the render itself waits, then gives up."""
    app.config["RENDER_TIMEOUT_MS"] = 300
    with app.app_context():
        reader = version_reader()
    reader.monotonic = lambda: 100.0  # the version read stays fresh: only renders meet the lock
    bodies = warm(client, public_pages(livedns, components["livedns"].id))
    clock.now += timedelta(hours=2)
    with locked(database_url):
        for page in bodies:  # on PostgreSQL, a page reading no locked table renders afresh
            assert client.get(page).status_code == 200, page
        for page in ("/?lang=en", f"/incidents/{livedns}?lang=en", "/history.atom?lang=en"):
            assert client.get(page).data == bodies[page], page
    assert reader.reads == 1


def test_pages_are_served_while_the_database_is_gone(
    app, client, livedns, components, clock, database_url, proxy
):
    with app.app_context():
        reader = version_reader()
        engine = db.engine
    seconds = [100.0]
    reader.monotonic = lambda: seconds[0]
    bodies = warm(client, public_pages(livedns, components["livedns"].id))
    clock.now += timedelta(hours=2)
    if proxy is not None:
        proxy.cut()
        gone = None
    else:
        gone = sqlite_gone(database_url, engine)
        gone.__enter__()
    try:
        # the version read just before is still fresh: the renders themselves fail
        assert_served_stale(client, bodies)
        seconds[0] += 5  # now the version read fails too
        reads = reader.reads
        assert_served_stale(client, bodies)
        assert reader.reads == reads + 1  # once, not once per request
        # a page this process never rendered: a clear 503, never a stack trace
        cold = client.get("/history?page=3&lang=fr")
        assert cold.status_code == 503
        assert cold.headers["Retry-After"] == "5"
        assert "Veuillez réessayer dans un instant" in cold.get_data(as_text=True)
        cold_api = client.get(f"/api/v2/incidents.json?lang=en&x={livedns}")
        assert cold_api.status_code == 200  # an unknown parameter is the same page
    finally:
        if gone is not None:
            gone.__exit__(None, None, None)


def test_the_version_is_read_at_most_once_per_second(app, client, data, clock, components):
    with app.app_context():
        reader = version_reader()
    seconds = [100.0]
    reader.monotonic = lambda: seconds[0]
    client.get("/?lang=en")
    reads = reader.reads
    for page in ("/?lang=en", "/?lang=fr", "/api/v2/summary.json", "/badge.svg") * 10:
        assert client.get(page).status_code == 200
    assert reader.reads == reads
    seconds[0] += 1.0
    client.get("/?lang=en")
    assert reader.reads == reads + 1
    # a change made by this process shows at once, without waiting for the next read
    new_incident(
        data,
        clock,
        components,
        name="Webmail slow",
        component="webmail",
        status="degraded_performance",
        impact=st.Impact.MINOR,
    )
    assert "Webmail slow" in client.get("/?lang=en").get_data(as_text=True)
    assert reader.reads == reads + 2


def test_unknown_query_parameters_make_no_new_render(app, client):
    client.get("/?lang=en")
    cache = app.extensions["statuspage_page_cache"]
    renders, entries = cache.renders, len(cache)
    for query in ("r=1", "r=2", "utm_source=mail", "page=2", "r=1&r=2"):
        response = client.get(f"/?lang=en&{query}")
        assert response.status_code == 200
        # nor do they leak into the links of the page served to everyone
        assert 'href="/?lang=fr"' in response.get_data(as_text=True)
    assert (cache.renders, len(cache)) == (renders, entries)
    # the parameters a page reads still make pages of their own
    client.get("/history?lang=en")
    client.get("/history?page=2&lang=en")
    client.get("/history?page=2&lang=en&r=9")
    assert cache.renders == renders + 2


def test_a_page_that_needs_the_database_says_so_with_a_503(
    app, client, tokens, database_url, proxy
):
    with database_gone(app, database_url, proxy):
        page = client.get("/subscribe?lang=fr")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert "Momentanément indisponible" in page.get_data(as_text=True)
        api = client.get(
            "/api/v1/incidents", headers={"Authorization": f"Bearer {tokens['responder']}"}
        )
        assert api.status_code == 503
        assert api.json["error"]["code"] == "service_unavailable"


def test_i_am_affected_too_with_the_database_down_says_so_and_keeps_the_address(
    app, client, livedns, data, database_url, proxy, tmp_path
):
    """The incident page's "I'm affected too" cannot record an address without the database:
    a 503 in the visitor's language that says nothing was saved and gives the address back to
    send again (a quick answer, never a 500, nothing half-stored, nothing spooled)."""
    app.config["INTAKE_TIMEOUT_MS"] = 300
    app.config["SPOOL_DIR"] = str(tmp_path / "spool")
    url = f"/incidents/{livedns}/affected"
    token = csrf_token(client, f"{url}?lang=fr")  # the visitor's page is in French
    form = {"email": "client@example.fr", "lang": "fr", "csrf_token": token}
    for mode in ("locked", "gone"):
        with contextlib.ExitStack() as stack:
            if mode == "locked":
                stack.enter_context(locked(database_url))
            else:
                stack.enter_context(database_gone(app, database_url, proxy))
            started = time.monotonic()
            answer = client.post(url, data=form)
            waited = time.monotonic() - started
        assert answer.status_code == 503, mode
        assert "Retry-After" in answer.headers
        assert waited < 2.5, mode  # the intake's bound, not SQLite's 5 s nor a lock forever
        html = answer.get_data(as_text=True)
        assert '<html lang="fr">' in html
        assert "Nous n&#39;avons pas pu enregistrer votre adresse" in html
        assert "Rien n&#39;a été enregistré" in html
        assert 'value="client@example.fr"' in html  # given back, to send again
        assert f'href="/incidents/{livedns}"' in html
        assert not list((tmp_path / "spool").glob("*")), mode
    with direct(database_url) as connection:
        assert connection.execute(db.select(func.count(SupportRequest.id))).scalar() == 0
    if proxy is not None:
        return  # the relay stays cut; on SQLite the database comes back:
    # the same form, sent again, is recorded
    answer = client.post(url, data=form)
    assert answer.status_code == 302
    with data() as session:
        stored = session.execute(db.select(SupportRequest)).scalars().all()
        assert [(r.email, r.incident_id) for r in stored] == [("client@example.fr", livedns)]
