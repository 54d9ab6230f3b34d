"""A corpus of hostile input pushed through the forms and the JSON fields customers and staff
fill, then read back on every surface: pages, feeds (feedparser), JSON, mail, badges, embed.
No 500, nothing executable, nothing typed lost."""

import re

import feedparser
import pytest
import werkzeug.urls  # noqa: F401 - registers the "werkzeug.url_quote" error handler
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.domain.cleaning import clean_text
from statuspage.extensions import db, limiter
from statuspage.models import OutboxMessage, SupportRequest

from .test_deflection import contact

CORPUS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    "<iframe src=//evil.example></iframe>",
    "{{7*7}} ${7*7} <%= 7*7 %>",
    "' OR 1=1 --",
    "]]><x>",
    "&amp;&lt;&#0;&#x1b;",
    "\x00NUL",
    "\x1b[31mred\x1b[0m",
    "bell\x07 del\x7f c1\x85",
    "lone \ud800 surrogate",
    "\ufeffBOM \ufffe",
    "\u202eRTL override",
    "Ω≈ç√∫ é à ü ß",
    "👩‍👩‍👧‍👦 🇫🇷",
    "line\r\nBcc: victim@example.com",
    "%0d%0aSet-Cookie: x=1",
    "пример.рф xn--e1afmkfd.xn--p1ai",
    "../../etc/passwd",
    " ",
    "x" * 5000,
]
#: What would run in a browser if it came out unescaped.
EXECUTABLE = re.compile(
    r"<script>alert|<img src=x|<svg onload|href=\"javascript:|<iframe src=//evil|<style>body",
    re.I,
)


@pytest.fixture
def unlimited():
    limiter.enabled = False
    yield
    limiter.enabled = True


def raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def assert_safe(response, where):
    assert response.status_code < 500, where
    if response.mimetype in ("text/html", "image/svg+xml", "application/atom+xml"):
        assert not EXECUTABLE.search(response.get_data(as_text=True)), where


def test_corpus_through_the_contact_form(client, data, admin, livedns, unlimited):
    tried = 0
    for number, payload in enumerate(CORPUS):
        email = f"c{number}@example.com"
        response, _ = contact(  # as bytes: a lone surrogate reaches us as invalid UTF-8
            client,
            email=email,
            name=raw(payload[:200]),
            subject=raw(f"S {payload}"[:255]),
            message=raw(f"M {payload}"),
        )
        tried += 1
        assert response.status_code in (302, 422), payload
        if response.status_code == 422:  # what was typed comes back, escaped
            assert_safe(response, payload)
            continue
        private = client.get(response.headers["Location"])
        assert private.status_code == 200
        assert_safe(private, payload)
        with data() as session:
            row = session.execute(
                db.select(SupportRequest).where(SupportRequest.email == email)
            ).scalar_one()
            # werkzeug keeps undecodable bytes as %XX: still what was sent
            typed = raw(f"M {payload}").decode("utf-8", "werkzeug.url_quote")
            assert row.message == clean_text(typed).strip()  # nothing lost
            request_id = row.id
            mails = session.execute(
                db.select(OutboxMessage).where(OutboxMessage.recipient == email)
            ).scalars()
            for mail in mails:
                assert not EXECUTABLE.search(mail.html_body), payload
                assert "\n" not in mail.subject
        assert_safe(admin.get(f"/staff/requests/{request_id}"), payload)
    assert_safe(admin.get("/staff/tickets?state=all"), "tickets")
    assert tried == len(CORPUS)


def test_corpus_through_the_json_api(client, tokens, unlimited):
    auth = {"Authorization": f"Bearer {tokens['responder']}"}
    for number, payload in enumerate(CORPUS):
        for body in (
            {"email": f"a{number}@example.com", "subject": payload, "message": payload},
            {"email": payload, "subject": "x", "message": "y"},
            {"email": "a@example.com", "subject": "x", "message": "y", "domain": payload},
            {"email": "a@example.com", "subject": "x", "message": "y", "lang": payload},
            {payload: payload},
            {"subject": [payload], "message": {"a": payload}, "email": 5},
        ):
            response = client.post("/api/v1/requests", json=body)
            assert response.status_code in (201, 400, 422), (payload, body)
            assert response.is_json
            response = client.post("/api/v1/requests/match", json=body)
            assert response.status_code in (200, 400, 422), (payload, body)
        response = client.post(
            "/api/v1/incidents", json={"name": payload, "body": payload}, headers=auth
        )
        assert response.status_code in (201, 422), payload


def test_corpus_in_incidents_read_back_on_every_surface(client, tokens, components):
    auth = {"Authorization": f"Bearer {tokens['responder']}"}
    created = []
    for payload in CORPUS:
        response = client.post(
            "/api/v1/incidents",
            json={
                "name": f"N {payload}"[:255],
                "body": f"B {payload}",
                "components": {components["webmail"].id: "degraded_performance"},
                "keywords": [payload[:64]],
            },
            headers=auth,
        )
        assert response.status_code in (201, 422), payload
        if response.status_code == 201:
            created.append(response.get_json()["id"])
            assert response.get_json()["name"] == clean_text(f"N {payload}"[:255]).strip()
    assert len(created) >= len(CORPUS) - 2
    surfaces = [
        "/",
        "/history",
        "/embed",
        "/badge.svg",
        f"/components/{components['webmail'].id}",
        f"/components/{components['webmail'].id}/badge.svg",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        *(f"/incidents/{i}" for i in created),
    ]
    for url in surfaces:
        assert_safe(client.get(url), url)
    for url in (
        "/history.atom",
        "/history.rss",
        f"/components/{components['webmail'].id}/history.atom",
        *(f"/incidents/{i}/history.rss" for i in created),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        feed = feedparser.parse(response.data)
        assert feed.bozo == 0, (url, feed.get("bozo_exception"))
        for entry in feed.entries:
            for part in entry.get("content", []):
                assert not EXECUTABLE.search(part.value), url
    summary = client.get("/api/v2/summary.json").get_json()
    assert len(summary["incidents"]) >= len(created) - 1


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.text(max_size=300),
    domain=st.text(max_size=80),
    subject=st.text(max_size=300),
    message=st.text(max_size=600),
    lang=st.text(max_size=3),
)
def test_any_text_in_the_contact_form_is_stored_or_refused_never_a_500(
    client, unlimited, name, domain, subject, message, lang
):
    response, _ = contact(
        client,
        email="prop@example.com",
        name=raw(name),
        domain=raw(domain),
        subject=raw(subject),
        message=raw(message),
        lang=raw(lang),
    )
    assert response.status_code in (302, 422)
    assert_safe(response, "contact form")
