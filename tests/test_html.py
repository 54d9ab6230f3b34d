"""Every page is valid HTML, by the Nu Html Checker (vnu.jar from npm, run once on all pages)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from statuspage.extensions import db
from statuspage.models import SupportRequest

from .conftest import csrf_token, sign_in
from .test_deflection import CLOSE, SERVFAIL, answer, contact, open_slow_zones, resolve

VNU = Path(__file__).parent / "e2e" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.mark.slow
@pytest.mark.db_independent  # the markup, whatever the database
def test_pages_are_valid_html(
    app, client, data, clock, livedns, components, staff_accounts, tmp_path
):
    if not VNU.exists() or shutil.which("java") is None:
        pytest.fail("vnu.jar or java is missing: `make test` installs both")
    response, _ = contact(client, **SERVFAIL)
    request_page = response.headers["Location"]
    admin = app.test_client()
    sign_in(admin, staff_accounts["admin"])
    pages = {
        "home-fr": (client, "/?lang=fr"),
        "home-en": (client, "/?lang=en"),
        "incident": (client, f"/incidents/{livedns}"),
        # written in English only: the French page shows it marked lang="en", with its note
        "incident-fr": (app.test_client(), f"/incidents/{livedns}?lang=fr"),
        "embed-fr": (app.test_client(), "/embed?lang=fr"),
        "component": (client, f"/components/{components['dns'].id}"),
        "history": (client, "/history"),
        "about": (client, "/about"),
        "contact": (client, "/contact"),
        "request": (client, request_page),
        "affected": (client, f"/incidents/{livedns}/affected"),
        "subscribe": (client, "/subscribe"),
        "embed": (client, "/embed"),
        "login": (app.test_client(), "/staff/login"),
        "dashboard": (admin, "/staff/"),
        "console-incident": (admin, f"/staff/incidents/{livedns}"),
        "new-incident": (admin, "/staff/incidents/new?template=livedns-resolution"),
        "new-maintenance": (admin, "/staff/maintenances/new"),
        "tickets": (admin, "/staff/tickets"),
        "audit": (admin, "/staff/audit"),
        "settings": (admin, "/staff/settings"),
        "webhooks": (admin, "/staff/webhooks"),
        "accounts": (admin, "/staff/accounts"),
        "tokens": (admin, "/staff/tokens"),
        "not-found": (client, "/nope"),
    }
    files = []

    def fetch(name, browser, url):
        body = browser.get(url).get_data(as_text=True)
        assert body.startswith("<!doctype html>"), name
        path = tmp_path / f"{name}.html"
        path.write_text(body, encoding="utf-8")
        files.append(str(path))

    for name, (browser, url) in pages.items():
        fetch(name, browser, url)
    # Attached by our team: the customer is asked to confirm.
    by_hand, _ = contact(client, subject="Site down", message="Nothing works.")
    by_hand_page = by_hand.headers["Location"]
    with data() as session:
        by_hand_id = session.execute(
            db.select(SupportRequest.id).where(SupportRequest.subject == "Site down")
        ).scalar_one()
    console_page = f"/staff/requests/{by_hand_id}"
    admin.post(
        f"{console_page}/attach",
        data={"csrf_token": csrf_token(admin, console_page), "incident": livedns},
    )
    fetch("request-to-confirm", client, by_hand_page + "&answer=confirm")
    assert "is this your problem?" in (tmp_path / "request-to-confirm.html").read_text()
    # Two close incidents: "is it one of these?", the refusal of a forged choice, the console.
    threshold = app.config["MATCH_PROPOSAL_THRESHOLD"]
    app.config["MATCH_PROPOSAL_THRESHOLD"] = 0.05
    open_slow_zones(data, clock, components)
    two, _ = contact(client, service=components["livedns"].id, **CLOSE)
    two_page = two.headers["Location"]
    fetch("request-two-incidents", client, two_page)
    assert "Is it one of these?" in (tmp_path / "request-two-incidents.html").read_text()
    refused = answer(client, two_page, "accept", incident="zzzzzzzzzzzz")
    assert refused.status_code == 422
    (tmp_path / "request-refused.html").write_text(refused.get_data(as_text=True))
    files.append(str(tmp_path / "request-refused.html"))
    with data() as session:
        two_id = session.execute(
            db.select(SupportRequest.id).where(SupportRequest.alternative_incident_id.is_not(None))
        ).scalar_one()
    fetch("console-request-two-incidents", admin, f"/staff/requests/{two_id}")
    assert "Also offered" in (tmp_path / "console-request-two-incidents.html").read_text()
    app.config["MATCH_PROPOSAL_THRESHOLD"] = threshold
    # After the resolution: the customer's answers, then what staff read of "still broken".
    answer(client, request_page, "accept")
    resolve(data, livedns, clock)
    fetch("request-resolved", client, request_page + "&answer=still-broken")
    answer(client, request_page, "still-broken", details="Still SERVFAIL <b>here</b>.")
    with data() as session:
        request_id = session.execute(
            db.select(SupportRequest.id).where(SupportRequest.subject == SERVFAIL["subject"])
        ).scalar_one()
    fetch("console-request", admin, f"/staff/requests/{request_id}")
    fetch("tickets-still-broken", admin, "/staff/tickets")
    # Every public page and every GET page under /staff/ of the URL map, new ones included.
    from tests.e2e.site_pages import console_pages, public_pages

    for index, path in enumerate(public_pages(app, client, data, clock, components, livedns)):
        fetch(f"public-{index}", client, path)
    for index, path in enumerate(console_pages(app, data, livedns)):
        fetch(f"console-{index}", admin, path)
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = [
        f"{re.sub(r'^.*/', '', m.get('url', ''))}:{m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == [], "\n".join(errors)
