"""Incidents in both languages: each reader gets theirs, or the other one marked as such."""

import re

import feedparser
import pytest

from statuspage.domain import status as st
from statuspage.models import Incident, IncidentUpdate
from statuspage.services.operations import add_update

from .conftest import LIVEDNS_NAMES, WEBMAIL, new_incident, open_livedns, open_webmail
from .test_notify import confirm, subscribe
from .test_staff import form_post, text


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def french_only(data, clock, components, **extra):
    """An incident opened in French only (as from the French template, before translating)."""
    return new_incident(
        data,
        clock,
        components,
        **{
            "name": {"fr": "Retards de réception des emails"},
            "component": "smtp-in",
            "status": "degraded_performance",
            "impact": st.Impact.MINOR,
            "body": {"fr": "Nous constatons des **retards** dans la réception des emails."},
            **extra,
        },
    )


def both_languages(data, clock, components):
    return open_livedns(
        data,
        clock,
        components,
        name=LIVEDNS_NAMES,
        body={
            "en": "Queries for some zones return **SERVFAIL**.",
            "fr": "Les requêtes pour certaines zones renvoient **SERVFAIL**.",
        },
    )


# -- pages -------------------------------------------------------------------------------------


def test_each_reader_gets_their_language(client, data, clock, components):
    incident_id = both_languages(data, clock, components)
    english = text(client.get(f"/incidents/{incident_id}?lang=en"))
    french = text(client.get(f"/incidents/{incident_id}?lang=fr"))
    assert "LiveDNS resolution errors</h1>" in english
    assert "Erreurs de résolution LiveDNS</h1>" in french
    assert "Les requêtes pour certaines zones" in french
    assert "Les requêtes pour certaines zones" not in english
    assert "lang-note" not in english + french
    home = text(client.get("/?lang=fr"))
    assert "Erreurs de résolution LiveDNS" in home
    assert "LiveDNS resolution errors" not in home


def test_a_missing_language_falls_back_to_the_other_marked_as_such(client, data, clock, components):
    incident_id = french_only(data, clock, components)
    english = text(client.get(f"/incidents/{incident_id}?lang=en"))
    assert (
        '<h1><span lang="fr">Retards de réception des emails</span> '
        '<small class="lang-note">(in French only)</small></h1>'
    ) in english
    assert '<div class="body" lang="fr"><p>Nous constatons des <strong>retards' in english
    french = text(client.get(f"/incidents/{incident_id}?lang=fr"))
    assert "<h1>Retards de réception des emails</h1>" in french
    assert "lang-note" not in french
    home = text(client.get("/?lang=en"))
    assert '<span lang="fr">Retards de réception des emails</span>' in home
    assert "(in French only)" in home
    embed = text(client.get("/embed?lang=en"))
    assert '<span lang="fr">Retards de réception des emails</span>' in embed


def test_an_english_only_text_says_so_in_french(client, data, clock, components):
    incident_id = open_webmail(
        data, clock, components, name={"en": WEBMAIL["name"]}, body={"en": WEBMAIL["body"]}
    )
    french = text(client.get(f"/incidents/{incident_id}?lang=fr"))
    assert '<span lang="en">Webmail unavailable</span>' in french
    assert "(en anglais seulement)" in french


# -- feeds -------------------------------------------------------------------------------------


def test_feeds_speak_the_default_language_or_the_one_asked(client, data, clock, components):
    both_languages(data, clock, components)
    french_only(data, clock, components)
    feeds = {}
    for lang in ("", "en", "fr"):
        response = client.get(f"/history.atom?lang={lang}" if lang else "/history.atom")
        feed = feedparser.parse(response.data)
        assert feed.bozo == 0
        feeds[lang or "default"] = feed
    titles = {k: [e.title for e in f.entries] for k, f in feeds.items()}
    assert titles["default"] == titles["en"]  # the site's default language is English
    assert "[Investigating] LiveDNS resolution errors" in titles["en"]
    assert "[Investigating] Retards de réception des emails (in French only)" in titles["en"]
    assert "[En cours d'analyse] Erreurs de résolution LiveDNS" in titles["fr"]
    assert "[En cours d'analyse] Retards de réception des emails" in titles["fr"]
    fallback = next(e for e in feeds["en"].entries if "French only" in e.title)
    assert 'lang="fr"' in fallback.content[0].value
    rss = feedparser.parse(client.get("/history.rss?lang=fr").data)
    assert rss.bozo == 0
    assert rss.feed.language == "fr"
    assert any("Erreurs de résolution LiveDNS" in e.title for e in rss.entries)


def test_the_feeds_default_language_follows_the_setting(app, client, data, clock, components):
    app.config["DEFAULT_LANGUAGE"] = "fr"
    both_languages(data, clock, components)
    feed = feedparser.parse(client.get("/history.atom").data)
    assert feed.entries[0].title == "[En cours d'analyse] Erreurs de résolution LiveDNS"


