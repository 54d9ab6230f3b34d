"""`make screenshots`: the main pages in Chromium over the demo history, during an incident.

Everything goes through the doors a user has (`flask init`, `flask demo`, `flask staff create`,
`flask token create`, the staff API, the sign-in form) into a throwaway SQLite database, so the
pictures show what a newcomer sees after `make demo`. Needs the test extras (Playwright) and
Debian's Chromium; PNGs are reduced to a 256-colour palette to keep the repository small.
"""

from __future__ import annotations

import io
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import click

CHROMIUM = "/usr/bin/chromium"
#: Debian's Chromium without a sandbox (root, containers) and kept off the network (it tries to
#: reach Google's servers otherwise); the browser tests launch it the same way.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
PASSWORD = secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    lang: str
    viewport: dict[str, int]
    scheme: str = "light"
    staff: bool = False
    full_page: bool = False


def _shots(incident: str) -> list[Shot]:
    return [
        Shot("home-en-desktop", "/", "en", DESKTOP),
        Shot("home-fr-desktop", "/", "fr", DESKTOP, scheme="dark"),
        Shot("home-fr-phone", "/", "fr", PHONE, full_page=True),
        Shot("home-en-phone-dark", "/", "en", PHONE, scheme="dark"),
        Shot("incident-en-desktop", f"/incidents/{incident}", "en", DESKTOP),
        Shot("incident-fr-phone", f"/incidents/{incident}", "fr", PHONE, full_page=True),
        Shot("contact-fr-phone", "/contact", "fr", PHONE),
        Shot("history-en-desktop", "/history", "en", DESKTOP),
        Shot("console-en-desktop", "/staff/", "en", DESKTOP, staff=True),
        Shot("console-fr-phone", "/staff/", "fr", PHONE, staff=True, full_page=True),
        Shot("card-en", f"/incidents/{incident}/card.png", "en", DESKTOP),
    ]


def _compress(png: bytes) -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > 2400:  # a long phone page: its first screens say enough
        image = image.crop((0, 0, image.width, 2400))
    buffer = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _prepare(app, admin: str) -> str:
    """The demo history, an admin, and one incident in progress; returns the incident's id."""
    runner = app.test_cli_runner()
    for args, stdin in (
        (["init"], None),
        (["demo"], None),
        (["staff", "create", admin, "--role", "admin", "--password-stdin"], PASSWORD + "\n"),
        (["token", "create", "--name", "screenshots", "--role", "responder"], None),
    ):
        result = runner.invoke(args=args, input=stdin)
        if result.exit_code != 0:
            raise click.ClickException(f"flask {' '.join(args)}: {result.output}")
    token = result.output.strip().splitlines()[-1]
    client = app.test_client()
    components = client.get("/api/v2/components.json").get_json()["components"]
    ids = {c["name"]: c["id"] for c in components}
    response = client.post(
        "/api/v1/incidents",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "name": "LiveDNS resolution errors",
            "kind": "incident",
            "status": "identified",
            "impact": "critical",
            "body": "Queries for some zones return **SERVFAIL** or time out: websites and "
            "incoming email of the domains concerned may not resolve. We have found the "
            "cause and are rolling back the change.",
            "components": {ids["LiveDNS"]: "major_outage", ids["Webmail"]: "degraded_performance"},
        },
    )
    if response.status_code != 201:
        raise click.ClickException(f"the incident was refused: {response.get_data(as_text=True)}")
    return response.get_json()["id"]


def take(folder: Path, chromium: str = CHROMIUM) -> list[Path]:
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from statuspage import create_app

    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start), True)
    base = f"http://127.0.0.1:{server.server_port}"
    admin = "admin@example.com"
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/screenshots.db",
                "SECRET_KEY": secrets.token_hex(16),
                "BASE_URL": base,
                "OUTBOX_DIR": f"{tmp}/outbox",
                "SPOOL_DIR": f"{tmp}/spool",
                "RATELIMIT_ENABLED": False,
            }
        )
        holder["app"] = app
        incident = _prepare(app, admin)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
                for shot in _shots(incident):
                    context = browser.new_context(
                        viewport=shot.viewport,
                        locale={"en": "en-GB", "fr": "fr-FR"}[shot.lang],
                        color_scheme=shot.scheme,
                    )
                    page = context.new_page()
                    if shot.staff:
                        page.goto(f"{base}/staff/login?lang={shot.lang}")
                        page.fill("input[name=email]", admin)
                        page.fill("input[name=password]", PASSWORD)
                        page.click("main form [type=submit]")
                        page.wait_for_url(f"{base}/staff/")
                    page.goto(f"{base}{shot.path}?lang={shot.lang}")
                    png = page.screenshot(full_page=shot.full_page)
                    if shot.name.startswith("card-"):
                        png = page.request.get(f"{base}{shot.path}?lang={shot.lang}").body()
                    path = folder / f"{shot.name}.png"
                    path.write_bytes(_compress(png))
                    written.append(path)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
    return written


@click.command("screenshots")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--chromium", default=CHROMIUM, show_default=True, help="Chromium to drive.")
def screenshots_command(folder: Path, chromium: str) -> None:
    """PNGs of the main pages over the demo history (French, English, desktop, phone)."""
    for path in take(folder, chromium):
        click.echo(f"{path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    screenshots_command()
