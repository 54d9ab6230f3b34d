"""Following the status without the page: feeds, the Statuspage v2 API, badges, the embed."""

import importlib
import json
import sys
from datetime import timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from statuspage.domain import status as st
from statuspage.models import Incident
from statuspage.services.operations import add_update, resolve

from .conftest import V2_INCIDENT_KEYS, V2_UPDATE_KEYS, new_maintenance, open_webmail

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = V2_INCIDENT_KEYS
UPDATE_KEYS = V2_UPDATE_KEYS
COMPONENT_STATUSES = {s.value for s in st.ComponentStatus}
INDICATORS = {"none", "minor", "major", "critical", "maintenance"}


@pytest.fixture
def maintenance(data, clock, components):
    return new_maintenance(
        data,
        clock,
        components,
        name="Webmail upgrade",
        component="webmail",
        starts_in=timedelta(hours=2),
        body="Webmail unavailable for a few minutes.",
    )


# -- feeds -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "status", "note"),
    [("en", "Investigating", ""), ("fr", "En cours d'analyse", " (en anglais seulement)")],
)
@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_site_feed_in_both_languages(client, livedns, lang, status, note, kind):
    """The incident was written in English only: the French feed says so."""
    response = client.get(f"/history.{kind}?lang={lang}")
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.feed.language == lang
    (entry,) = feed.entries
    assert entry.title == f"[{status}] LiveDNS resolution errors{note}"
    assert entry.link.startswith(f"https://status.example.test/incidents/{livedns}#update-")
    assert entry.id.startswith("tag:status.example.test,2026:incident-update:")
    assert "<strong>SERVFAIL</strong>" in (entry.get("content") or [entry])[0].get(
        "value", entry.get("summary", "")
    )
    assert entry.published_parsed is not None
    assert [t.term for t in entry.tags] == ["LiveDNS"]


def test_feed_entries_are_updates_newest_first_and_stable(client, data, livedns, clock):
    first = feedparser.parse(client.get("/history.atom").data).entries[0].id
    clock.now += timedelta(minutes=5)
    with data() as session:
        add_update(
            session,
            session.get(Incident, livedns),
            status=st.IncidentStatus.IDENTIFIED,
            body="Rolling back.",
            components=None,
            actor="ops",
            now=clock.now,
        )
    entries = feedparser.parse(client.get("/history.atom").data).entries
    assert [e.title for e in entries] == [
        "[Identified] LiveDNS resolution errors",
        "[Investigating] LiveDNS resolution errors",
    ]
    assert entries[1].id == first


def test_component_group_and_incident_feeds(client, livedns, components, maintenance):
    for url in (
        f"/components/{components['livedns'].id}/history.atom",
        f"/components/{components['dns'].id}/history.rss",
        f"/incidents/{livedns}/history.atom",
    ):
        feed = feedparser.parse(client.get(url).data)
        assert feed.bozo == 0
        assert [e.title for e in feed.entries] == ["[Investigating] LiveDNS resolution errors"]
    webmail = feedparser.parse(
        client.get(f"/components/{components['webmail'].id}/history.atom?lang=fr").data
    )
    assert [e.title for e in webmail.entries] == [
        "[Programmée] Webmail upgrade (en anglais seulement)"
    ]
    assert client.get("/components/aaaaaaaaaaaa/history.atom").status_code == 404
    assert client.get("/incidents/nope/history.rss").status_code == 404