# -- Statuspage v2 JSON --------------------------------------------------------------------------


def test_public_json_speaks_the_default_language_or_lang(client, data, clock, components):
    both_languages(data, clock, components)
    default = client.get("/api/v2/incidents.json", headers={"Accept-Language": "fr"}).get_json()
    assert default["incidents"][0]["name"] == "LiveDNS resolution errors"
    french = client.get("/api/v2/incidents.json?lang=fr").get_json()
    assert french["incidents"][0]["name"] == "Erreurs de résolution LiveDNS"
    body = french["incidents"][0]["incident_updates"][0]["body"]
    assert body.startswith("Les requêtes")


# -- mail ----------------------------------------------------------------------------------------


def test_subscribers_get_their_language_or_the_other_with_a_note(
    client,
    runner,
    data,
    clock,
    components,
    smtp_server,  # noqa: F811 - fixture
):
    for email, lang in (("lea@example.fr", "fr"), ("tom@example.com", "en")):
        subscribe(client, email=email, lang=lang)
        confirm(client, data, email=email)
    runner.invoke(args=["outbox", "deliver"])
    smtp_server.messages.clear()
    french_only(data, clock, components)
    result = runner.invoke(args=["outbox", "deliver"])
    assert "failed 0" in result.output
    mails = {m["To"]: m for m in smtp_server.messages}
    french, english = mails["lea@example.fr"], mails["tom@example.com"]
    assert "Retards de réception des emails" in french["Subject"]
    assert "seulement" not in french["Subject"]
    assert english["Subject"].endswith("Retards de réception des emails (in French only)")
    plain = english.get_body(("plain",)).get_content()
    assert "Nous constatons des retards" in plain
    assert "(in French only)" in plain
    html = english.get_body(("html",)).get_content()
    assert '<span lang="fr">Retards de réception des emails</span>' in html
    assert '<div class="body" lang="fr">' in html


# -- staff API -----------------------------------------------------------------------------------


