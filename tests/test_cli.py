"""`flask init`, `flask demo` and the migrations, on an empty database of each kind."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from statuspage import create_app
from statuspage.extensions import db
from statuspage.models import Component, Incident

from .conftest import PG_URL, sign_in


@pytest.fixture
def empty_url(tmp_path: Path):
    """An empty database: a new SQLite file, or a new database on the test PostgreSQL server."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"statuspage_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def fresh_app(empty_url, clock):
    app = create_app(
        {"TESTING": True, "DATABASE_URL": empty_url, "SECRET_KEY": "t", "CLOCK": clock}
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_migrations_reach_the_models_and_go_back(fresh_app):
    with fresh_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        downgrade(revision="base")
        with db.engine.connect() as conn:
            names = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
        assert names == set()


def test_the_second_incident_offered_migrates_without_touching_existing_requests(fresh_app):
    """0005 adds the second incident offered (nullable): requests stored before keep everything,
    a request can then hold an alternative that points at an incident, and going back drops only
    the new columns."""
    requests = "SELECT reference, proposal_score FROM support_request"
    with fresh_app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO incident (id, kind, name, status, impact, keywords, created_at, "
                    "updated_at) VALUES ('inc000000001', 'incident', 'LiveDNS', 'investigating', "
                    "'critical', '[]', '2026-03-10 12:00:00', '2026-03-10 12:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO support_request (reference, kind, state, email, name, subject, "
                    "message, lang, created_at, updated_at, proposed_incident_id, proposal_score, "
                    "detached_by_staff, still_broken) VALUES ('REQ-2345AB', 'ticket', 'proposed', "
                    "'a@example.com', '', 'DNS', 'SERVFAIL', 'en', '2026-03-10 12:00:00', "
                    "'2026-03-10 12:00:00', 'inc000000001', 0.7, false, false)"
                )
            )
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            assert conn.execute(text(requests)).all() == [("REQ-2345AB", 0.7)]
            assert conn.execute(
                text("SELECT alternative_incident_id, alternative_score FROM support_request")
            ).all() == [(None, None)]
            conn.execute(
                text(
                    "UPDATE support_request SET alternative_incident_id = 'inc000000001', "
                    "alternative_score = 0.6"
                )
            )
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("support_request")}
        assert {"alternative_incident_id", "alternative_score", "alternative_reasons"} <= columns
        foreign = db.inspect(db.engine).get_foreign_keys("support_request")
        assert any(
            fk["constrained_columns"] == ["alternative_incident_id"]
            and fk["referred_table"] == "incident"
            for fk in foreign
        )
        downgrade(revision="0004")
        with db.engine.connect() as conn:
            assert conn.execute(text(requests)).all() == [("REQ-2345AB", 0.7)]
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("support_request")}
        assert not any(c.startswith("alternative_") for c in columns)


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_init_is_idempotent(fresh_app):
    runner = fresh_app.test_cli_runner()
    first = runner.invoke(args=["init"])
    assert first.exit_code == 0, first.output
    assert "24 created" in first.output
    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    assert "0 created, 0 changed, 0 hidden" in second.output
    with fresh_app.app_context():
        assert count(Component) == 24


def test_demo_loads_a_lived_in_history_once(fresh_app):
    runner = fresh_app.test_cli_runner()
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0  # no schema yet, or no catalogue: never a silent half-load
    assert runner.invoke(args=["init"]).exit_code == 0
    loaded = runner.invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    with fresh_app.app_context():
        assert count(Incident) >= 15
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 1
    assert "already exist" in again.output
    client = fresh_app.test_client()
    home = client.get("/?lang=fr")
    assert home.status_code == 200
    history = client.get("/history?lang=en").get_data(as_text=True)
    assert "Delays in receiving email" in history or "LiveDNS resolution errors" in history


