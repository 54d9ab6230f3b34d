"""The Content-Security-Policy as Chromium enforces it: nothing of ours is blocked."""

import pytest

from tests.conftest import PASSWORD, open_webmail

pytestmark = pytest.mark.browser


def test_chromium_blocks_nothing_of_ours(
    app, browser, live_server, data, clock, components, staff_accounts
):
    app.config["SESSION_COOKIE_SECURE"] = False  # the live server speaks plain http
    incident_id = open_webmail(data, clock, components)
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    for path in ("/", f"/incidents/{incident_id}", "/contact", "/subscribe", "/embed"):
        page.goto(live_server + path)
    page.goto(live_server + "/staff/login")
    page.fill("input[name=email]", staff_accounts["admin"])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/staff/")
    page.goto(f"{live_server}/staff/incidents/{incident_id}")
    assert refused == []
    context.close()
