"""The console's details found while trying it: maintenances ahead, templates of maintenances,
what a resolved incident's services reached, words for staff, plurals and French typography, and
Backlog Killer in the audit log."""

import re
from datetime import timedelta
from html import unescape

from statuspage.domain import backlog
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import AuditEntry, OutboxMessage

from .conftest import csrf_token, new_incident, new_maintenance
from .test_deflection import SERVFAIL, answer, contact, reference_of, resolve
from .test_staff import form_post, text

NBSP = "\u00a0"


def active_rows(html: str) -> str:
    return html.split('id="active-heading"')[1].split("</section>")[0]


def test_the_dashboard_shows_an_upcoming_maintenance_with_its_window(
    responder, data, clock, components
):
    new_maintenance(
        data,
        clock,
        components,
        name="Storage migration",
        component="web-hosting-luxembourg",
        starts_in=timedelta(days=4),
        body="Read-only for 10 minutes.",
        hours=2,
    )
    clock.now += timedelta(days=3, hours=22)  # written 4 days ago, starts in 2 hours
    rows = active_rows(text(responder.get("/staff/?lang=en")))
    assert "Storage migration" in rows
    assert "Scheduled" in rows
    assert "Window: " in rows
    assert "starts in 2 hours" in rows
    assert "Under maintenance" not in rows
    assert " ago" not in rows
    rows_fr = unescape(active_rows(text(responder.get("/staff/?lang=fr"))))
    assert f"Créneau{NBSP}: du " in rows_fr
    assert "commence dans 2 heures" in rows_fr


def test_the_maintenance_form_offers_the_maintenance_templates(responder, components):
    form = text(responder.get("/staff/maintenances/new?lang=en"))
    assert "Start from a template" in form
    assert "template=mailbox-storage-maintenance" in form
    assert "template=livedns-resolution" not in form  # an incident's template
    english = unescape(
        text(responder.get("/staff/maintenances/new?template=mailbox-storage-maintenance"))
    )
    assert 'value="Mailbox storage maintenance"' in english  # a template fills both languages
    assert "Incoming email is not affected" in english
    assert 'value="Maintenance du stockage des boîtes mail"' in english
    webmail = components["webmail"].id
    chosen = re.search(
        rf'<select[^>]*name="component_{webmail}"[^>]*>(.*?)</select>', english, re.S
    )
    assert '<option selected value="under_maintenance">' in chosen.group(1)
    french = unescape(text(responder.get("/staff/maintenances/new?template=livedns-maintenance")))
    assert 'value="Mise à jour des serveurs de noms LiveDNS"' in french
    assert f"Vos domaines restent résolus tout du long{NBSP}:" in french
    dashboard = text(responder.get("/staff/"))
    assert "/staff/maintenances/new?template=livedns-maintenance" in dashboard
    assert "/staff/incidents/new?template=livedns-resolution" in dashboard
    # and the incident form keeps its own templates
    incident_form = text(responder.get("/staff/incidents/new"))
    assert "template=livedns-resolution" in incident_form
    assert "template=mailbox-storage-maintenance" not in incident_form


def test_a_resolved_incident_labels_its_services_worst_state_reached(
    client, responder, data, clock, livedns
):
    page = text(client.get(f"/incidents/{livedns}?lang=en"))
    assert "worst state reached" not in page  # ongoing: the state now
    resolve(data, livedns, clock)
    for path in (f"/incidents/{livedns}?lang=en", f"/staff/incidents/{livedns}?lang=en"):
        html = text((client if path.startswith("/i") else responder).get(path))
        affected = html.split('class="affected"')[1].split("</ul>")[0]
        assert "Major outage" in affected
        assert "(worst state reached)" in affected
    french = text(client.get(f"/incidents/{livedns}?lang=fr"))
    assert "(pire état atteint)" in french


def test_staff_read_state_names_in_the_queue_not_the_customers_sentences(
    admin, client, data, livedns, components
):
    contact(
        client,
        service=components["payments"].id,
        subject="Duplicate invoice",
        message="I was charged twice for my renewal last month, refund please.",
    )
    contact(client.application.test_client(), **SERVFAIL)
    declined_by, _ = contact(client.application.test_client(), **SERVFAIL)
    _, url = reference_of(declined_by)
    answer(client, url, "decline")
    queue = text(admin.get("/staff/tickets?state=all&lang=en")).split('id="queue-heading"')[1]
    assert "<td>Queued</td>" in queue
    assert "<td>Proposed</td>" in queue
    assert "<td>Queued · Declined by the customer</td>" in queue
    assert "In our support queue" not in queue
    assert "Waiting for your answer" not in queue
    filters = text(admin.get("/staff/tickets?lang=fr"))
    assert ">Proposée</option>" in filters


