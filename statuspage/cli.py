"""Flask commands. Each commits once, at its end (`_committed`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import select

from statuspage import config, mirror, worker
from statuspage.clock import app_now
from statuspage.content import ContentError, load_catalogue, load_incident_templates, load_pages
from statuspage.domain.errors import Refused
from statuspage.extensions import db
from statuspage.models import ApiToken, StaffRole, StaffUser
from statuspage.services import deflection, demo, staff
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.versioning import bump


@contextmanager
def _committed(*refusals: type[Exception]) -> Iterator[None]:
    """A command's writes, committed together at the end of the block; a refusal (the domain's,
    or one of `refusals`) writes nothing and ends the command with its message."""
    try:
        yield
    except (Refused, *refusals) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database to head and sync the content catalogue (safe to run again); without
    STATUSPAGE_SECRET_KEY, generate the instance's key into instance/secret_key."""
    if not current_app.config["SECRET_KEY"]:
        current_app.config["SECRET_KEY"] = config.generate_secret(Path(current_app.instance_path))
        click.echo(f"secret key generated into {current_app.instance_path}/secret_key")
    upgrade()
    root = Path(current_app.config["CONTENT_DIR"])
    with _committed(ContentError):
        entries = load_catalogue(root)
        load_pages(root)
        load_incident_templates(root)
        report = sync_catalogue(db.session, entries, now=app_now())
        bump(db.session)
    click.echo(f"database at head; {report}")


@click.command("demo")
@with_appcontext
@click.option("--days", default=90, show_default=True, help="How far back the history goes.")
@click.option("--seed", default=7, show_default=True, help="Same seed, same history.")
def demo_command(days: int, seed: int) -> None:
    """Load a realistic history of past incidents and maintenances (refuses if any exist)."""
    with _committed(demo.DemoRefused):
        count = demo.load(db.session, now=app_now(), days=days, seed=seed)
    click.echo(f"demo: {count} incidents and maintenances loaded over {days} days")


@click.group("staff")
def staff_group() -> None:
    """Staff accounts of the console."""


@staff_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "responder"]), default="responder")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def staff_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account; without --password-stdin, print a generated password once."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with _committed():
        user, secret = staff.create_staff(
            db.session, email, StaffRole(role), now=app_now(), password=password
        )
    click.echo(f"created {user.role.value} {user.email}")
    if not password_stdin:
        click.echo(f"password (shown once): {secret}")


@staff_group.command("list")
@with_appcontext
def staff_list() -> None:
    """List staff accounts."""
    for user in db.session.execute(select(StaffUser).order_by(StaffUser.email)).scalars():
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email}\t{user.role.value}\t{state}")


@staff_group.command("hint")
@with_appcontext
def staff_hint() -> None:
    """Say how to create the first account when there is none (used by `make run`)."""
    if not db.session.execute(select(StaffUser.id).limit(1)).first():
        click.echo(
            "No staff account yet. Create the first admin with:\n"
            "  .venv/bin/flask --app wsgi staff create you@example.com --role admin"
        )


@click.group("token")
def token_group() -> None:
    """API tokens of the staff API."""


@token_group.command("create")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "responder"]), default="responder")
@with_appcontext
def token_create(name: str, role: str) -> None:
    """Create a bearer token; the token alone is printed on the last line."""
    with _committed():
        token, secret = staff.create_token(
            db.session, name, StaffRole(role), actor="cli", now=app_now()
        )
    click.echo(f"created {token.role.value} token '{token.name}' (shown once):")
    click.echo(secret)


@token_group.command("revoke")
@click.option("--name", required=True)
@with_appcontext
def token_revoke(name: str) -> None:
    """Revoke every live token with this name."""
    rows = db.session.execute(
        select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))
    ).scalars()
    count = 0
    with _committed():
        for token in rows:
            staff.revoke_token(db.session, token, actor="cli", now=app_now())
            count += 1
    click.echo(f"revoked {count} token(s)")


@click.group("deflection")
def deflection_group() -> None:
    """The contact form's matcher and the requests' timers."""


_FILES = click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


def _harness():
    """The evaluation harness lives next to the benchmarks (`bench/evaluation.py`): like the
    labelled sets it reads, it is a tool of the repository, not part of the installed app."""
    try:
        from bench import evaluation
    except ModuleNotFoundError as error:
        raise click.ClickException(
            "the evaluation harness is bench/evaluation.py: run this from the repository's root"
        ) from error
    return evaluation


@deflection_group.command("evaluate")
@_FILES
@click.option(
    "--folds",
    is_flag=True,
    help="Leave one scenario out: score each scenario with a model trained on all the others.",
)
@with_appcontext
def deflection_evaluate(paths: tuple[Path, ...], folds: bool) -> None:
    """Replay labelled files live through the product; print precision, recall and misses.

    Without --folds the committed model is scored, on data it may have been trained on; with
    --folds, the cross-validated figure (needs scikit-learn: the `train` extra).
    """
    evaluation = _harness()
    outcomes = evaluation.evaluate(paths, current_app.config, folds=folds)
    click.echo(evaluation.report(outcomes))


@deflection_group.command("train")
@_FILES
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the model (default: the committed artifact).",
)
@with_appcontext
def deflection_train(paths: tuple[Path, ...], out: Path | None) -> None:
    """Fit the matcher's model on labelled files and write its artifact (scikit-learn needed)."""
    from statuspage.domain.matching import MODEL_PATH, training

    services = _harness().services_of(current_app.config["CONTENT_DIR"])
    examples = training.examples(list(paths), services)
    model = training.fit(examples, services)
    target = out or MODEL_PATH
    training.write(model, target, [p.name for p in paths])
    click.echo(f"trained on {len(examples)} requests; wrote {target}")


@deflection_group.command("tick")
@with_appcontext
def deflection_tick() -> None:
    """Move unanswered proposals and confirmations that ran out of time."""
    with _committed():
        moved = deflection.run_timers(db.session, now=app_now())
    click.echo(f"{moved} request(s) moved")


@click.group("outbox")
def outbox_group() -> None:
    """Mail waiting to be sent."""


@outbox_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep running: the same as `flask worker`.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def outbox_deliver(loop: bool, interval: float) -> None:
    """Send the mail and webhooks that are due: one round of the worker (kept for old scripts)."""
    _work(loop, interval)


@click.command("worker")
@click.option("--once", is_flag=True, help="One round, then exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def worker_command(once: bool, interval: float) -> None:
    """Run the background work: spooled requests, timers, maintenance, mail and webhooks."""
    _work(not once, interval)


@click.command("publish")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def publish_command(target: Path) -> None:
    """Write the static mirror (every public page in both languages, feeds, badges, the v2
    JSON) into TARGET, atomically: TARGET becomes a link switched to the new tree at once."""
    try:
        count = mirror.publish(current_app._get_current_object(), db.session, target, now=app_now())
    except mirror.PublishError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"published {count} files into {target}")


def _work(loop: bool, interval: float) -> None:
    worker.bound_statements(db.engine, current_app.config["WORKER_STATEMENT_TIMEOUT_MS"])
    if not loop:
        click.echo(str(worker.run_round(db.session, app_now)))
        return
    click.echo(f"worker: a round every {interval:g} s; stop with Ctrl-C or SIGTERM")
    worker.run(db.session, app_now, interval, lambda result: click.echo(str(result)))


def init_app(app: Flask) -> None:
    for command in (
        init_command,
        demo_command,
        staff_group,
        token_group,
        deflection_group,
        outbox_group,
        worker_command,
        publish_command,
    ):
        app.cli.add_command(command)
