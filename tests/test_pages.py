import re
from dataclasses import dataclass
from datetime import timedelta

import pytest

from statuspage.domain import status as st
from statuspage.models import Component, Incident
from statuspage.services.incidents import create_incident, post_update

C = st.ComponentStatus
S = st.IncidentStatus


@dataclass
class Outage:
    id: str
    update_ids: list[str]


@pytest.fixture
def outage(data, clock, components):
    """A LiveDNS outage that began 40 minutes ago, with two updates."""
    start = clock.now - timedelta(minutes=40)
    with data() as session:
        incident = create_incident(
            session,
            name="LiveDNS resolution errors",
            kind=st.IncidentKind.INCIDENT,
            status=S.INVESTIGATING,
            impact=st.Impact.CRITICAL,
            body="Queries return **SERVFAIL**.",
            components={components["livedns"].id: C.MAJOR_OUTAGE},
            now=start,
            keywords=["servfail"],
        )
        post_update(
            session,
            incident,
            status=S.IDENTIFIED,
            body="A faulty configuration is rolled back.",
            components=None,
            now=start + timedelta(minutes=15),
        )
        updates = sorted(incident.updates, key=lambda u: (u.display_at, u.position), reverse=True)
        return Outage(incident.id, [u.id for u in updates])


def texts(html: str, tag: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)
    ]


@pytest.mark.parametrize(
    ("lang", "banner", "group", "child"),
    [
        ("en", "All Systems Operational", "Domain names", "Incoming mail (SMTP in)"),
        (
            "fr",
            "Tous les services sont opérationnels",
            "Noms de domaine",
            "Réception des emails (SMTP entrant)",
        ),
    ],
)
def test_home_page_shows_the_whole_catalogue_in_each_language(client, lang, banner, group, child):
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert texts(html, "h1") == [banner]
    assert group in texts(html, "h3")
    assert child in texts(html, "h4")
    assert html.count('class="bars"') == 18  # one bar per component; groups show their children
    assert {"en": "100.00 % uptime", "fr": "100,00 % de disponibilité"}[lang] in html


def test_an_outage_shows_on_the_home_page(client, outage, components):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert texts(html, "h1") == ["Major Service Outage"]
    assert "LiveDNS resolution errors" in html
    assert "A faulty configuration is rolled back." in html  # the latest update
    livedns = html.split('href="/components/' + components["livedns"].id)[1][:400]
    assert "Major outage" in livedns
    # the group follows its worst child
    dns = html.split('href="/components/' + components["dns"].id)[1][:400]
    assert "Major outage" in dns
    # status in words, and times machine-readable
    assert '<time datetime="2026-03-10T11:20:00Z">' in html


