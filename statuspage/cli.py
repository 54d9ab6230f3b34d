"""Flask commands. Each commits once, at its end."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade

from statuspage.clock import app_now
from statuspage.content import ContentError, load_catalogue, load_incident_templates, load_pages
from statuspage.extensions import db
from statuspage.services import demo
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.versioning import bump


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database to head and sync the content catalogue (safe to run again)."""
    upgrade()
    root = Path(current_app.config["CONTENT_DIR"])
    try:
        entries = load_catalogue(root)
        load_pages(root)
        load_incident_templates(root)
    except ContentError as error:
        raise click.ClickException(str(error)) from None
    report = sync_catalogue(db.session, entries, app_now())
    bump(db.session)
    db.session.commit()
    click.echo(f"database at head; {report}")


@click.command("demo")
@with_appcontext
@click.option("--days", default=90, show_default=True, help="How far back the history goes.")
@click.option("--seed", default=7, show_default=True, help="Same seed, same history.")
def demo_command(days: int, seed: int) -> None:
    """Load a realistic history of past incidents and maintenances (refuses if any exist)."""
    try:
        count = demo.load(db.session, app_now(), days=days, seed=seed)
    except demo.DemoRefused as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"demo: {count} incidents and maintenances loaded over {days} days")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(demo_command)
