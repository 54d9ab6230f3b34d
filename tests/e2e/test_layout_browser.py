"""The look in Chromium: no page scrolls sideways on a phone, the console's header holds at
1280 px, the 90-day bars stay readable, dark theme, reduced motion and print are honoured."""

import pytest

from tests.e2e.site_pages import console_pages, public_pages, sign_in

pytestmark = pytest.mark.browser

SIDEWAYS = """() => {
    const root = document.documentElement;
    const wide = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
        .filter(e => !e.closest('table.grid') || e.matches('table.grid'))
        .slice(0, 3).map(e => e.tagName + '.' + e.className);
    return [root.scrollWidth, root.clientWidth, wide];
}"""


def overflow(page, url: str):
    page.goto(url)
    scroll, client, wide = page.evaluate(SIDEWAYS)
    return None if scroll <= client else (url, scroll, client, wide)


@pytest.fixture
def site(app, client, data, clock, components, livedns, staff_accounts):
    app.config["SESSION_COOKIE_SECURE"] = False  # the live server speaks plain http
    public = public_pages(app, client, data, clock, components, livedns)
    return public, console_pages(app, data, livedns)


@pytest.mark.parametrize("width", [390, 320])
def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, site, staff_accounts, width):
    public, console = site
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="fr-FR")
    page = context.new_page()
    wide = [overflow(page, live_server + path) for path in [*public, "/staff/login"]]
    sign_in(page, live_server, staff_accounts["admin"])
    wide += [overflow(page, live_server + path) for path in console]
    # the language switch is whole on screen, in the console too
    box = page.get_by_role("navigation", name="Langue").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    context.close()
    assert [w for w in wide if w] == []
    assert len(console) >= 13


def test_the_console_header_holds_at_1280(browser, live_server, site, staff_accounts):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    page = context.new_page()
    sign_in(page, live_server, staff_accounts["admin"])
    for lang in ("fr", "en"):
        page.goto(f"{live_server}/staff/?lang={lang}")
        rows = page.evaluate(
            """() => {
                const row = e => {  // elements centred on one line share their middle
                    const box = e.getBoundingClientRect();
                    return Math.round((box.top + box.height / 2) / 16);
                };
                const range = document.createRange();
                range.selectNodeContents(document.querySelector('.staff-nav button'));
                const rows = selector => new Set([...document.querySelectorAll(selector)].map(row));
                return [new Set([...range.getClientRects()].map(r => Math.round(r.top))).size,
                        rows('.staff-nav a, .staff-nav button').size,
                        rows('.brand, .lang-switch > *').size];
            }"""
        )
        # "Sign out (address)" whole, on the one row of the console's links; name and language
        # on the row above
        assert rows == [1, 1, 1], lang
    context.close()


def test_the_90_day_bars_stay_readable_on_a_phone(browser, live_server, site):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server + "/")
    cells = page.evaluate(
        """() => [...document.querySelector('.bars').children].map(c => {
            const box = c.getBoundingClientRect();
            return [Math.round(box.width), Math.round(box.top)];
        })"""
    )
    assert len(cells) == 90
    assert min(width for width, _ in cells) >= 6  # one line of 90 was 3 px a day
    assert len({top for _, top in cells}) == 3  # three rows of 30 days
    page.set_viewport_size({"width": 1280, "height": 800})
    tops = page.evaluate(
        "() => new Set([...document.querySelector('.bars').children]"
        ".map(c => Math.round(c.getBoundingClientRect().top))).size"
    )
    assert tops == 1  # on a wide screen, one line
    context.close()


def test_the_site_name_and_logo_come_from_content(browser, live_server, site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    brand = page.locator("header .brand")
    assert brand.inner_text().strip() == "Example Status"  # the test configuration's name
    logo = brand.locator("img")
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    context.close()


def test_dark_theme_reduced_motion_and_print(browser, live_server, site, livedns):
    def look(**options):
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(f"{live_server}/incidents/{livedns}")
        return context, page

    def style(page, selector, prop):
        return page.eval_on_selector(selector, f"e => getComputedStyle(e).{prop}")

    context, page = look(color_scheme="light")
    assert style(page, "body", "backgroundColor") == "rgb(255, 255, 255)"
    assert style(page, "main a", "transitionDuration") != "0s"
    context.close()

    context, page = look(color_scheme="dark", reduced_motion="reduce")
    assert style(page, "body", "backgroundColor") == "rgb(15, 20, 25)"
    assert style(page, "body", "color") == "rgb(230, 237, 243)"
    assert style(page, "main a", "transitionDuration") == "0s"
    page.emulate_media(media="print")
    assert style(page, ".lang-switch", "display") == "none"
    assert style(page, ".site-footer nav", "display") == "none"
    assert style(page, "body", "backgroundColor") == "rgb(255, 255, 255)"
    assert page.locator("main h1").is_visible()
    context.close()