def test_staff_create_prints_a_generated_password_once(runner, client):
    result = runner.invoke(args=["staff", "create", "Alice@Example.com", "--role", "admin"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].split(": ", 1)[1]
    assert len(password) >= 20
    assert sign_in(client, "alice@example.com", password).status_code == 302
    again = runner.invoke(args=["staff", "create", "alice@example.com"])
    assert again.exit_code == 1
    assert "already has an account" in again.output


def test_staff_create_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(
        args=["staff", "create", "bob@example.com", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    assert sign_in(client, "bob@example.com", "a long enough password").status_code == 302
    short = runner.invoke(
        args=["staff", "create", "eve@example.com", "--password-stdin"], input="short\n"
    )
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output


def test_staff_hint_only_when_nobody_can_sign_in(runner):
    assert "No staff account yet" in runner.invoke(args=["staff", "hint"]).output
    runner.invoke(args=["staff", "create", "a@example.com"])
    assert runner.invoke(args=["staff", "hint"]).output == ""


def test_token_create_prints_the_token_alone_on_its_last_line(runner, client):
    result = runner.invoke(args=["token", "create", "--name", "chatops"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("sp_")
    assert " " not in token
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403
    revoked = runner.invoke(args=["token", "revoke", "--name", "chatops"])
    assert "revoked 1 token(s)" in revoked.output
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401


def test_the_bilingual_migration_sorts_existing_text_into_its_language(fresh_app):
    """0008: a title and updates written in French (from the French template) become the
    French text; English ones, and texts too short to tell, the site's default language (here
    English); a postmortem keeps its language too. Going back keeps the default language's text,
    or the other one's where it is missing."""
    insert_incident = (
        "INSERT INTO incident (id, kind, name, status, impact, keywords, postmortem_body, "
        "created_at, updated_at) VALUES (:id, 'incident', :name, 'resolved', 'minor', '[]', "
        ":postmortem, '2026-03-10 12:00:00', '2026-03-10 12:00:00')"
    )
    insert_update = (
        "INSERT INTO incident_update (id, incident_id, status, body, display_at, position, "
        "deliver_notifications, created_at, updated_at) VALUES (:id, :incident, 'investigating', "
        ":body, '2026-03-10 12:00:00', :position, true, '2026-03-10 12:00:00', "
        "'2026-03-10 12:00:00')"
    )
    french_body = (
        "Nous constatons des **retards dans la réception des emails**. Les messages sont mis en "
        "file d'attente, pas perdus."
    )
    with fresh_app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(
                text(insert_incident),
                [
                    {"id": "inc00000000f", "name": "Retards de réception des emails",
                     "postmortem": "Un filtre anti-spam était saturé par une vague de messages."},
                    {"id": "inc00000000e", "name": "Web down", "postmortem": None},
                ],
            )  # fmt: skip
            conn.execute(
                text(insert_update),
                [
                    {"id": "upd00000000a", "incident": "inc00000000f", "body": french_body,
                     "position": 0},
                    {"id": "upd00000000b", "incident": "inc00000000f", "body": "Corrigé.",
                     "position": 1},
                    {"id": "upd00000000c", "incident": "inc00000000e",
                     "body": "We are investigating errors on the web hosting platform.",
                     "position": 0},
                    {"id": "upd00000000d", "incident": "inc00000000e", "body": "Fixed.",
                     "position": 1},
                ],
            )  # fmt: skip
        upgrade(revision="0008")
        with db.engine.connect() as conn:
            incidents = conn.execute(
                text("SELECT id, name_en, name_fr, postmortem_en, postmortem_fr FROM incident")
            ).all()
            rows = conn.execute(text("SELECT id, body_en, body_fr FROM incident_update"))
            updates = {row[0]: (row[1], row[2]) for row in rows}
        assert sorted(incidents) == [
            ("inc00000000e", "Web down", "", "", ""),
            (
                "inc00000000f",
                "",
                "Retards de réception des emails",
                "",
                "Un filtre anti-spam était saturé par une vague de messages.",
            ),
        ]
        assert updates == {
            "upd00000000a": ("", french_body),
            "upd00000000b": ("", "Corrigé."),  # too short to tell: the incident's language
            "upd00000000c": ("We are investigating errors on the web hosting platform.", ""),
            "upd00000000d": ("Fixed.", ""),
        }
        downgrade(revision="0006")
        with db.engine.connect() as conn:
            names = dict(conn.execute(text("SELECT id, name FROM incident")).all())
            bodies = dict(conn.execute(text("SELECT id, body FROM incident_update")).all())
        assert names == {
            "inc00000000f": "Retards de réception des emails",
            "inc00000000e": "Web down",
        }
        assert bodies["upd00000000a"] == french_body
        assert bodies["upd00000000d"] == "Fixed."