def test_api_takes_a_language_and_translations_and_returns_both(client, tokens, components):
    headers = bearer(tokens["responder"])
    created = client.post(
        "/api/v1/incidents",
        headers=headers,
        json={
            "name": "Retards de réception des emails",
            "body": "Nous analysons.",
            "lang": "fr",
            "translations": {"en": {"name": "Delays in receiving email", "body": "Looking."}},
            "components": {components["smtp-in"].id: "degraded_performance"},
        },
    )
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()
    assert incident["name"] == "Delays in receiving email"  # the site's default language
    assert incident["lang"] == "en"
    assert incident["translations"]["fr"]["name"] == "Retards de réception des emails"
    assert incident["translations"]["en"]["name"] == "Delays in receiving email"
    first = incident["incident_updates"][0]
    assert first["translations"] == {"en": {"body": "Looking."}, "fr": {"body": "Nous analysons."}}
    url = f"/api/v1/incidents/{incident['id']}"
    updated = client.post(
        f"{url}/updates",
        headers=headers,
        json={"status": "identified", "body": "Un filtre est saturé.", "lang": "fr"},
    )
    assert updated.status_code == 201
    latest = updated.get_json()["incident_updates"][0]
    assert latest["body"] == "Un filtre est saturé."  # no English yet: the French
    assert latest["lang"] == "fr"
    assert latest["translations"]["en"]["body"] == ""
    french = client.get(f"{url}?lang=fr", headers=headers).get_json()
    assert french["name"] == "Retards de réception des emails"
    patched = client.patch(
        url, headers=headers, json={"translations": {"en": {"name": "Email delays"}}}
    )
    assert patched.status_code == 200
    names = patched.get_json()["translations"]
    assert names["en"]["name"] == "Email delays"
    assert names["fr"]["name"] == "Retards de réception des emails"  # untouched
    resolved = client.post(
        f"{url}/resolve",
        headers=headers,
        json={"body": "Fixed.", "translations": {"fr": {"body": "Corrigé."}}},
    )
    assert resolved.status_code == 200
    final = resolved.get_json()["incident_updates"][0]
    assert final["translations"] == {"en": {"body": "Fixed."}, "fr": {"body": "Corrigé."}}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "body": "y", "lang": "de"}, "lang"),
        ({"name": "x", "body": "y", "translations": {"de": {"name": "x"}}}, "translations"),
        ({"name": "x", "body": "y", "translations": {"fr": "x"}}, "translations"),
        ({"name": "x", "body": "y", "translations": {"fr": {"title": "x"}}}, "translations"),
        ({"name": "x", "body": "y", "translations": {"fr": {"name": 3}}}, "translations"),
        ({"name": "x", "body": "y", "translations": {"fr": {"name": "n" * 256}}}, "name"),
        ({"name": " ", "body": "y"}, "name"),
    ],
)
def test_api_refuses_wrong_translations_clearly(client, tokens, payload, field):
    response = client.post("/api/v1/incidents", headers=bearer(tokens["responder"]), json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_name_in_the_other_language_is_enough(client, tokens):
    response = client.post(
        "/api/v1/incidents",
        headers=bearer(tokens["responder"]),
        json={"name": " ", "body": " ", "translations": {"fr": {"name": "Panne", "body": "Oui."}}},
    )
    assert response.status_code == 201
    assert response.get_json()["name"] == "Panne"


# -- console -------------------------------------------------------------------------------------


def test_console_writes_both_languages_side_by_side_with_both_previews(responder, components):
    page = "/staff/incidents/new?template=mail-delivery-delays"
    form = text(responder.get(page))
    assert 'name="name_en"' in form
    assert 'name="name_fr"' in form
    assert 'value="Delays in receiving email"' in form
    assert 'value="Retards de réception des emails"' in form
    assert "Nous constatons des **retards" in form  # the template fills both languages
    assert re.search(r'<textarea[^>]*lang="fr"[^>]*name="body_fr"', form) or re.search(
        r'<textarea[^>]*name="body_fr"[^>]*lang="fr"', form
    )
    data = {
        "name_en": "Mail delays",
        "name_fr": "Retards des emails",
        "impact": "minor",
        "status": "investigating",
        "body_en": "**Delayed** mail.",
        "body_fr": "Emails **retardés**.",
        f"component_{components['smtp-in'].id}": "degraded_performance",
        "preview": "1",
    }
    preview = form_post(responder, "/staff/incidents/new", "/staff/incidents/new", data)
    assert preview.status_code == 200
    html = text(preview)
    assert '<div class="body" lang="en"><p><strong>Delayed</strong> mail.</p>' in html
    assert '<div class="body" lang="fr"><p>Emails <strong>retardés</strong>.</p>' in html
    del data["preview"]
    data["submit"] = "1"
    opened = form_post(responder, "/staff/incidents/new", "/staff/incidents/new", data)
    assert opened.status_code == 302


def test_console_needs_one_language_at_least(responder, components):
    data = {
        "name_en": "",
        "name_fr": "",
        "impact": "minor",
        "status": "investigating",
        "body_en": "",
        "body_fr": "Texte",
        "submit": "1",
    }
    response = form_post(responder, "/staff/incidents/new", "/staff/incidents/new", data)
    assert response.status_code == 422
    assert "Write it in English or in French (or both)." in text(response)
    assert "Texte" in text(response)  # nothing typed is lost


def test_console_translates_an_update_afterwards(responder, data, clock, components):
    incident_id = french_only(data, clock, components)
    with data() as session:
        update_id = session.get(Incident, incident_id).updates[0].id
    url = f"/staff/updates/{update_id}/edit"
    response = form_post(
        responder,
        url,
        url,
        {"body_en": "We see **delays** in incoming email.", "body_fr": "Nous constatons."},
    )
    assert response.status_code == 302
    with data() as session:
        update = session.get(IncidentUpdate, update_id)
        assert update.texts("body") == {
            "en": "We see **delays** in incoming email.",
            "fr": "Nous constatons.",
        }


# -- the matcher ---------------------------------------------------------------------------------


def test_the_matcher_reads_both_languages(client, data, clock, components):
    """A French request finds an incident whose French text is the only one to mention it."""
    incident_id = new_incident(
        data,
        clock,
        components,
        name={"en": "LiveDNS resolution errors", "fr": "Erreurs de résolution LiveDNS"},
        component="livedns",
        status="major_outage",
        impact=st.Impact.CRITICAL,
        body={"en": "Some zones fail.", "fr": "Les requêtes renvoient SERVFAIL ou expirent."},
    )
    with data() as session:
        from statuspage.services.deflection import as_candidate

        candidate = as_candidate(session.get(Incident, incident_id))
    assert "Erreurs de résolution LiveDNS" in candidate.name
    assert "LiveDNS resolution errors" in candidate.name
    assert "SERVFAIL" in candidate.updates[0].body
    assert "Some zones fail." in candidate.updates[0].body


def test_an_update_in_one_language_keeps_the_other_empty(data, clock, components):
    incident_id = both_languages(data, clock, components)
    with data() as session:
        incident = session.get(Incident, incident_id)
        add_update(
            session,
            incident,
            status=st.IncidentStatus.IDENTIFIED,
            body={"fr": "Trouvé."},
            components=None,
            actor="t",
            now=clock.now,
        )
        latest = max(incident.updates, key=lambda u: u.position)
        assert latest.texts("body") == {"en": "", "fr": "Trouvé."}
        assert latest.text("body", "en").fallback
