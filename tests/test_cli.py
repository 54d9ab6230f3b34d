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

from .conftest import PG_URL


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
