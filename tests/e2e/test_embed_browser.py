"""embed.js on a customer's page: the iframe takes the banner's height, whatever it holds."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from statuspage.domain import status as st
from tests.conftest import new_incident, open_livedns

pytestmark = pytest.mark.browser


@pytest.fixture
def customer_site():
    """Another site (another origin: its own port) that serves the page it is given."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()
    thread.join()
    server.server_close()


def customer_page(browser, live_server, customer_site, width: int, lang: str = "en"):
    """A help centre page that puts the banner in, as the README says."""
    address, pages = customer_site
    pages["/help"] = (
        f'<!doctype html><html lang="{lang}"><title>Help</title><body style="margin:0">'
        f'<p>Our help centre</p><script src="{live_server}/embed.js" async></script>'
        "<p>after the banner</p></body></html>"
    )
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(address + "/help")
    return context, page


def heights(page) -> tuple[float, float]:
    """(the iframe's height on the customer's page, the height of the banner inside it)."""
    outer = page.evaluate("() => document.querySelector('iframe').getBoundingClientRect().height")
    inner = page.frames[1].evaluate(
        "() => document.querySelector('.embed') ? document.documentElement.scrollHeight : -1"
    )
    return outer, inner


def frame_fits(page) -> float:
    """Waits until the iframe is as tall as the banner it shows (nothing clipped, no gap)."""
    page.wait_for_selector("iframe")
    for _ in range(100):
        if len(page.frames) > 1:
            outer, inner = heights(page)
            if inner > 0 and abs(outer - inner) <= 1:
                return outer
        page.wait_for_timeout(50)
    raise AssertionError(f"the iframe never fit its banner: {heights(page)}")


def test_the_iframe_grows_with_the_banner(
    app, browser, live_server, customer_site, data, clock, components
):
    app.config["BASE_URL"] = live_server
    new_incident(
        data,
        clock,
        components,
        name="Delays in receiving email on some mailboxes hosted in Paris, with webmail errors",
        component="webmail",
        status="major_outage",
        impact=st.Impact.MAJOR,
    )
    context, page = customer_page(browser, live_server, customer_site, width=360)
    one_incident = frame_fits(page)
    assert one_incident > 51  # the fixed height clipped one incident at 51 px
    # a second incident: the frame grows on the next load
    open_livedns(
        data,
        clock,
        components,
    )
    page.reload()
    two_incidents = frame_fits(page)
    assert two_incidents > one_incident
    # the customer's page gets wider: fewer lines, a shorter frame
    page.set_viewport_size({"width": 1200, "height": 800})
    page.wait_for_timeout(300)
    assert frame_fits(page) < two_incidents
    context.close()


def test_only_the_banner_itself_can_size_the_frame(app, browser, live_server, customer_site):
    app.config["BASE_URL"] = live_server
    context, page = customer_page(browser, live_server, customer_site, width=800)
    before = frame_fits(page)
    # anyone else on the page (another script, another frame) saying a height is ignored
    page.evaluate("() => window.postMessage({statuspageEmbedHeight: 900}, '*')")
    page.wait_for_timeout(200)
    assert heights(page)[0] == before
    context.close()
