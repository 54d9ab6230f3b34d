"""axe-core in Chromium on the pages customers and responders use: no serious violation."""

from datetime import timedelta
from pathlib import Path

import pytest

from statuspage.domain import status as st
from tests.conftest import PASSWORD, new_incident, open_livedns

pytestmark = pytest.mark.browser

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
    incident_id = open_livedns(
        data,
        clock,
        components,
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


def every_violation(page, url):
    """Every axe-core violation of the page, whatever its impact."""
    page.goto(url)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        (url, v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
    ]


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (1280, "dark"), (390, "light"), (390, "dark")]
)
def test_every_page_passes_axe_at_both_widths_in_both_themes(
    browser,
    app,
    client,
    data,
    clock,
    components,
    livedns,
    staff_accounts,
    live_server,
    width,
    scheme,
):
    """Every public page and every console page of the URL map, as a phone and a desktop, in
    the light and the dark theme: no violation at all."""
    from tests.e2e.site_pages import console_pages, public_pages, sign_in

    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` runs npm install in tests/e2e")
    app.config["SESSION_COOKIE_SECURE"] = False  # the live server speaks plain http
    public = public_pages(app, client, data, clock, components, livedns)
    console = console_pages(app, data, livedns)
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        locale="fr-FR" if scheme == "dark" else "en-GB",
        bypass_csp=True,
    )
    page = context.new_page()
    found = []
    for path in [*public, "/staff/login"]:
        found += every_violation(page, live_server + path)
    sign_in(page, live_server, staff_accounts["admin"])
    for path in console:
        found += every_violation(page, live_server + path)
    context.close()
    assert found == [], "\n".join(map(str, found))
