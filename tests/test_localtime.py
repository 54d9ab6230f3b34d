"""Times as people read them (the page's zone, named, CET or CEST), and the share texts."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from statuspage import create_app
from statuspage.models import Incident
from statuspage.services import notifications

from .conftest import LIVEDNS_NAMES, new_maintenance, open_livedns
from .test_bilingual import french_only
from .test_notify import confirm, outbox, subscribe
from .test_staff import form_post, text

SUMMER = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # 14:00 in Paris (CEST)
# the default clock, 2026-03-10 12:00 UTC, is 13:00 in Paris (CET)


def livedns(data, clock, components, **texts):
    return open_livedns(
        data,
        clock,
        components,
        name=LIVEDNS_NAMES,
        body=texts
        or {
            "en": "Queries for some zones return **SERVFAIL**. Next update within 30 minutes.",
            "fr": "Les requêtes pour certaines zones renvoient **SERVFAIL**. Prochaine mise à "
            "jour d'ici 30 minutes.",
        },
    )


def test_a_winter_time_is_paris_time_cet_in_both_languages(client, data, clock, components):
    incident_id = livedns(data, clock, components)
    english = text(client.get(f"/incidents/{incident_id}?lang=en"))
    french = text(client.get(f"/incidents/{incident_id}?lang=fr"))
    assert (
        '<time datetime="2026-03-10T12:00:00Z">Mar 10, 2026, 1:00\u202fPM Paris time (CET)</time>'
    ) in english
    assert (
        '<time datetime="2026-03-10T12:00:00Z">10 mars 2026, 13:00 heure de Paris (CET)</time>'
    ) in french
    assert "Times are shown in Paris time." in english
    assert "Les heures sont indiquées à l'heure de Paris." in french


def test_a_summer_time_is_cest(client, data, clock, components):
    clock.now = SUMMER
    incident_id = livedns(data, clock, components)
    english = text(client.get(f"/incidents/{incident_id}?lang=en"))
    french = text(client.get(f"/incidents/{incident_id}?lang=fr"))
    assert "Jul 15, 2026, 2:00\u202fPM Paris time (CEST)</time>" in english
    assert "15 juil. 2026, 14:00 heure de Paris (CEST)</time>" in french


def test_another_zone_is_named_and_utc_says_utc(tmp_path, clock):
    for zone, expected in (("America/New_York", "8:00\u202fAM New York time (EDT)"),
                           ("Etc/UTC", "12:00\u202fPM UTC")):  # fmt: skip
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / (zone.replace('/', '_') + '.db')}",
                "SECRET_KEY": "t",
                "CLOCK": clock,
                "TIMEZONE": zone,
            }
        )
        with app.test_request_context("/?lang=en"):
            from statuspage.filters import time_tag

            assert expected in time_tag(SUMMER - timedelta(days=0, hours=0))


def test_a_wrong_zone_stops_the_start_with_a_clear_message(clock):
    with pytest.raises(ValueError, match="STATUSPAGE_TIMEZONE"):
        create_app({"TESTING": True, "SECRET_KEY": "t", "CLOCK": clock, "TIMEZONE": "Mars/Base"})


def test_the_script_adds_the_readers_time_without_inline_code(client):
    page = client.get("/?lang=fr")
    body = text(page)
    assert (
        '<script src="/static/time.js" data-timezone="Europe/Paris" '
        'data-local-label="votre heure" defer></script>'
    ) in body
    assert "<script>" not in body
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"].split("script-src")[1]
    with client.get("/static/time.js") as script:
        assert script.status_code == 200
        assert "RelativeTimeFormat" in script.get_data(as_text=True)


def test_json_and_feeds_keep_iso_8601_with_the_offset(client, data, clock, components):
    livedns(data, clock, components)
    summary = client.get("/api/v2/summary.json").get_json()
    assert summary["page"]["time_zone"] == "Europe/Paris"
    assert summary["incidents"][0]["created_at"] == "2026-03-10T12:00:00.000Z"
    atom = text(client.get("/history.atom"))
    assert "<updated>2026-03-10T12:00:00+00:00</updated>" in atom


# -- the console reads times in the page's zone --------------------------------------------------


@pytest.mark.parametrize(
    ("start", "typed", "stored"),
    [
        # winter: Paris is UTC+1
        (datetime(2026, 3, 12, tzinfo=UTC), "2026-03-12T01:00", datetime(2026, 3, 12, 0, 0)),
        # summer: Paris is UTC+2
        (SUMMER, "2026-07-20T01:00", datetime(2026, 7, 19, 23, 0)),
    ],
)
def test_console_times_are_typed_in_paris_time(
    responder, components, clock, data, start, typed, stored
):
    clock.now = start - timedelta(days=1)
    page = "/staff/maintenances/new"
    form = text(responder.get(page))
    assert "Starts at (Paris time)" in form
    end = typed.replace("T01:00", "T03:00")
    response = form_post(
        responder,
        page,
        page,
        {
            "name_en": "Storage migration",
            "scheduled_for": typed,
            "scheduled_until": end,
            "body_en": "Read-only file systems.",
            f"component_{components['webmail'].id}": "under_maintenance",
            "submit": "1",
        },
    )
    assert response.status_code == 302, text(response)
    maintenance_id = response.headers["Location"].rsplit("/", 1)[1]
    with data() as session:
        maintenance = session.get(Incident, maintenance_id)
        assert maintenance.scheduled_for == stored.replace(tzinfo=UTC)
        assert maintenance.scheduled_until == stored.replace(tzinfo=UTC) + timedelta(hours=2)
    console = text(responder.get(f"/staff/incidents/{maintenance_id}"))
    assert f'value="{end}"' in console  # the extend form shows the end as it was typed


def test_console_labels_name_the_zone_in_french(responder):
    form = text(responder.get("/staff/maintenances/new?lang=fr"))
    assert "Début (heure de Paris)" in form


# -- mail ----------------------------------------------------------------------------------------


def test_the_maintenance_reminder_gives_paris_time(client, data, clock, components):
    subscribe(client, lang="fr")
    confirm(client, data)
    new_maintenance(
        data,
        clock,
        components,
        name={"en": "Webmail upgrade", "fr": "Mise à jour du webmail"},
        component="webmail",
        starts_in=timedelta(days=3),
        body={"en": "Short interruptions.", "fr": "Courtes coupures."},
    )
    clock.now += timedelta(days=2, hours=1)
    with data() as session:
        assert notifications.send_reminders(session, now=clock.now) == 1
    (reminder,) = outbox(data, "reminder")
    assert "Mise à jour du webmail" in reminder.subject
    # 2026-03-13 12:00 UTC, in Paris: 13:00 (CET)
    assert "du 13 mars 2026, 13:00 heure de Paris (CET) au 13 mars 2026, 14:00" in (
        reminder.text_body
    )


# -- share texts -----------------------------------------------------------------------------------


def shares(html_text: str) -> dict[str, str]:
    found = re.findall(
        r'<textarea readonly rows="3" lang="(en|fr)"[^>]*>([^<]*)</textarea>', html_text
    )
    return {lang: html.unescape(content) for lang, content in found}


def test_share_texts_say_everything_a_post_needs_in_each_language(
    responder, data, clock, components
):
    incident_id = livedns(data, clock, components)
    texts = shares(text(responder.get(f"/staff/incidents/{incident_id}")))
    link = f"https://status.example.test/i/{incident_id}"
    assert texts["en"] == (
        "[Investigating] LiveDNS resolution errors. Critical impact on LiveDNS. Queries for some "
        "zones return SERVFAIL. Next update by 1:30 PM Paris time (CET). " + link
    )
    assert texts["fr"] == (
        "[En cours d'analyse] Erreurs de résolution LiveDNS. Impact critique sur LiveDNS. Les "
        "requêtes pour certaines zones renvoient SERVFAIL. Prochaine mise à jour vers 13:30 "
        "heure de Paris (CET). " + link
    )
    assert all(len(t) <= 280 for t in texts.values())


def test_a_share_text_in_summer_says_cest_and_a_missing_language_is_noted(
    responder, data, clock, components
):
    clock.now = SUMMER
    incident_id = livedns(data, clock, components, en="Resolution fails. Next update in 1 hour.")
    texts = shares(text(responder.get(f"/staff/incidents/{incident_id}")))
    assert "Next update by 3:00 PM Paris time (CEST)." in texts["en"]
    # the French text stays French: the English sentence is not copied into it
    assert "Resolution fails" not in texts["fr"]
    assert "Prochaine mise à jour vers 15:00 heure de Paris (CEST)." in texts["fr"]
    assert texts["fr"].startswith("[En cours d'analyse] Erreurs de résolution LiveDNS.")


def test_a_french_only_title_is_marked_in_the_english_text(responder, data, clock, components):
    incident_id = french_only(
        data, clock, components, body={"fr": "Les emails arrivent en retard."}
    )
    texts = shares(text(responder.get(f"/staff/incidents/{incident_id}")))
    assert texts["en"].startswith(
        "[Investigating] Retards de réception des emails (in French only). Minor impact on "
        "Incoming mail (SMTP in)."
    )
    assert "Les emails arrivent en retard." not in texts["en"]
    assert "Les emails arrivent en retard." in texts["fr"]


def test_a_maintenance_share_text_gives_its_window(responder, data, clock, components):
    maintenance_id = new_maintenance(
        data,
        clock,
        components,
        name={"en": "Webmail upgrade", "fr": "Mise à jour du webmail"},
        component="webmail",
        starts_in=timedelta(days=1),
        body={"en": "Short interruptions.", "fr": "Courtes coupures."},
        hours=2,
    )
    texts = shares(text(responder.get(f"/staff/incidents/{maintenance_id}")))
    assert "From Mar 11, 2026, 1:00 PM to 3:00 PM Paris time (CET)." in texts["en"]
    assert "Du 11 mars 2026, 13:00 à 15:00 heure de Paris (CET)." in texts["fr"]
    assert "Maintenance of Webmail." in texts["en"]
