"""content/site.md: the site's name, logo and accent colours, checked when the app starts."""

from pathlib import Path
from shutil import copytree

import pytest

from statuspage import create_app
from statuspage.content import ContentError, Site, load_site

from .conftest import CONTENT


def app_with(database_url, content: Path, **config):
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "CONTENT_DIR": str(content),
            **config,
        }
    )


def test_the_committed_site_file_names_the_site_and_its_look():
    site = load_site(Path(CONTENT))
    assert site.name == "Nuagic Status"
    assert site.logo == "logo.svg"
    assert (site.accent, site.accent_dark) == ("#0b57d0", "#8ab4f8")


def test_the_name_comes_from_content_unless_configured(database_url, tmp_path):
    content = tmp_path / "content"
    copytree(CONTENT, content)
    (content / "site.md").write_text("name: Azur Status\n\nBody.\n", encoding="utf-8")
    app = app_with(database_url, content)
    assert app.config["SITE_NAME"] == "Azur Status"
    assert app_with(database_url, content, SITE_NAME="Ops").config["SITE_NAME"] == "Ops"
    (content / "site.md").unlink()
    assert app_with(database_url, content).config["SITE_NAME"] == "Status"
    assert app_with(database_url, content).config["SITE"] == Site()


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("accent: red; } body { display: none", "'accent' must be a colour"),
        ("accent_dark: #12345", "'accent_dark' must be a colour"),
        ("logo: missing.svg", "'logo' must name an SVG or PNG file"),
        ("logo: ../secret.svg", "'logo' must name an SVG or PNG file"),
        ("logo: site.md", "'logo' must name an SVG or PNG file"),
    ],
)
def test_a_wrong_site_file_stops_the_start_with_a_clear_message(
    database_url, tmp_path, lines, message
):
    content = tmp_path / "content"
    copytree(CONTENT, content)
    (content / "site.md").write_text(f"name: Azur\n{lines}\n\nBody.\n", encoding="utf-8")
    with pytest.raises(ContentError, match=message):
        app_with(database_url, content)


def test_the_accent_colours_and_the_logo_are_served(client):
    css = client.get("/site.css")
    assert css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert ":root { --accent: #0b57d0; }" in text
    assert "@media (prefers-color-scheme: dark) { :root { --accent: #8ab4f8; } }" in text
    assert "public" in css.headers["Cache-Control"]
    assert (
        client.get("/site.css", headers={"If-None-Match": css.headers["ETag"]}).status_code == 304
    )
    logo = client.get("/logo.svg")
    assert logo.mimetype == "image/svg+xml"
    assert b"<svg" in logo.data
    assert client.get("/logo.png").status_code == 404


def test_every_page_shows_the_name_and_the_logo(client):
    html = client.get("/?lang=fr").get_data(as_text=True)
    assert '<img src="/logo.svg" alt="" width="32" height="32"><span>Example Status</span>' in html
    assert '<link rel="icon" href="/logo.svg">' in html
    assert '<link rel="stylesheet" href="/site.css">' in html
