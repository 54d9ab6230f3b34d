"""deploy/: Debian's nginx with deploy/nginx.conf in front of gunicorn with
deploy/gunicorn.conf.py, as the systemd units start it. nginx serves the published mirror in the
visitor's language and passes the rest to the app; with the app stopped, the mirror still
answers and the contact form says clearly that it cannot."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import feedparser
import pytest
from sqlalchemy import func, select

from statuspage.domain import status as st
from statuspage.models import SupportRequest
from tests.conftest import CSRF, new_incident
from tests.processes import free_port, wait_for_port

# nginx's configuration and the systemd units, whatever the database behind the app
pytestmark = pytest.mark.db_independent

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


def replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy files no longer contain {old!r}: update tests/test_deploy.py"
    return text.replace(old, new)


class Site:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, path, *, method="GET", headers=None, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


def unit_command(unit: str, **settings: str) -> list[str]:
    """The unit's ExecStart, for this checkout instead of /srv/statuspage."""
    line = re.search(r"^ExecStart=(.+)$", (DEPLOY / unit).read_text(), re.MULTILINE).group(1)
    line = replace(line, "/srv/statuspage/.venv/bin/", str(Path(sys.executable).parent) + "/")
    line = line.replace("/srv/statuspage/", f"{ROOT}/")
    return shlex.split(line)


@pytest.fixture
def nginx_binary() -> str:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(binary, os.X_OK):
        pytest.fail("Debian's nginx is missing: `make test` installs it (apt-get install nginx)")
    return binary


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """The app as statuspage.service runs it, on a free port; `stop()` stops it."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": database_url,
        "STATUSPAGE_SECRET_KEY": "test-secret",
        "STATUSPAGE_BASE_URL": "http://127.0.0.1",
        "STATUSPAGE_SPOOL_DIR": str(tmp_path / "spool"),
        "STATUSPAGE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "STATUSPAGE_TRUSTED_PROXIES": "1",
        "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port} --workers 1 --threads 4",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            unit_command("statuspage.service"), cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        wait_for_port(port, process, log)
        process.port = port
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture
def site(nginx_binary, gunicorn, runner, livedns, tmp_path):
    """nginx with deploy/nginx.conf on a free loopback port, the mirror published."""
    mirror = tmp_path / "mirror"
    result = runner.invoke(args=["publish", str(mirror)])
    assert result.exit_code == 0, result.output
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    server = (DEPLOY / "nginx.conf").read_text()
    server = replace(server, "root /var/lib/statuspage/mirror;", f"root {mirror};")
    server = replace(server, "/srv/statuspage/", f"{ROOT}/")
    server = replace(server, "server 127.0.0.1:8000;", f"server 127.0.0.1:{gunicorn.port};")
    server = replace(server, "listen 80;", f"listen 127.0.0.1:{port};")
    server = replace(server, "listen [::]:80;", "")
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    gzip on;  # as in Debian's /etc/nginx/nginx.conf
{temp}
{server}
}}
"""
    )
    log = prefix / "error.log"
    log.touch()
    with log.open("a") as output:
        process = subprocess.Popen(
            [nginx_binary, "-p", prefix, "-c", prefix / "nginx.conf", "-g", "daemon off;"],
            stdout=output,
            stderr=output,
        )
    try:
        wait_for_port(port, process, log)
        site = Site(port)
        site.mirror = mirror
        yield site
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful stop of the master, by its PID
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def html_lang(body: bytes) -> str:
    return re.search(rb'<html lang="(\w+)">', body).group(1).decode()


