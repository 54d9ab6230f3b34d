"""Security headers and cookies, as a browser receives them on every kind of page."""

import re

import pytest

from statuspage import create_app

from .conftest import sign_in
from .test_staff import form_post, text

PUBLIC = [
    "/",
    "/history",
    "/about",
    "/contact",
    "/subscribe",
    "/badge.svg",
    "/embed.js",
    "/history.atom",
    "/api/v2/summary.json",
    "/api/v1/openapi.json",
    "/staff/login",
    "/no-such-page",
]
STAFF = ["/staff/", "/staff/incidents", "/staff/tickets", "/staff/audit", "/staff/tokens"]


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def assert_strict(response) -> None:
    csp = policy(response)
    assert csp, "no Content-Security-Policy"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert csp["script-src"].split()[0] == "'self'"
    assert csp["style-src"].split()[0] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in (
        "no-referrer",
        "strict-origin-when-cross-origin",
    )
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_response_has_strict_headers_and_cannot_be_framed(client, url):
    response = client.get(url)
    assert_strict(response)
    assert policy(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_console_pages_cannot_be_framed_nor_stored(admin):
    for url in STAFF:
        response = admin.get(url)
        assert response.status_code == 200, url
        assert_strict(response)
        assert policy(response)["frame-ancestors"] == "'none'"
        assert response.headers["Cache-Control"] == "no-store"


def test_api_answers_are_not_stored(client, tokens):
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    response = client.get("/api/v1/tokens", headers=auth)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert_strict(response)


def test_embed_stays_embeddable_also_from_the_page_cache(app, client):
    first = client.get("/embed")
    second = client.get("/embed")
    assert app.extensions["statuspage_page_cache"].renders == 1  # the second came from the cache
    for response in (first, second):
        assert response.status_code == 200
        assert_strict(response)
        assert policy(response)["frame-ancestors"] == "*"
        assert "X-Frame-Options" not in response.headers


def test_private_request_page_sends_no_referrer_and_is_not_stored(client):
    response = client.post(
        "/api/v1/requests",
        json={
            "email": "ana@example.com",
            "subject": "Help",
            "message": "My site is down.",
            "lang": "en",
        },
    )
    page = client.get(response.get_json()["url"].removeprefix("https://status.example.test"))
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


INLINE = re.compile(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", re.I)


def test_pages_have_no_inline_script_nor_style(client, admin, livedns):
    """What the policy would block in a browser: nothing of it is in our pages."""
    urls = [
        "/",
        f"/incidents/{livedns}",
        "/history",
        "/contact",
        "/subscribe",
        "/embed",
        f"/incidents/{livedns}/affected",
    ]
    for url in urls:
        body = text(client.get(url))
        assert not INLINE.search(body), (url, INLINE.search(body))
    for url in [*STAFF, f"/staff/incidents/{livedns}", "/staff/settings", "/staff/webhooks"]:
        body = text(admin.get(url))
        assert not INLINE.search(body), (url, INLINE.search(body))


def test_chat_snippet_origin_is_allowed_on_public_pages_only(admin, client):
    snippet = (
        '<script src="https://chat.example.com/widget.js"></script>'
        "<script>window.chat = {id: 42};</script>"
    )
    form_post(
        admin,
        "/staff/settings",
        "/staff/settings",
        {"chat_snippet": snippet, "overdue_minutes": "30", "backlog_trigger": ["major"]},
    )
    csp = policy(client.get("/"))
    assert "https://chat.example.com" in csp["script-src"]
    assert "'sha256-" in csp["script-src"]  # the inline part, by its hash only
    assert "https://chat.example.com" not in policy(admin.get("/staff/"))["script-src"]


def test_cookies_are_secure_httponly_and_samesite_over_https(client, staff_accounts):
    response = client.get("/?lang=fr")
    cookies = response.headers.getlist("Set-Cookie")
    lang = next(c for c in cookies if c.startswith("lang="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in lang
    response = sign_in(client, staff_accounts["admin"])
    session = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session


def test_plain_http_base_url_has_no_hsts_nor_secure_cookies(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "BASE_URL": "http://127.0.0.1:8000",
        }
    )
    response = app.test_client().get("/static/style.css?lang=fr")
    response.close()
    assert "Strict-Transport-Security" not in response.headers
    lang = response.headers["Set-Cookie"]
    assert "Secure" not in lang
    assert "HttpOnly" in lang
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# -- request size ------------------------------------------------------------------------------

HUGE = "x" * (2 * 1024 * 1024)


def test_a_huge_json_body_is_refused_with_a_json_413(client, tokens):
    response = client.post("/api/v1/requests", json={"email": "a@example.com", "message": HUGE})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    auth = {"Authorization": f"Bearer {tokens['admin']}"}
    response = client.post("/api/v1/incidents", json={"name": "x", "body": HUGE}, headers=auth)
    assert response.status_code == 413
    assert response.is_json


@pytest.mark.parametrize(("lang", "words"), [("en", "too large"), ("fr", "trop volumineux")])
def test_a_huge_form_is_refused_with_a_page_in_the_users_language(client, lang, words):
    response = client.post(
        f"/contact?lang={lang}", data={"email": "a@example.com", "message": HUGE}
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert words in text(response)


# -- secret key --------------------------------------------------------------------------------


def test_without_a_secret_key_the_app_refuses_to_start(tmp_path):
    from statuspage import config

    with pytest.raises(config.MissingSecretKey, match="STATUSPAGE_SECRET_KEY"):
        config.load(tmp_path, {"DATABASE_URL": "sqlite://"})
    assert not (tmp_path / "secret_key").exists()  # no key made up behind the operator's back
    # the command line may start without one, so that `flask init` can generate it
    assert config.load(tmp_path, {}, allow_missing_secret=True)["SECRET_KEY"] is None


def test_flask_init_generates_the_key_that_the_app_then_reads(tmp_path):
    from statuspage import config

    key = config.generate_secret(tmp_path)
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert config.load(tmp_path, {})["SECRET_KEY"] == key
    assert config.generate_secret(tmp_path) == key  # run again: the same key


def test_debug_and_tests_get_a_key_of_their_own(tmp_path):
    from statuspage import config

    assert config.load(tmp_path / "a", {}, debug=True)["SECRET_KEY"]
    assert config.load(tmp_path / "b", {"TESTING": True})["SECRET_KEY"]


def test_a_cached_page_costs_no_query_for_its_headers(app, client):
    from sqlalchemy import event

    from statuspage.extensions import db

    client.get("/")  # rendered and cached
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert "Content-Security-Policy" in response.headers
    # at most the data version (read at most once a second per process), nothing else
    assert [s for s in statements if "site_state" not in s.lower()] == []


def test_commands_that_serve_or_send_need_the_key():
    """Found in review: any command line could start without a key, `flask run` included (its
    forms then failed with a 500)."""
    import click

    from statuspage import _command_without_secret

    for name, allowed in (("init", True), ("db", True), ("run", False), ("worker", False)):
        group = click.Context(click.Group("flask"), info_name="flask")
        with group, click.Context(click.Command(name), info_name=name, parent=group):
            assert _command_without_secret() is allowed, name
    assert _command_without_secret() is False  # no command line: a WSGI server
