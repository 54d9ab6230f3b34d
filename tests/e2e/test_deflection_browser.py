"""The whole deflection journey in a real browser, mail through a real SMTP server."""

import re
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests import conftest
from tests.conftest import PASSWORD
from tests.processes import free_port
from tests.test_bilingual import both_languages
from tests.test_mail import Inbox

pytestmark = pytest.mark.browser


def open_livedns(data, clock, components) -> str:
    return conftest.open_livedns(
        data,
        clock,
        components,
        body="Queries for some zones return **SERVFAIL** or time out.",
        started_at=clock.now - timedelta(minutes=15),
    )


def write_in(page, base, email, subject, message):
    page.goto(f"{base}/contact")
    expect(page.get_by_role("heading", name="Known problems right now")).to_be_visible()
    page.get_by_label("Your email").fill(email)
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Your message").fill(message)
    page.get_by_role("button", name="Send").click()


def test_customer_attaches_staff_resolve_still_broken_reopens_it_alone(
    app, browser, page, live_server, data, clock, components, staff_accounts, runner
):
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        incident_id = open_livedns(data, clock, components)

        # The customer types; the page suggests the incident while they type.
        page.goto(f"{live_server}/contact")
        page.get_by_label("Your message").fill(
            "dig example.fr returns SERVFAIL from your nameservers"
        )
        page.get_by_label("Subject").fill("SERVFAIL on our zone")
        expect(page.locator("#suggestion")).to_contain_text("LiveDNS resolution errors")

        write_in(
            page,
            live_server,
            "tom@example.com",
            "SERVFAIL on our zone",
            "dig example.fr returns SERVFAIL from your nameservers since 13:50.",
        )
        expect(page.get_by_role("heading", name="Is this your problem?")).to_be_visible()
        page.get_by_role("button", name="Yes, this is my problem: keep me informed").click()
        expect(page.get_by_text("Done: we will tell you as soon as it is fixed.")).to_be_visible()

        # A second customer, attached too, who will be happy at the end.
        other = browser.new_context(locale="en-GB").new_page()
        write_in(
            other,
            live_server,
            "ana@example.com",
            "Sites down",
            "All our domains give SERVFAIL, websites and mail both.",
        )
        other.get_by_role("button", name="Yes, this is my problem: keep me informed").click()

        # A third one declines: a normal ticket in the queue.
        third = browser.new_context(locale="en-GB").new_page()
        write_in(
            third,
            live_server,
            "bob@example.com",
            "SERVFAIL?",
            "dig on our zone returns SERVFAIL from your nameservers since 13:55.",
        )
        third.get_by_role("button", name="No, my problem is different").click()
        expect(third.get_by_text("In our support queue: we will answer you")).to_be_visible()

        # Staff resolve in the console.
        console = browser.new_context(locale="en-GB").new_page()
        console.goto(f"{live_server}/staff/login")
        console.get_by_label("Email").fill(staff_accounts["responder"])
        console.get_by_label("Password").fill(PASSWORD)
        console.get_by_role("button", name="Sign in").click()
        console.goto(f"{live_server}/staff/incidents/{incident_id}")
        console.get_by_label("Resolution message in English (Markdown)").fill(
            "The rollback is complete."
        )
        console.get_by_role("button", name="Resolve").click()
        expect(console.get_by_text("Resolved: every affected service")).to_be_visible()

        # The mail reaches the customer; its link leads to "Is it fixed for you?".
        assert runner.invoke(args=["outbox", "deliver"]).exit_code == 0
        resolved = [
            m for m in inbox.messages if m["To"] == "tom@example.com" and "fixed" in m["Subject"]
        ]
        assert len(resolved) == 1
        link = re.search(
            r"No, it is still broken: (http\S+/requests/REQ-\S+&answer=still-broken)",
            resolved[0].get_body(("plain",)).get_content(),
        ).group(1)
        page.goto(link.replace("https://status.example.test", live_server))
        expect(page.get_by_text("This incident is resolved. Is it fixed for you?")).to_be_visible()
        what = page.get_by_label("What still fails? (optional)")
        expect(what).to_be_focused()
        what.fill("www.example.fr still gives SERVFAIL from Lyon.")
        page.get_by_role("button", name="No, it is still broken").click()
        expect(page.get_by_text("In our support queue: we will answer you")).to_be_visible()

        other.reload()
        expect(other.get_by_text("Resolved: waiting for your confirmation")).to_be_visible()

        console.goto(f"{live_server}/staff/tickets")
        queue = console.locator("section", has=console.get_by_role("heading", name="Queue"))
        expect(queue).to_contain_text("SERVFAIL on our zone")
        expect(queue).to_contain_text("still broken")
        expect(queue).to_contain_text("www.example.fr still gives SERVFAIL from Lyon.")
        expect(queue).to_contain_text("SERVFAIL?")
        expect(queue).not_to_contain_text("Sites down")
    finally:
        smtp.stop()


def test_a_french_customer_without_javascript_is_offered_the_incident_in_french(
    browser, live_server, data, clock, components
):
    """The journey with scripts off, in French: the form, the proposal with its reasons in
    French and the incident's French title, the consent, the private page."""
    both_languages(data, clock, components)
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto(f"{live_server}/contact")
        expect(page.get_by_role("heading", name="Problèmes connus en ce moment")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Erreurs de résolution LiveDNS")
        page.get_by_label("Votre email").fill("lea@example.fr")
        page.get_by_label("Objet").fill("SERVFAIL sur notre zone")
        page.get_by_label("Votre message").fill(
            "dig example.fr renvoie SERVFAIL depuis vos serveurs de noms depuis 13h50."
        )
        page.get_by_role("button", name="Envoyer").click()
        expect(page.get_by_role("heading", name="Est-ce votre problème\u00a0?")).to_be_visible()
        proposal = page.locator("main")
        expect(proposal).to_contain_text("Erreurs de résolution LiveDNS")
        expect(proposal).to_contain_text("SERVFAIL")
        expect(proposal).not_to_contain_text("LiveDNS resolution errors")
        page.get_by_role("button", name="Oui, c'est mon problème\u00a0: tenez-moi informé").click()
        expect(
            page.get_by_text("C'est noté\u00a0: nous vous préviendrons dès que ce sera résolu.")
        ).to_be_visible()
        assert "/requests/REQ-" in page.url
    finally:
        context.close()
