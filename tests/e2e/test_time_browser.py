"""static/time.js in a real browser: how long ago, and the reader's own time when it differs."""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.conftest import LIVEDNS_NAMES, open_livedns

pytestmark = pytest.mark.browser


@pytest.fixture
def incident(data, clock, components):
    return open_livedns(
        data,
        clock,
        components,
        name=LIVEDNS_NAMES,
        body={"en": "Queries fail.", "fr": "Les requêtes échouent."},
    )


def visit(browser, url, zone, locale, moment: datetime):
    context = browser.new_context(locale=locale, timezone_id=zone)
    page = context.new_page()
    page.clock.set_fixed_time(moment)
    page.goto(url)
    return context, page


def test_a_reader_in_new_york_sees_their_time_and_how_long_ago(
    browser, live_server, incident, clock
):
    context, page = visit(
        browser,
        f"{live_server}/incidents/{incident}?lang=fr",
        "America/New_York",
        "fr-FR",
        clock.now + timedelta(minutes=12),
    )
    try:
        started = page.locator("dl.facts time").first
        expect(started).to_have_text("10 mars 2026, 13:00 heure de Paris (CET)")
        extra = page.locator("dl.facts .time-extra").first
        expect(extra).to_have_text(re.compile(r"il y a 12 minutes · .*08:00.*votre heure"))
    finally:
        context.close()


def test_a_reader_in_paris_gets_only_how_long_ago(browser, live_server, incident, clock):
    context, page = visit(
        browser,
        f"{live_server}/incidents/{incident}?lang=en",
        "Europe/Paris",
        "en-GB",
        clock.now + timedelta(hours=2),
    )
    try:
        expect(page.locator("dl.facts .time-extra").first).to_have_text(
            re.compile(r"^\s*\(2 hours ago\)$")
        )
    finally:
        context.close()


def test_without_javascript_the_times_are_complete(browser, live_server, incident):
    context = browser.new_context(java_script_enabled=False, timezone_id="America/New_York")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/incidents/{incident}?lang=en")
        expect(page.locator("dl.facts time").first).to_have_text(
            re.compile(r"Mar 10, 2026, 1:00\sPM Paris time \(CET\)")
        )
        assert page.locator(".time-extra").count() == 0
    finally:
        context.close()
