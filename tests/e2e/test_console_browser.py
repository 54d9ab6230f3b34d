"""A responder runs an incident from a template to resolution in a real browser, and the public
page follows each step."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def public_banner(browser, url: str) -> str:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(url)
    text = page.locator("section.banner h1").inner_text()
    context.close()
    return text


def test_responder_runs_an_incident_from_a_template(browser, page, live_server, staff_accounts):
    page.goto(f"{live_server}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login"))
    page.get_by_label("Email").fill(staff_accounts["responder"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert public_banner(browser, live_server + "/") == "All Systems Operational"

    page.get_by_text("Open from a template").click()
    page.get_by_role("link", name="Delays in receiving email").click()
    expect(page.get_by_label("Title in English")).to_have_value("Delays in receiving email")
    expect(page.get_by_label("Title in French")).to_have_value("Retards de réception des emails")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#body-preview-en")).to_contain_text("delays in the delivery")
    expect(page.locator("#body-preview-fr")).to_contain_text("retards dans la réception")
    page.get_by_role("button", name="Open the incident").click()
    expect(page.get_by_text("Incident opened and published.")).to_be_visible()
    incident_url = page.url
    incident_id = incident_url.rsplit("/", 1)[1]
    assert public_banner(browser, live_server + "/") == "Minor Service Outage"

    page.get_by_label("Status", exact=True).select_option("identified")
    page.get_by_label("Message in English (Markdown)", exact=True).fill(
        "A **spam wave** slows our filters."
    )
    page.get_by_label("Incoming mail (SMTP in)").select_option("partial_outage")
    page.get_by_role("button", name="Post the update").click()
    expect(page.get_by_text("Update posted.")).to_be_visible()
    assert public_banner(browser, live_server + "/") == "Partial System Outage"

    page.get_by_label("Status", exact=True).select_option("monitoring")
    page.get_by_label("Message in English (Markdown)", exact=True).fill("Queues are draining.")
    page.get_by_label("Message in French (Markdown)", exact=True).fill(
        "Les files d'attente se vident."
    )
    page.get_by_role("button", name="Post the update").click()
    expect(page.get_by_text("Update posted.")).to_be_visible()

    page.get_by_text("Share").first.click()
    share = page.locator("details.share textarea[lang=fr]").first
    expect(share).to_have_value(
        re.compile(
            rf"^\[Sous surveillance\] Retards de réception des emails\. .*"
            rf"Les files d'attente se vident\. .*/i/{incident_id}$"
        )
    )

    page.get_by_label("Resolution message in English (Markdown)").fill(
        "All delayed mail was delivered."
    )
    page.get_by_role("button", name="Resolve").click()
    expect(
        page.get_by_text("Resolved: every affected service is back to operational.")
    ).to_be_visible()
    assert public_banner(browser, live_server + "/") == "All Systems Operational"

    context = browser.new_context(locale="fr-FR")
    public = context.new_page()
    public.goto(f"{live_server}/incidents/{incident_id}")
    expect(public.locator("h1")).to_have_text("Retards de réception des emails")
    updates = public.locator("li.update .update-meta strong").all_inner_texts()
    assert updates == ["Résolu", "Sous surveillance", "Cause identifiée", "En cours d'analyse"]
    expect(public.locator(".timeline")).to_contain_text("Les files d'attente se vident.")
    # written in English only: shown in English, marked as such
    expect(public.locator('.timeline [lang="en"]').first).to_contain_text("All delayed mail")
    expect(public.locator(".timeline")).to_contain_text("(en anglais seulement)")
    context.close()