def test_nginx_serves_the_mirror_and_passes_the_rest_to_the_app(site, gunicorn, app, data, livedns):
    mirror = site.mirror
    client = app.test_client(use_cookies=False)  # each request with the headers given only
    # The language: ?lang=, then the cookie, then Accept-Language, as the app chooses it.
    for headers, path, lang in (
        ({}, "/", "en"),
        ({}, "/?lang=fr", "fr"),
        ({"Cookie": "lang=fr"}, "/", "fr"),
        ({"Cookie": "lang=fr"}, "/?lang=en", "en"),
        ({"Cookie": "lang=fr", "Accept-Language": "en"}, "/", "fr"),
        ({"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}, "/", "fr"),
        ({"Accept-Language": "de-DE,de;q=0.9,fr;q=0.7,en;q=0.5"}, "/", "fr"),
        ({"Accept-Language": "en-GB,en;q=0.9,fr;q=0.8"}, "/", "en"),
        ({"Accept-Language": "de"}, "/", "en"),
        ({"Accept-Language": "fr"}, f"/incidents/{livedns}", "fr"),
    ):
        status, answer, body = site.request(path, headers=headers)
        assert status == 200, (headers, path)
        assert answer["Content-Type"] == "text/html; charset=utf-8"
        assert html_lang(body) == lang, (headers, path)
        assert html_lang(client.get(path, headers=headers).data) == lang, ("app", headers, path)
        relative = f"{path.partition('?')[0].strip('/')}/index.html".lstrip("/")
        assert body == (mirror / lang / relative).read_bytes()  # nginx's file, not the app's
    status, answer, _ = site.request("/?lang=fr")
    assert answer["Set-Cookie"].startswith("lang=fr;")
    assert "Accept-Language, Cookie" in answer.get_all("Vary")  # and gzip's Accept-Encoding

    # The app's security headers; only /embed may be framed.
    for path in ("/", "/embed"):
        _, answer, _ = site.request(path)
        expected = client.get(path).headers
        for name in SECURITY_HEADERS:
            assert answer.get(name) == expected.get(name), (path, name)

    # Feeds, badges, the JSON API, embed.js: their content types, in both languages.
    for lang in ("en", "fr"):
        for path, kind in (
            ("/history.atom", "application/atom+xml; charset=utf-8"),
            ("/history.rss", "application/rss+xml; charset=utf-8"),
            (f"/incidents/{livedns}/history.atom", "application/atom+xml; charset=utf-8"),
        ):
            status, answer, body = site.request(f"{path}?lang={lang}")
            assert (status, answer["Content-Type"]) == (200, kind), path
            feed = feedparser.parse(body)
            assert feed.bozo == 0
            assert feed.feed.language == lang
            assert "LiveDNS resolution errors" in body.decode()
    # Feeds and the JSON API speak ?lang=, else the default language, whatever the browser and
    # the cookie say: one URL, one answer, from nginx as from the app.
    french_browser = {"Cookie": "lang=fr", "Accept-Language": "fr-FR,fr;q=0.9"}
    for path in ("/history.atom", f"/incidents/{livedns}/history.rss", "/api/v2/summary.json"):
        status, _, body = site.request(path, headers=french_browser)
        assert status == 200, path
        assert body == (mirror / "en" / path.lstrip("/")).read_bytes(), path
        assert body == client.get(path, headers=french_browser).data, path
    for path, kind in (
        ("/badge.svg", "image/svg+xml; charset=utf-8"),
        ("/api/v2/summary.json", "application/json; charset=utf-8"),
        ("/embed.js", "text/javascript; charset=utf-8"),
        ("/site.css", "text/css; charset=utf-8"),
        ("/logo.svg", "image/svg+xml; charset=utf-8"),
    ):
        status, answer, _ = site.request(path)
        assert (status, answer["Content-Type"]) == (200, kind), path
    assert site.request("/api/v2/summary.json")[1]["Access-Control-Allow-Origin"] == "*"
    assert site.request("/")[1]["Access-Control-Allow-Origin"] is None
    status, _, body = site.request("/history?page=1&lang=fr")
    assert body == (mirror / "fr" / "history" / "index.html").read_bytes()

    # Revalidation and compression.
    status, answer, body = site.request("/", headers={"Accept-Encoding": "gzip"})
    assert answer["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (mirror / "en" / "index.html").read_bytes()
    etag = answer["ETag"]
    assert etag
    status, _, body = site.request("/", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert (status, body) == (304, b"")
    status, answer, _ = site.request("/api/v2/summary.json", headers={"Accept-Encoding": "gzip"})
    assert answer["Content-Encoding"] == "gzip"
    status, answer, _ = site.request("/static/style.css")
    assert (status, answer["Content-Type"]) == (200, "text/css; charset=utf-8")

    # The contact form is the app's, and a request sent through nginx is stored.
    status, answer, body = site.request("/contact?lang=fr", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert answer["Content-Encoding"] is None  # a page with a CSRF token: never compressed
    page = body.decode()
    cookie = "; ".join(c.split(";", 1)[0] for c in answer.get_all("Set-Cookie"))
    match = CSRF.search(page)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    form = {
        "csrf_token": match.group(1) or match.group(2),
        "submission_key": key,
        "email": "tom@example.com",
        "name": "Tom",
        "service": "",
        "domain": "",
        "subject": "SERVFAIL on our zones",
        "message": "dig example.org returns SERVFAIL from your nameservers since 13:49 UTC.",
        "lang": "fr",
    }
    status, answer, _ = site.request(
        "/contact",
        method="POST",
        body=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert status in (302, 303)
    assert answer["Location"].startswith("/requests/")
    with data() as session:
        assert session.execute(select(func.count()).select_from(SupportRequest)).scalar() == 1
    status, answer, _ = site.request(answer["Location"])
    assert status == 200
    assert answer["Cache-Control"] == "no-store"

    # The app stopped: the mirror still answers, what needs the app says so.
    gunicorn.send_signal(signal.SIGTERM)
    gunicorn.wait(timeout=30)
    for lang in ("en", "fr"):
        status, _, body = site.request(f"/?lang={lang}")
        assert (status, html_lang(body)) == (200, lang)
        status, _, body = site.request(f"/history.atom?lang={lang}")
        assert status == 200
        assert feedparser.parse(body).feed.language == lang
        status, _, body = site.request(f"/incidents/{livedns}/history.rss?lang={lang}")
        assert status == 200
        assert feedparser.parse(body).bozo == 0
    assert site.request("/api/v2/summary.json")[0] == 200
    status, answer, _ = site.request(f"/i/{livedns}")  # a short link, redirected by nginx
    assert (status, answer["Location"]) == (301, f"/incidents/{livedns}")
    for method, lang, text in (
        ("GET", "en", "Temporarily unavailable"),
        ("POST", "fr", "Momentanément indisponible"),
    ):
        status, answer, body = site.request(
            f"/contact?lang={lang}",
            method=method,
            body=urlencode(form) if method == "POST" else None,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 503
        assert answer["Retry-After"] == "30"
        assert answer["Content-Type"] == "text/html; charset=utf-8"
        assert text in body.decode()
        assert (
            answer["Content-Security-Policy"] == client.get("/").headers["Content-Security-Policy"]
        )
    assert site.request("/staff/")[0] == 503


def test_nginx_follows_each_publication_and_the_history_pages(
    app, site, gunicorn, runner, data, clock, components
):
    """The worker switches the mirror's link; nginx serves the new tree within a second (its
    open file cache checks a file once a second)."""
    assert b"Old outage" not in site.request("/history")[2]
    for days in (35, 65):
        new_incident(
            data,
            clock,
            components,
            name=f"Old outage {days} days ago",
            component="webmail",
            status="major_outage",
            impact=st.Impact.MAJOR,
            started_at=clock.now - timedelta(days=days),
        )
    app.config["HISTORY_PAGE_SIZE"] = 1
    assert runner.invoke(args=["publish", str(site.mirror)]).exit_code == 0
    switched = time.monotonic()
    while b'rel="next"' not in site.request("/history")[2]:  # nginx had it open: now paged
        assert time.monotonic() - switched < 1.5, "nginx still serves the previous mirror"
        time.sleep(0.05)
    pages = sorted(p.name for p in (site.mirror / "fr" / "history" / "page").iterdir())
    assert pages == ["2", "3"]
    for number in pages:
        status, _, body = site.request(f"/history?page={number}&lang=fr")
        assert status == 200
        assert (
            body == (site.mirror / "fr" / "history" / "page" / number / "index.html").read_bytes()
        )
    status, _, body = site.request("/history?page=3", headers={"Accept-Language": "fr"})
    assert b"Old outage 65 days ago" in body
    # A page the mirror does not have: the app's answer (its own render, its own ETag).
    status, answer, _ = site.request("/history?page=4")
    direct = Site(gunicorn.port).request("/history?page=4")
    assert (status, answer["ETag"]) == (direct[0], direct[1]["ETag"])


def test_systemd_units_are_valid(tmp_path):
    """systemd's own check of both units, pointed at this checkout (commands executable)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: `make test` installs it (Debian's systemd)")
    venv = str(Path(sys.executable).parent.parent)
    units = []
    for name in ("statuspage.service", "statuspage-worker.service"):
        text = replace((DEPLOY / name).read_text(), "/srv/statuspage/.venv", venv)
        text = replace(text, "/etc/statuspage/statuspage.env", str(DEPLOY / "statuspage.env"))
        (tmp_path / name).write_text(text.replace("/srv/statuspage", str(ROOT)))
        units.append(str(tmp_path / name))
    result = subprocess.run(
        [analyze, "verify", *units], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == "", result.stderr
