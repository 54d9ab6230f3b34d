"""The og:image card of an incident: a real PNG, per language, drawn again only when it changes."""

import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from PIL import Image

from statuspage import create_app
from statuspage.domain import status as st
from statuspage.models import Incident
from statuspage.services.incidents import post_update
from statuspage.web import cards

from .conftest import new_incident

RED, GREEN = (0xB3, 0x26, 0x1E), (0x1F, 0x7A, 0x3A)


def meta(html: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', html)
    return unescape(match.group(1)) if match else None


def card_of(client, incident_id: str, lang: str) -> tuple[Image.Image, bytes, str]:
    html = client.get(f"/incidents/{incident_id}?lang={lang}").get_data(as_text=True)
    url = urlsplit(meta(html, "og:image"))
    response = client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image, response.data, html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_incident_page_announces_a_large_card(client, livedns, lang):
    html = client.get(f"/incidents/{livedns}?lang={lang}").get_data(as_text=True)
    assert meta(html, "twitter:card") == "summary_large_image"
    image = meta(html, "og:image")
    assert image.startswith(f"https://status.example.test/incidents/{livedns}/card.png?lang={lang}")
    assert (meta(html, "og:image:width"), meta(html, "og:image:height")) == ("1200", "630")
    alt = meta(html, "og:image:alt")
    assert "LiveDNS resolution errors" in alt
    assert {"en": "Affected services: LiveDNS", "fr": "Services touchés\u00a0: LiveDNS"}[
        lang
    ] in alt


def test_the_card_is_a_1200_by_630_png_in_each_language(client, livedns):
    english, english_bytes, _ = card_of(client, livedns, "en")
    french, french_bytes, _ = card_of(client, livedns, "fr")
    for image in (english, french):
        assert image.format == "PNG"
        assert image.size == (1200, 630)
        assert image.convert("RGB").getpixel((10, 300)) == RED  # critical: the red stripe
    assert english_bytes != french_bytes  # the words are the page's language
    assert len(english_bytes) < 100_000


def test_the_card_follows_the_incident_and_is_drawn_once_per_version(
    app, client, data, clock, livedns, components
):
    _, before, html_before = card_of(client, livedns, "en")
    fonts, cache = app.extensions["statuspage_cards"]
    renders = cache.renders
    assert card_of(client, livedns, "en")[1] == before
    # another incident changes the data version: this card is served again, not drawn again
    new_incident(
        data,
        clock,
        components,
        name="Webmail slow",
        component="webmail",
        status="degraded_performance",
        impact=st.Impact.MINOR,
    )
    assert card_of(client, livedns, "en")[1] == before
    assert cache.renders == renders
    with data() as session:
        post_update(
            session,
            session.get(Incident, livedns),
            status=st.IncidentStatus.RESOLVED,
            body="Fixed.",
            components=None,
            now=clock.now + timedelta(minutes=5),
        )
    image, after, html_after = card_of(client, livedns, "en")
    assert after != before
    assert meta(html_after, "og:image") != meta(html_before, "og:image")  # shared copies renew
    assert image.convert("RGB").getpixel((10, 300)) == GREEN
    assert cache.renders == renders + 1


def test_an_unknown_incident_has_no_card(client):
    assert client.get("/incidents/AAAAAAAAAAAA/card.png").status_code == 404
    assert client.get("/incidents/nope/card.png").status_code == 404


def test_without_a_font_the_page_goes_without_card(monkeypatch, client, app, livedns):
    monkeypatch.setattr(cards, "REGULAR_FONTS", ("/nowhere/Sans.ttf",))
    cards.init_app(app)
    html = client.get(f"/incidents/{livedns}?lang=en&r=1").get_data(as_text=True)
    assert meta(html, "twitter:card") == "summary"
    assert meta(html, "og:image") is None
    assert client.get(f"/incidents/{livedns}/card.png?r=1").status_code == 404


def test_a_configured_font_that_is_missing_stops_the_start(database_url):
    with pytest.raises(cards.FontMissing, match="no font file at /nowhere/Font.ttf"):
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "SECRET_KEY": "x",
                "CARD_FONT": "/nowhere/Font.ttf",
            }
        )


def test_long_titles_and_words_fit_the_card():
    fonts = cards.find_fonts()
    assert fonts is not None, "Debian's fonts-dejavu-core is missing: `make check` installs it"
    card = cards.Card(
        lang="en",
        site="Example Status",
        host="status.example.test",
        title="Very " * 60 + "x" * 200,
        status="Investigating",
        impact="Impact: Critical",
        services_heading="Affected services",
        services=tuple(f"Service {n}" for n in range(40)),
        colour="#b3261e",
    )
    image = Image.open(io.BytesIO(cards.render(card, fonts)))
    assert image.size == (1200, 630)
