"""statuspage: the status page and ticket-deflection site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask

from statuspage import config
from statuspage.config import PROJECT_ROOT

#: Commands that serve pages or send mail need the secret key that signs links and forms.
_NEED_SECRET = frozenset({"run", "worker", "publish", "outbox"})


def _command_without_secret() -> bool:
    """A command line that may start without a secret key (`flask init` generates it)."""
    context = click.get_current_context(silent=True)
    names = set()
    while context is not None:
        names.add(context.info_name)
        context = context.parent
    return bool(names) and not names & _NEED_SECRET


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(
        config.load(
            Path(app.instance_path),
            test_config,
            debug=app.debug,
            allow_missing_secret=_command_without_secret(),
        )
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    from statuspage.content import load_site

    app.config["SITE"] = load_site(Path(app.config["CONTENT_DIR"]))
    app.config["SITE_NAME"] = app.config["SITE_NAME"] or app.config["SITE"].name or "Status"
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # the client address the limits and the sign-in throttle count by
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from statuspage import cli, filters, i18n
    from statuspage.extensions import csrf, db, limiter, migrate
    from statuspage.services import versioning
    from statuspage.views import (
        api,
        api_v2,
        badges,
        console,
        contact,
        feeds,
        public,
        site,
        subscriptions,
    )
    from statuspage.web import cards, errors, inputs, security

    inputs.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    filters.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cards.init_app(app)
    cli.init_app(app)
    with app.app_context():
        versioning.listen(db.session)

    console.init_app(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(contact.bp)
    app.register_blueprint(api_v2.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(badges.bp)
    app.register_blueprint(subscriptions.bp)
    app.register_blueprint(site.bp)
    from statuspage import database

    database.init_app(app)  # last: its commit runs before the other after-request hooks
    return app
