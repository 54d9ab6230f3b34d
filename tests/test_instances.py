"""Several instances of the app behind one load balancer: real gunicorn processes on one
database, sharing their rate limits through Debian's redis-server (started by the test)."""

from __future__ import annotations

import http.cookiejar
import time
import urllib.parse
import urllib.request

import pytest

from tests import processes
from tests.conftest import CSRF, PASSWORD, PG_URL
from tests.processes import gunicorn, stop

LIMIT = 3
redis_server = processes.redis_server  # Debian's redis-server, per test


def contact(instance, client: str, number: int, *, forwarded: str | None = None):
    """A request sent through a proxy that appends the client's address to X-Forwarded-For."""
    chain = f"{forwarded}, {client}" if forwarded else client
    status, _headers, _body = instance.request(
        "POST",
        "/api/v1/requests",
        body={
            "email": f"customer{number}@example.com",
            "subject": "Webmail",
            "message": "I cannot read my mail since this morning.",
            "lang": "en",
        },
        headers={"X-Forwarded-For": chain},
    )
    return status


def pair(tmp_path, database_url, storage_url, name):
    settings = {
        "STATUSPAGE_DATABASE_URL": database_url,
        "STATUSPAGE_RATELIMIT_STORAGE_URL": storage_url,
        "STATUSPAGE_RATELIMIT_SUBMIT": f"{LIMIT} per minute",
        "STATUSPAGE_TRUSTED_PROXIES": "1",  # behind one load balancer
    }
    return (
        gunicorn(tmp_path, f"{name}-a", settings),
        gunicorn(tmp_path, f"{name}-b", settings),
    )


def test_two_instances_share_one_limit_through_redis(app, database_url, redis_server, tmp_path):
    """With STATUSPAGE_RATELIMIT_STORAGE_URL=redis://... a client's requests count once,
    whichever instance the load balancer sends them to; the client is the address the trusted
    proxy appended to X-Forwarded-For, not what the client wrote there itself."""
    first, second = pair(tmp_path, database_url, redis_server.url, "redis")
    with first as a, second as b:
        answers = [contact(a if n % 2 == 0 else b, "203.0.113.9", n) for n in range(LIMIT)]
        assert answers == [201] * LIMIT  # stored, on both instances
        assert contact(b, "203.0.113.9", 10) == 429  # the limit is hit across both
        assert contact(a, "203.0.113.9", 11) == 429
        # a client that writes another address into the header is still itself: only the
        # one trusted proxy's entry (the last) is believed
        assert contact(a, "203.0.113.9", 12, forwarded="198.51.100.77") == 429
        # another client behind the same balancer has its own budget
        assert contact(b, "198.51.100.7", 13) == 201
        assert any("statuspage/" in key for key in redis_server.stored_keys()), (
            redis_server.stored_keys()
        )

        # Redis stopped: the forms keep working, each instance counting on its own
        stop(redis_server.process)
        answers = [contact(a, "192.0.2.44", 20 + n) for n in range(LIMIT + 1)]
        assert answers == [201] * LIMIT + [429]


def test_without_a_shared_storage_each_instance_counts_alone(app, database_url, tmp_path):
    """What Redis is for: with `memory://` (the default) the same client gets the limit once
    per instance."""
    first, second = pair(tmp_path, database_url, "memory://", "memory")
    with first as a, second as b:
        answers = [contact(a if n % 2 == 0 else b, "203.0.113.9", n) for n in range(2 * LIMIT)]
    assert answers == [201] * (2 * LIMIT)


@pytest.mark.skipif(not PG_URL, reason="several instances share one PostgreSQL (SQLite is local)")
def test_two_instances_on_one_postgresql_see_each_other(
    app, database_url, tokens, staff_accounts, components, tmp_path
):
    """An incident opened through one instance's staff API shows on the other's page and
    summary.json within a second (the data version is read once a second per process); a
    request sent to one is in the other's console."""
    settings = {"STATUSPAGE_DATABASE_URL": database_url, "STATUSPAGE_RATELIMIT_ENABLED": "0"}
    with gunicorn(tmp_path, "a", settings) as a, gunicorn(tmp_path, "b", settings) as b:
        for instance in (a, b):  # both have rendered and cached the page before the change
            assert instance.request("GET", "/api/v2/summary.json")[2]["incidents"] == []
            assert instance.request("GET", "/?lang=en")[0] == 200

        status, _h, opened = a.request(
            "POST",
            "/api/v1/incidents",
            body={
                "name": "Webmail login failures",
                "status": "investigating",
                "impact": "major",
                "body": "Some customers cannot sign in to webmail.",
                "components": {components["webmail"].id: "partial_outage"},
            },
            headers={"Authorization": f"Bearer {tokens['responder']}"},
        )
        assert status == 201, opened
        changed = time.monotonic()
        while True:
            asked = time.monotonic() - changed
            summary = b.request("GET", "/api/v2/summary.json")[2]
            if [i["id"] for i in summary["incidents"]] == [opened["id"]]:
                break
            # the version is read once a second; 0.2 s for a loaded machine's requests
            assert asked < 1.2, "the other instance still serves the page from before"
            time.sleep(0.05)
        page = b.request("GET", "/?lang=en")[2]
        assert "Webmail login failures" in page
        assert b.request("GET", f"/incidents/{opened['id']}")[0] == 200

        reference = _send(b)
        console = _signed_in_page(a, staff_accounts["responder"], "/staff/tickets")
        assert reference in console


def _send(instance) -> str:
    """A request sent through the API; its reference."""
    status, _h, body = instance.request(
        "POST",
        "/api/v1/requests",
        body={
            "email": "visible@example.com",
            "subject": "Transfert de domaine",
            "message": "Comment obtenir le code d'autorisation pour transférer example.fr ?",
            "lang": "fr",
        },
    )
    assert status == 201, body
    return body["reference"]


def _signed_in_page(instance, email: str, path: str) -> str:
    """A console page as a staff member sees it after signing in on that instance."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = opener.open(instance.url + "/staff/login", timeout=30).read().decode()
    match = CSRF.search(login)
    token = match.group(1) or match.group(2)
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    signed_in = opener.open(instance.url + "/staff/login", data=form.encode(), timeout=30)
    assert "/staff/login" not in signed_in.url, "sign-in refused"
    return opener.open(instance.url + path, timeout=30).read().decode()
