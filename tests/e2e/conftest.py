"""A real browser (Debian's Chromium driven by Playwright) against the app served on loopback."""

from __future__ import annotations

import os

import pytest

from statuspage import screenshots

CHROMIUM = os.environ.get("STATUSPAGE_CHROMIUM", screenshots.CHROMIUM)
ARGS = [*screenshots.ARGS, "--disable-quic"]  # the screenshots' Chromium, kept off the network


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
