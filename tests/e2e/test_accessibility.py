"""axe-core in Chromium on the pages customers and responders use: no serious violation."""

from datetime import timedelta
from pathlib import Path

import pytest

from statuspage.domain import status as st
from tests.conftest import PASSWORD, new_incident

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def violations(page, url):
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def accessible_page(browser):
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` runs npm install in tests/e2e")
    context = browser.new_context(locale="fr-FR", bypass_csp=True)
    yield context.new_page()
    context.close()


def test_public_pages_have_no_serious_accessibility_violation(
    accessible_page, live_server, data, clock, components
):
    incident_id = new_incident(
        data,
        clock,
        components,
        name="LiveDNS resolution errors",
        component="livedns",
        status="major_outage",
        impact=st.Impact.CRITICAL,
        body="Queries return **SERVFAIL**.",
        started_at=clock.now - timedelta(days=2),
    )
    for path in (
        "/",
        f"/incidents/{incident_id}",
        f"/components/{components['livedns'].id}",
        "/history",
        "/contact",
        "/subscribe",
        f"/incidents/{incident_id}/affected",
        "/about",
    ):
        assert violations(accessible_page, live_server + path) == [], path


def test_the_private_request_page_has_no_serious_accessibility_violation(
    accessible_page, live_server, app, client, data, clock, components
):
    """Proposals with their reasons, among them two close incidents to choose from."""
    from tests.test_deflection import CLOSE, SERVFAIL, contact

    for name, body in (
        ("LiveDNS resolution errors", "Queries return **SERVFAIL**."),
        ("LiveDNS: slow zone updates", "Zone changes are slow; some queries return SERVFAIL."),
    ):
        new_incident(
            data,
            clock,
            components,
            name=name,
            component="livedns",
            status="major_outage",
            impact=st.Impact.CRITICAL,
            body=body,
        )
    app.config["MATCH_PROPOSAL_THRESHOLD"] = 0.05
    one, _ = contact(client, **SERVFAIL)
    two, _ = contact(client, service=components["livedns"].id, **CLOSE)
    for response in (one, two):
        assert violations(accessible_page, live_server + response.headers["Location"]) == []
    assert accessible_page.get_by_role(
        "heading", name="Est-ce l'un de ces incidents\u00a0?"
    ).count()


def test_console_pages_have_no_serious_accessibility_violation(
    accessible_page, live_server, staff_accounts
):
    page = accessible_page
    page.goto(f"{live_server}/staff/login")
    assert violations(page, f"{live_server}/staff/login") == []
    page.get_by_label("Email").fill(staff_accounts["admin"])
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    for path in (
        "/staff/",
        "/staff/incidents/new",
        "/staff/maintenances/new",
        "/staff/tickets",
        "/staff/settings",
    ):
        assert violations(page, live_server + path) == [], path
