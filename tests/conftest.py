"""Fixtures: a real SQLite file per test, or the PostgreSQL server named by
STATUSPAGE_TEST_DATABASE_URL (schema created once, tables emptied between tests).

Each test's SQLite file is a copy of a template built once per session (schema and catalogue):
`create_all` on SQLite costs most of a second per test, a file copy a few milliseconds.

Markers (registered in pyproject.toml): `browser` (Debian's Chromium), `slow` (the matcher's
cross-validation and the Nu Html Checker, left out of `make check`) and `db_independent`. The
PostgreSQL pass runs only the tests that reach the database under test: a test that uses neither
the `database_url` fixture (through `app`, `client`, ...) nor `empty_url` never meets
PostgreSQL, and browser tests and those marked `db_independent` check what a page shows or a
deployment does, the same whatever the database.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from werkzeug.serving import make_server

from statuspage import create_app
from statuspage.content import load_catalogue
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component, StaffRole
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.operations import IncidentInput, add_update, open_incident
from statuspage.services.staff import create_staff, create_token

from .processes import free_port

# The same examples on every run (a suite that lands or not must not depend on luck); set
# HYPOTHESIS_PROFILE=explore to search new ones, as a fuzzing session would.
hypothesis_settings.register_profile("suite", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

PG_URL = os.environ.get("STATUSPAGE_TEST_DATABASE_URL")
CONTENT = Path(__file__).resolve().parent.parent / "content"
_pg_schema_ready = False
#: Fixtures through which a test reaches the database under test (PostgreSQL in the second pass).
DATABASE_FIXTURES = frozenset({"database_url", "empty_url"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker(
            "browser"
        ):
            item.add_marker(pytest.mark.browser)  # Chromium: whatever the module says
    if not PG_URL:
        return
    kept, left = [], []
    for item in items:
        (kept if _meets_the_database(item) else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def _meets_the_database(item: pytest.Item) -> bool:
    """Whether the PostgreSQL pass has anything to check in this test (see the docstring)."""
    if item.get_closest_marker("browser") or item.get_closest_marker("db_independent"):
        return False
    return bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())))


class Clock:
    """The app's clock in tests: set it, never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return PG_URL or f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> Callable[[dict, datetime], Path]:
    """SQLite files with the schema and the catalogue synced at a given time, built on demand."""
    folder = tmp_path_factory.mktemp("sqlite-templates")
    built: dict[datetime, Path] = {}

    def template(config: dict, now: datetime) -> Path:
        if now not in built:
            path = folder / f"template-{len(built)}.db"
            maker = create_app({**config, "DATABASE_URL": f"sqlite:///{path}"})
            with maker.app_context():
                db.create_all()
                sync_catalogue(db.session, load_catalogue(CONTENT), now=now)
                db.session.commit()
                db.engine.dispose()
            built[now] = path
        return built[now]

    return template


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url.removeprefix(prefix)) if url.startswith(prefix) else None


def _reset_schema() -> None:
    global _pg_schema_ready
    if db.engine.dialect.name != "postgresql":
        db.create_all()
        return
    if not _pg_schema_ready:
        db.drop_all()
        db.create_all()
        _pg_schema_ready = True
        return
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    db.session.commit()


@pytest.fixture
def app(database_url: str, clock: Clock, tmp_path: Path, sqlite_templates):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "https://status.example.test",
        "SITE_NAME": "Example Status",
        "CLOCK": clock,
    }
    sqlite_file = _sqlite_file(database_url)
    copied = sqlite_file is not None and not sqlite_file.exists()
    if copied:  # the test's own new file: a copy of the template
        shutil.copyfile(sqlite_templates(config, clock.now), sqlite_file)
    # the test's own spool: a request spooled by one test is never found by another's key
    spool = str(tmp_path / "spool")
    app = create_app({**config, "DATABASE_URL": database_url, "SPOOL_DIR": spool})
    if not copied:
        with app.app_context():
            _reset_schema()
            sync_catalogue(db.session, load_catalogue(CONTENT), now=clock.now)
            db.session.commit()
    # No context stays pushed: each client request gets its own, as in production.
    yield app
    with app.app_context():
        db.engine.dispose()  # the SQLite file goes with the test's tmp_path


@pytest.fixture
def session(app):
    """The database session, for tests that do not make requests."""
    with app.app_context():
        yield db.session


@pytest.fixture
def data(app):
    """`with data() as session:` writes between requests, committed at the end of the block."""

    @contextmanager
    def block():
        with app.app_context():
            yield db.session
            db.session.commit()

    return block


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@dataclass(frozen=True)
class ComponentInfo:
    id: str
    key: str
    name_en: str
    name_fr: str

    def name(self, lang: str) -> str:
        return self.name_fr if lang == "fr" else self.name_en


@pytest.fixture
def components(app) -> dict[str, ComponentInfo]:
    """Catalogue components by content key (plain values, usable outside any context)."""
    with app.app_context():
        rows = db.session.execute(db.select(Component)).scalars()
        return {c.key: ComponentInfo(c.id, c.key, c.name_en, c.name_fr) for c in rows}


CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
PASSWORD = "correct horse battery staple"


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on `url`, as a browser would find it."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF.search(html)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


@pytest.fixture
def staff_accounts(app, clock):
    """An admin and a responder, with the password PASSWORD."""
    with app.app_context():
        for email, role in (
            ("admin@example.com", StaffRole.ADMIN),
            ("responder@example.com", StaffRole.RESPONDER),
        ):
            create_staff(db.session, email, role, now=clock.now, password=PASSWORD)
        db.session.commit()
    return {"admin": "admin@example.com", "responder": "responder@example.com"}


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/staff/login")
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    )


@pytest.fixture
def responder(client, staff_accounts):
    """A client signed in as a responder."""
    assert sign_in(client, staff_accounts["responder"]).status_code == 302
    return client


@pytest.fixture
def admin(app, staff_accounts):
    """A client of its own, signed in as an admin."""
    client = app.test_client()
    assert sign_in(client, staff_accounts["admin"]).status_code == 302
    return client


@pytest.fixture
def tokens(app, clock):
    """Bearer secrets of an admin token and a responder token."""
    with app.app_context():
        _, admin_secret = create_token(
            db.session, "ops-admin", StaffRole.ADMIN, actor="test", now=clock.now
        )
        _, responder_secret = create_token(
            db.session, "chatops", StaffRole.RESPONDER, actor="test", now=clock.now
        )
        db.session.commit()
    return {"admin": admin_secret, "responder": responder_secret}


def new_incident(
    data, clock, components, *, name, component, status, impact, body="Investigating.", **extra
) -> str:
    """Opens an incident as the console and the API do; returns its id."""
    with data() as session:
        incident = open_incident(
            session,
            IncidentInput(
                name=name,
                kind=st.IncidentKind.INCIDENT,
                status=st.IncidentStatus.INVESTIGATING,
                impact=impact,
                body=body,
                components={components[component].id: status},
                **extra,
            ),
            actor="responder@example.com",
            now=clock.now,
        )
        return incident.id


def new_maintenance(data, clock, components, *, name, component, starts_in, body, hours=1) -> str:
    """Schedules a maintenance `starts_in` from the clock's now; returns its id."""
    start = clock.now + starts_in
    with data() as session:
        incident = open_incident(
            session,
            IncidentInput(
                name=name,
                kind=st.IncidentKind.MAINTENANCE,
                status=st.IncidentStatus.SCHEDULED,
                impact=st.Impact.MAINTENANCE,
                body=body,
                components={components[component].id: "under_maintenance"},
                scheduled_for=start,
                scheduled_until=start + timedelta(hours=hours),
            ),
            actor="responder@example.com",
            now=clock.now,
        )
        return incident.id


@pytest.fixture
def livedns(data, clock, components):
    """A critical LiveDNS incident, opened 10 minutes ago."""
    return open_livedns(
        data,
        clock,
        components,
        body="Queries for some zones return **SERVFAIL** or time out: websites and "
        "incoming email of the domains concerned may not resolve.",
        started_at=clock.now - timedelta(minutes=10),
        keywords=("servfail",),
    )


#: The tests' usual outage: LiveDNS fails to resolve, a critical incident.
LIVEDNS = {
    "name": "LiveDNS resolution errors",
    "component": "livedns",
    "status": "major_outage",
    "impact": st.Impact.CRITICAL,
}


#: Its name in both languages, for the tests of bilingual texts.
LIVEDNS_NAMES = {"en": LIVEDNS["name"], "fr": "Erreurs de résolution LiveDNS"}


def open_livedns(data, clock, components, **extra) -> str:
    """The LiveDNS outage opened now (`extra` overrides: its body, `started_at`...)."""
    return new_incident(data, clock, components, **{**LIVEDNS, **extra})


def quiet_then_fixed(session, incident, now, *, quiet: str) -> None:
    """Two updates by staff: `quiet` (identified) told to nobody, then "Fix deployed."
    (monitoring), told as usual."""
    add_update(
        session,
        incident,
        status=st.IncidentStatus.IDENTIFIED,
        body=quiet,
        components=None,
        actor="ops",
        now=now,
        deliver_notifications=False,
    )
    add_update(
        session,
        incident,
        status=st.IncidentStatus.MONITORING,
        body="Fix deployed.",
        components=None,
        actor="ops",
        now=now,
    )


#: The tests' other outage: the webmail answers 502, a major incident.
WEBMAIL = {
    "name": "Webmail unavailable",
    "component": "webmail",
    "status": "major_outage",
    "impact": st.Impact.MAJOR,
    "body": "502 on the webmail.",
}


def open_webmail(data, clock, components, **extra) -> str:
    """The webmail outage opened now (`extra` overrides: its impact...)."""
    return new_incident(data, clock, components, **{**WEBMAIL, **extra})


#: The keys of an incident and of one of its updates in Atlassian Statuspage's v2 JSON.
V2_INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
V2_UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}


@pytest.fixture
def live_server(app):
    """The app served on a free loopback port, for real HTTP clients."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


# -- a real SMTP server ---------------------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()
