"""Every page a visitor or a responder can open, with real data behind each, for the browser
suites (layout at phone widths, accessibility in both themes)."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from statuspage.extensions import db
from statuspage.models import Incident
from statuspage.services import notifications
from tests.conftest import PASSWORD, new_maintenance

#: console pages that need more than an id (the template's form is the one a responder uses)
CONSOLE_EXTRA = ("/staff/incidents/new?template=livedns-resolution",)


def public_pages(app, client, data, clock, components, livedns) -> list[str]:
    from tests.test_deflection import SERVFAIL, contact

    maintenance = new_maintenance(
        data,
        clock,
        components,
        name="Network maintenance in Paris",
        component="web-hosting-paris",
        starts_in=timedelta(days=2),
        body="We replace routers; sites may be unreachable for a few minutes.",
    )
    response, _ = contact(client, **SERVFAIL)
    with data() as session:
        subscriber = notifications.subscribe(session, "ann@example.com", "en", None, now=clock.now)
        manage = urlsplit(notifications.link(subscriber, "manage")).path
    return [
        "/?lang=en",
        "/?lang=fr",
        f"/incidents/{livedns}",
        f"/incidents/{maintenance}",
        f"/components/{components['dns'].id}",
        f"/components/{components['livedns'].id}",
        "/history",
        "/about",
        "/contact",
        f"/incidents/{livedns}/affected",
        response.headers["Location"],
        "/subscribe",
        manage,
        "/embed",
        "/nope",
    ]


def console_pages(app, data, livedns) -> list[str]:
    """Every GET page under /staff/ in the URL map (new ones included), filled with real ids."""
    from statuspage.models import SupportRequest

    with data() as session:
        values = {
            "incident_id": livedns,
            "update_id": session.get(Incident, livedns).updates[0].id,
            "request_id": str(session.execute(db.select(SupportRequest.id)).scalars().first()),
        }
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff/") or "GET" not in rule.methods:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<[^>]*\b{name}>", values[name], path)
        paths.append(path)
    return sorted(paths) + list(CONSOLE_EXTRA)


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server}/staff/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(f"{live_server}/staff/")