def test_the_queue_size_and_the_sweep_speak_in_plural_forms(admin, client, data, components):
    assert "0 requests in the queue." in text(admin.get("/staff/?lang=en"))
    contact(client, service=components["payments"].id, subject="Invoice", message="Refund please.")
    assert "1 request in the queue." in text(admin.get("/staff/?lang=en"))
    assert "1 demande dans la file." in text(admin.get("/staff/?lang=fr"))
    contact(
        client.application.test_client(),
        service=components["payments"].id,
        subject="Invoice",
        message="Charged twice.",
    )
    assert "2 requests in the queue." in text(admin.get("/staff/?lang=en"))
    assert "2 demandes dans la file." in text(admin.get("/staff/?lang=fr"))


def test_backlog_killer_reasons_are_translated_and_its_changes_audited(
    admin, data, clock, components
):
    new_incident(
        data,
        clock,
        components,
        name="LiveDNS down",
        component="livedns",
        status="major_outage",
        impact=st.Impact.CRITICAL,
    )
    form_post(admin, "/staff/", "/staff/backlog-killer", {"mode": "off"})
    history = text(admin.get("/staff/?lang=en")).split('id="backlog-heading"')[1]
    assert "1 active incident of impact critical" in history
    assert "forced off" in history
    french = unescape(text(admin.get("/staff/?lang=fr")).split('id="backlog-heading"')[1])
    assert "1 incident en cours d'impact critique" in french
    assert "active incident(s)" not in french
    with data() as session:
        entries = session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.action == "backlog_killer.change")
            .order_by(AuditEntry.id)
        ).scalars()
        changes = [(e.actor, e.before, e.after) for e in entries]
    assert changes == [
        (
            "responder@example.com",  # automatic: the incident that switched it on
            None,
            {"active": True, "mode": "auto", "reason": "1 active incident(s) of impact critical"},
        ),
        (
            "admin@example.com",
            {"active": True, "mode": "auto"},
            {"active": False, "mode": "off", "reason": "forced off"},
        ),
    ]
    log = text(admin.get("/staff/audit"))
    assert "backlog_killer.change" in log


def test_recorded_backlog_reasons_are_read_back():
    assert backlog.read_reason("forced on") == backlog.Reason("forced on")
    assert backlog.read_reason("2 active incident(s) of impact critical/major") == backlog.Reason(
        "triggered", 2, (st.Impact.CRITICAL, st.Impact.MAJOR)
    )
    assert backlog.read_reason("something else") == backlog.Reason("other", text="something else")


def test_french_mail_subjects_and_og_title_are_whole_french_sentences(client, data, clock, livedns):
    response, _ = contact(client, lang="fr", **SERVFAIL)
    reference, url = reference_of(response)
    client.post(
        f"/requests/{reference}/accept",
        data={"csrf_token": csrf_token(client, url), "t": url.split("t=")[1]},
    )
    resolve(data, livedns, clock)
    with data() as session:
        subject = session.execute(
            db.select(OutboxMessage.subject).where(OutboxMessage.kind == "resolved")
        ).scalar_one()
    assert subject == (
        f"[{reference}] Résolu{NBSP}: LiveDNS resolution errors (en anglais seulement) — "
        f"tout fonctionne-t-il pour vous{NBSP}?"
    )  # an incident written in English only says so
    page = text(client.get(f"/incidents/{livedns}?lang=fr"))
    og = re.search(r'<meta property="og:title" content="([^"]+)">', page).group(1)
    assert unescape(og) == f"Résolu{NBSP}: LiveDNS resolution errors"
    english = text(client.get(f"/incidents/{livedns}?lang=en"))
    assert '<meta property="og:title" content="Resolved: LiveDNS resolution errors">' in english


def test_a_maintenance_whose_window_closed_by_itself_takes_only_a_closing_note(
    responder, data, clock, components
):
    maintenance_id = new_maintenance(
        data,
        clock,
        components,
        name="Storage migration",
        component="web-hosting-luxembourg",
        starts_in=timedelta(hours=1),
        body="Read-only for 10 minutes.",
    )
    clock.now += timedelta(hours=3)  # the window ended an hour ago; nobody posted an update
    page = f"/staff/incidents/{maintenance_id}"
    offered = re.search(r'<select[^>]*name="status".*?</select>', text(responder.get(page)), re.S)
    assert re.findall(r'<option[^>]*value="([a-z_]+)"', offered.group(0)) == ["completed"]
    late = form_post(
        responder,
        page,
        f"{page}/updates",
        {"status": "verifying", "body_en": "Checking.", "submit": "1"},
    )
    assert late.status_code == 422
    closing = form_post(
        responder,
        page,
        f"{page}/updates",
        {"status": "completed", "body_en": "All volumes migrated.", "submit": "1"},
    )
    assert closing.status_code == 302
    assert "All volumes migrated." in text(responder.get(page))
    with data() as session:
        actions = session.execute(
            db.select(AuditEntry.action).where(AuditEntry.target_id == maintenance_id)
        ).scalars()
        assert "maintenance.update" in list(actions)