def test_an_outage_in_french(client, outage):
    html = client.get("/?lang=fr").get_data(as_text=True)
    assert texts(html, "h1") == ["Panne majeure des services"]
    assert "Panne majeure" in html
    assert "Cause identifiée" in html
    assert "mars 2026" in html  # localised date


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_incident_page_has_the_whole_timeline_with_anchors(client, outage, lang):
    response = client.get(f"/incidents/{outage.id}?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ids = outage.update_ids
    positions = [html.index(f'id="update-{i}"') for i in ids]
    assert positions == sorted(positions)  # newest first
    assert f'href="#update-{ids[0]}"' in html
    assert "<strong>SERVFAIL</strong>" in html
    assert '<link rel="canonical" href="https://status.example.test/incidents/' in html
    word = {"en": "Duration", "fr": "Durée"}[lang]
    assert word in html
    assert {"en": "40 minutes", "fr": "40 minutes"}[lang] in html


def test_resolved_incident_shows_duration_and_affected_services(client, data, outage, clock):
    with data() as session:
        post_update(
            session,
            session.get(Incident, outage.id),
            status=S.RESOLVED,
            body="Fixed.",
            components=None,
            now=clock.now - timedelta(minutes=5),
        )
    html = client.get(f"/incidents/{outage.id}?lang=en").get_data(as_text=True)
    assert "35 minutes" in html
    assert "Resolved" in html
    assert "LiveDNS" in html
    home = client.get("/?lang=en").get_data(as_text=True)
    assert texts(home, "h1") == ["All Systems Operational"]
    assert "Past 7 days" in home
    assert "LiveDNS resolution errors" in home


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_component_page(client, outage, components, lang):
    html = client.get(f"/components/{components['livedns'].id}?lang={lang}").get_data(as_text=True)
    assert components["livedns"].name(lang) in texts(html, "h1")
    assert "LiveDNS resolution errors" in html
    assert 'class="bars"' in html
    group = client.get(f"/components/{components['dns'].id}?lang={lang}").get_data(as_text=True)
    assert components["secondary-dns"].name(lang) in group


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_history_lists_incidents_by_month(client, outage, clock, lang):
    html = client.get(f"/history?lang={lang}").get_data(as_text=True)
    assert {"en": "March 2026", "fr": "Mars 2026"}[lang] in texts(html, "h2")
    assert "LiveDNS resolution errors" in html
    assert 'rel="next"' not in html  # nothing older


def test_history_paginates_back_to_the_oldest_incident(client, data, clock, components):
    old = clock.now - timedelta(days=200)
    with data() as session:
        create_incident(
            session,
            name="Ancient outage",
            kind=st.IncidentKind.INCIDENT,
            status=S.RESOLVED,
            impact=st.Impact.MINOR,
            body="Long ago.",
            components={},
            now=old,
        )
    first = client.get("/history?lang=en").get_data(as_text=True)
    assert 'rel="next" href="/history?page=2"' in first
    assert "Ancient outage" not in first
    pages = [client.get(f"/history?page={n}&lang=en").get_data(as_text=True) for n in (2, 3)]
    assert any("Ancient outage" in p for p in pages)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_about_page(client, lang):
    html = client.get(f"/about?lang={lang}").get_data(as_text=True)
    assert {"en": "About this page", "fr": "À propos de cette page"}[lang] in texts(html, "h1")


@pytest.mark.parametrize(
    "url",
    [
        "/nope",
        "/incidents/abc",
        "/incidents/aaaaaaaaaaaa",
        "/incidents/<script>",
        "/components/aaaaaaaaaaaa",
        "/components/xyz",
        "/history?page=0",
        "/history?page=abc",
        "/history?page=99999999999999999999",
    ],
)
def test_unknown_addresses_are_404_in_the_site_style(client, url):
    response = client.get(url + ("&" if "?" in url else "?") + "lang=fr")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page introuvable" in html
    assert "Traceback" not in html


def test_hidden_component_page_is_404(client, data, components):
    with data() as session:
        session.get(Component, components["ssl"].id).hidden = True
    assert client.get(f"/components/{components['ssl'].id}").status_code == 404


def test_staff_script_never_reaches_the_page(client, data, clock, components):
    body = (
        'Hello <script>alert("x")</script> <img src=x onerror=alert(1)> '
        "[click](javascript:alert(1)) [docs](https://example.com/docs)"
    )
    with data() as session:
        incident = create_incident(
            session,
            name="<script>alert('name')</script>",
            kind=st.IncidentKind.INCIDENT,
            status=S.INVESTIGATING,
            impact=st.Impact.MINOR,
            body=body,
            components={},
            now=clock.now,
        )
        incident_id = incident.id
    for url in ("/", f"/incidents/{incident_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html
        assert "onerror" not in html
        assert "javascript:" not in html
        assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
        assert '<a href="https://example.com/docs" rel="nofollow noopener">docs</a>' in html


def test_language_comes_from_query_then_cookie_then_browser(client):
    assert "Tous les services" in client.get(
        "/", headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    ).get_data(as_text=True)
    assert "All Systems" in client.get("/", headers={"Accept-Language": "en-GB"}).get_data(
        as_text=True
    )
    response = client.get("/?lang=fr", headers={"Accept-Language": "en"})
    assert "lang=fr" in response.headers["Set-Cookie"]
    # the cookie now wins over the browser
    assert "Tous les services" in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    # and the query over the cookie
    assert "All Systems" in client.get("/?lang=en").get_data(as_text=True)


def test_language_switch_links_to_the_same_page(client, outage):
    html = client.get(f"/incidents/{outage.id}?lang=en").get_data(as_text=True)
    assert f'href="/incidents/{outage.id}?lang=fr"' in html


def test_pages_are_rendered_once_per_change(app, client, data, clock, components):
    client.get("/?lang=en")
    cache = app.extensions["statuspage_page_cache"]
    renders = cache.renders
    for _ in range(5):
        assert client.get("/?lang=en").status_code == 200
    assert cache.renders == renders
    with data() as session:
        create_incident(
            session,
            name="Webmail slow",
            kind=st.IncidentKind.INCIDENT,
            status=S.INVESTIGATING,
            impact=st.Impact.MINOR,
            body="Slow.",
            components={components["webmail"].id: C.DEGRADED_PERFORMANCE},
            now=clock.now,
        )
    html = client.get("/?lang=en").get_data(as_text=True)
    assert cache.renders == renders + 1
    assert "Webmail slow" in html


def test_conditional_get_answers_304(client):
    first = client.get("/?lang=en")
    assert first.headers["ETag"]
    assert "public" in first.headers["Cache-Control"]
    again = client.get("/?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_maintenance_turns_by_itself_on_the_page(client, data, clock, components):
    start = clock.now + timedelta(hours=1)
    with data() as session:
        create_incident(
            session,
            name="Storage migration",
            kind=st.IncidentKind.MAINTENANCE,
            status=S.SCHEDULED,
            impact=st.Impact.MAINTENANCE,
            body="Read-only file systems.",
            components={components["web-hosting-luxembourg"].id: C.UNDER_MAINTENANCE},
            now=clock.now,
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=2),
        )
    html = client.get("/?lang=en").get_data(as_text=True)
    upcoming = html.split('id="upcoming-heading"')[1]
    assert "Storage migration" in upcoming
    assert texts(html, "h1") == ["All Systems Operational"]
    clock.now = start + timedelta(minutes=1)  # no write: time alone turns the page
    html = client.get("/?lang=en").get_data(as_text=True)
    assert texts(html, "h1") == ["Service Under Maintenance"]
    assert (
        "Storage migration"
        in html.split('id="active-heading"')[1].split('id="components-heading"')[0]
    )
    clock.now = start + timedelta(hours=3)
    html = client.get("/?lang=en").get_data(as_text=True)
    assert texts(html, "h1") == ["All Systems Operational"]
    assert "Storage migration" in html.split('id="recent-heading"')[1]


def test_a_server_error_is_a_500_page_in_the_site_style(app, client):
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom?lang=fr")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Une erreur s'est produite de notre côté" in html
    assert "secret internals" not in html
    assert "Traceback" not in html