def test_feeds_answer_conditional_requests(client, livedns):
    first = client.get("/history.atom")
    assert first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert (
        client.get("/history.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    assert (
        client.get(
            "/history.atom", headers={"If-Modified-Since": first.headers["Last-Modified"]}
        ).status_code
        == 304
    )


def test_pages_announce_their_feeds(client, livedns, components):
    home = client.get("/?lang=fr").get_data(as_text=True)
    assert 'type="application/atom+xml"' in home
    assert 'href="/history.rss?lang=fr"' in home
    incident = client.get(f"/incidents/{livedns}?lang=en").get_data(as_text=True)
    assert f'href="/incidents/{livedns}/history.atom?lang=en"' in incident
    component = client.get(f"/components/{components['livedns'].id}").get_data(as_text=True)
    assert f"/components/{components['livedns'].id}/history.rss" in component


# -- the Statuspage v2 API -------------------------------------------------------------------------


def v2(client, path):
    response = client.get(f"/api/v2/{path}")
    assert response.status_code == 200, path
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert set(body["page"]) == PAGE_KEYS
    return body


def check_incident(incident, maintenance=False):
    expected = INCIDENT_KEYS | ({"scheduled_for", "scheduled_until"} if maintenance else set())
    assert set(incident) == expected
    for update in incident["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert update["custom_tweet"] is None
        for change in update["affected_components"] or []:
            assert set(change) == {"code", "name", "old_status", "new_status"}
            assert change["new_status"] in COMPONENT_STATUSES
    for component in incident["components"]:
        assert set(component) == COMPONENT_KEYS
    assert incident["created_at"].endswith("Z")
    assert len(incident["created_at"]) == len("2026-03-10T12:00:00.000Z")


def test_summary_lists_everything_with_exact_keys(client, livedns, maintenance, components):
    body = v2(client, "summary.json")
    assert set(body) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert body["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    by_id = {c["id"]: c for c in body["components"]}
    for component in body["components"]:
        keys = COMPONENT_KEYS | ({"components"} if component["group"] else set())
        assert set(component) == keys
        assert component["status"] in COMPONENT_STATUSES
    assert by_id[components["livedns"].id]["status"] == "major_outage"
    assert by_id[components["dns"].id]["status"] == "major_outage"
    assert components["livedns"].id in by_id[components["dns"].id]["components"]
    assert [i["id"] for i in body["incidents"]] == [livedns]
    check_incident(body["incidents"][0])
    assert [m["id"] for m in body["scheduled_maintenances"]] == [maintenance]
    check_incident(body["scheduled_maintenances"][0], maintenance=True)


def test_every_v2_path(client, data, livedns, maintenance, clock):
    assert set(v2(client, "status.json")) == {"page", "status"}
    assert v2(client, "status.json")["status"]["indicator"] in INDICATORS
    assert len(v2(client, "components.json")["components"]) == 24
    assert [i["id"] for i in v2(client, "incidents/unresolved.json")["incidents"]] == [livedns]
    assert [
        m["id"]
        for m in v2(client, "scheduled-maintenances/upcoming.json")["scheduled_maintenances"]
    ] == [maintenance]
    assert v2(client, "scheduled-maintenances/active.json")["scheduled_maintenances"] == []
    with data() as session:
        resolve(session, session.get(Incident, livedns), "Fixed.", actor="ops", now=clock.now)
    clock.now += timedelta(hours=2, minutes=5)
    assert v2(client, "incidents/unresolved.json")["incidents"] == []
    (resolved,) = v2(client, "incidents.json")["incidents"]
    assert resolved["status"] == "resolved"
    active = v2(client, "scheduled-maintenances/active.json")["scheduled_maintenances"]
    assert [(m["id"], m["status"]) for m in active] == [(maintenance, "in_progress")]
    assert v2(client, "status.json")["status"] == {
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }
    assert len(v2(client, "scheduled-maintenances.json")["scheduled_maintenances"]) == 1


def test_v2_answers_head_and_without_accept_header(client):
    head = client.head("/api/v2/summary.json")
    assert head.status_code == 200
    assert head.data == b""
    response = client.get("/api/v2/status.json", headers={"Accept": ""})
    assert response.status_code == 200
    assert response.is_json


def test_a_real_statuspage_consumer_follows_an_incident(
    live_server, data, clock, components, tmp_path, monkeypatch
):
    """statuspage-prometheus-exporter, from PyPI, reads our summary.json as Atlassian's."""
    services = tmp_path / "services.json"
    url = f"{live_server}/api/v2/summary.json"
    services.write_text(json.dumps({"ours": {"url": url, "name": "Ours"}}))
    monkeypatch.setenv("SERVICES_JSON_PATH", str(services))
    monkeypatch.chdir(tmp_path)  # its cache lives in the working directory
    sys.modules.pop("statuspage_prometheus_exporter.service_checker", None)
    checker = importlib.import_module("statuspage_prometheus_exporter.service_checker")

    calm = checker.check_status_page_service("ours", {"url": url, "name": "Ours"})
    assert calm["success"]
    assert calm["status"] == 1
    assert calm["raw_status"] == "none"
    assert {c["status"] for c in calm["component_metadata"]} == {"operational"}

    incident_id = open_webmail(data, clock, components)
    down = checker.check_status_page_service("ours", {"url": url, "name": "Ours"})
    assert down["status"] == 0
    assert down["raw_status"] == "major"
    assert "Webmail unavailable" in down["details"]
    (meta,) = down["incident_metadata"]
    assert incident_id in json.dumps(meta)
    webmail = [c for c in down["component_metadata"] if c["name"] == "Webmail"]
    assert webmail[0]["status"] == "major_outage"

    with data() as session:
        resolve(session, session.get(Incident, incident_id), "Fixed.", actor="ops", now=clock.now)
    again = checker.check_status_page_service("ours", {"url": url, "name": "Ours"})
    assert again["status"] == 1
    assert again["incident_metadata"] == []


# -- badges and the embed ----------------------------------------------------------------------


def test_badges_say_the_status_in_words(client, livedns, components):
    site = client.get("/badge.svg?lang=fr")
    assert site.mimetype == "image/svg+xml"
    assert "Panne majeure des services" in site.get_data(as_text=True)
    assert site.headers["ETag"]
    assert "public" in site.headers["Cache-Control"]
    badge = client.get(f"/components/{components['livedns'].id}/badge.svg?lang=en")
    badge = badge.get_data(as_text=True)
    assert "LiveDNS" in badge
    assert "Major outage" in badge
    assert client.get("/components/aaaaaaaaaaaa/badge.svg").status_code == 404


def test_embed_banner_and_script(client, livedns):
    html = client.get("/embed?lang=en").get_data(as_text=True)
    assert "Major Service Outage" in html
    assert f"https://status.example.test/incidents/{livedns}" in html
    script = client.get("/embed.js")
    assert script.mimetype == "text/javascript"
    assert "https://status.example.test/embed" in script.get_data(as_text=True)


def test_last_modified_is_an_http_date(client):
    response = client.get("/api/v2/status.json")
    assert parsedate_to_datetime(response.headers["Last-Modified"]).year == 2026


@pytest.mark.parametrize(
    ("base", "origin"),
    [
        ("https://Status.Example.test:443", "https://status.example.test"),
        ("http://status.example.test:8080", "http://status.example.test:8080"),
    ],
)
def test_embed_script_names_the_origin_as_browsers_write_it(app, client, base, origin):
    """A base URL that spells out the default port: messages come from https://host, no port."""
    app.config["BASE_URL"] = base
    assert f'var origin = "{origin}";' in client.get("/embed.js").get_data(as_text=True)
