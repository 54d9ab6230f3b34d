"""The staff console, through its forms, as a responder and an admin would use it."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.routing import IntegerConverter

from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import AuditEntry, Incident, IncidentUpdate, StaffUser

from .conftest import PASSWORD, csrf_token, sign_in

PARIS = ZoneInfo("Europe/Paris")  #: the console's fields are in the page's zone (the default)


def form_post(client, page_url, action_url, data, follow=False):
    data = {"csrf_token": csrf_token(client, page_url), **data}
    return client.post(action_url, data=data, follow_redirects=follow)


def text(response) -> str:
    return response.get_data(as_text=True)


def open_incident(client, components, **overrides):
    data = {
        "name_en": "Mail delays",
        "impact": "minor",
        "status": "investigating",
        "body_en": "Incoming mail is **delayed**.",
        "started_at": "",
        "keywords": ".fr, smtp",
        f"component_{components['smtp-in'].id}": "degraded_performance",
        "submit": "1",
        **overrides,
    }
    response = form_post(client, "/staff/incidents/new", "/staff/incidents/new", data)
    assert response.status_code == 302, text(response)
    return response.headers["Location"].rsplit("/", 1)[1]


# -- access ------------------------------------------------------------------------------------


def staff_urls(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint == "staff.login":
            continue
        examples = {
            arg: 1
            for arg, converter in rule._converters.items()
            if isinstance(converter, IntegerConverter)
        }
        choices = re.search(r"<any\(([^)]*)\):action>", rule.rule)
        if choices:
            examples["action"] = choices.group(1).split(",")[0].strip(" '")
        values = {arg: examples.get(arg, "aaaaaaaaaaaa") for arg in rule.arguments}
        url = rule.rule
        for arg, value in values.items():
            url = re.sub(rf"<[^>]*\b{arg}>", str(value), url)
        yield url, sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_staff_route_refuses_anonymous_users(app, client):
    urls = list(staff_urls(app))
    assert len(urls) >= 15
    token = csrf_token(client, "/staff/login")  # a valid form token: only the login is missing
    for url, methods in urls:
        for method in methods:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/staff/login"), (method, url)


def test_admin_pages_refuse_responders(app, responder):
    for url in ("/staff/audit", "/staff/accounts", "/staff/tokens", "/staff/settings"):
        assert responder.get(url).status_code == 403
    token = csrf_token(responder, "/staff/")
    assert responder.post("/staff/tokens/1/revoke", data={"csrf_token": token}).status_code == 403


def test_sign_in_and_out(client, staff_accounts):
    assert client.get("/staff/").status_code == 302
    response = sign_in(client, staff_accounts["responder"])
    assert response.headers["Location"] == "/staff/"
    assert "Dashboard" in text(client.get("/staff/"))
    out = form_post(client, "/staff/", "/staff/logout", {})
    assert out.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_wrong_password_is_refused_without_saying_which(client, staff_accounts):
    response = sign_in(client, staff_accounts["admin"], "wrong password!")
    assert response.status_code == 401
    assert "Wrong email or password." in text(response)
    unknown = sign_in(client, "nobody@example.com")
    assert unknown.status_code == 401
    assert "Wrong email or password." in text(unknown)


def test_sign_in_is_throttled_after_five_failures(client, staff_accounts):
    for _ in range(5):
        assert sign_in(client, staff_accounts["admin"], "wrong password!").status_code == 401
    response = sign_in(client, staff_accounts["admin"])  # even the right password waits
    assert response.status_code == 429
    assert "Too many failed sign-ins" in text(response)


def test_sign_in_throttle_ends_after_15_minutes(client, clock, staff_accounts):
    for _ in range(5):
        sign_in(client, staff_accounts["admin"], "wrong password!")
    clock.now += timedelta(minutes=16)
    assert sign_in(client, staff_accounts["admin"]).status_code == 302


def test_deactivated_account_loses_its_session(app, admin, client, data, staff_accounts):
    other = app.test_client()
    assert sign_in(other, staff_accounts["responder"]).status_code == 302
    with data() as session:
        user_id = session.execute(
            db.select(StaffUser.id).where(StaffUser.email == staff_accounts["responder"])
        ).scalar()
    response = form_post(admin, "/staff/accounts", f"/staff/accounts/{user_id}/deactivate", {})
    assert response.status_code == 302
    assert other.get("/staff/").status_code == 302  # signed out
    assert sign_in(other, staff_accounts["responder"]).status_code == 401


def test_forms_without_csrf_token_are_refused(responder, components):
    response = responder.post("/staff/incidents/new", data={"name": "x", "body": "y"})
    assert response.status_code == 400


# -- the incident lifecycle --------------------------------------------------------------------


def test_open_from_a_template_prefills_the_form(responder, components):
    html = text(responder.get("/staff/incidents/new?template=livedns-resolution"))
    assert 'value="Erreurs de résolution LiveDNS"' in html
    assert "serveurs de noms LiveDNS" in html
    select = html.split(f'name="component_{components["livedns"].id}"')[1].split("</select>")[0]
    assert re.search(r'<option selected value="major_outage">', select)
    assert re.search(r'<option selected value="critical">', html)


def test_preview_renders_markdown_without_saving(responder, components, data):
    data_ = {
        "name_en": "x",
        "impact": "minor",
        "status": "investigating",
        "body_en": "**bold** <script>x()</script>",
        "preview": "1",
    }
    response = form_post(responder, "/staff/incidents/new", "/staff/incidents/new", data_)
    assert response.status_code == 200
    assert "<strong>bold</strong>" in text(response)
    assert "<script>x()" not in text(response)
    with data() as session:
        assert session.execute(db.select(db.func.count(Incident.id))).scalar() == 0


def test_invalid_incident_form_keeps_what_was_typed(responder, components):
    response = form_post(
        responder,
        "/staff/incidents/new",
        "/staff/incidents/new",
        {
            "name_en": "",
            "impact": "minor",
            "status": "investigating",
            "body_en": "Typed text",
            "submit": "1",
        },
    )
    assert response.status_code == 422
    assert "Typed text" in text(response)
    assert 'class="error"' in text(response)


def test_incident_in_the_future_is_refused(responder, components, clock):
    later = (clock.now + timedelta(days=1)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    response = form_post(
        responder,
        "/staff/incidents/new",
        "/staff/incidents/new",
        {
            "name_en": "x",
            "impact": "minor",
            "status": "investigating",
            "body_en": "y",
            "started_at": later,
            "submit": "1",
        },
    )
    assert response.status_code == 422
    assert "cannot start in the future" in text(response)


def test_full_lifecycle_and_the_public_page_follows(responder, client, components, clock, data):
    started = (clock.now - timedelta(minutes=20)).astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
    incident_id = open_incident(responder, components, started_at=started)
    public = text(client.get(f"/incidents/{incident_id}?lang=en"))
    assert "Mail delays" in public
    assert "Incoming mail is <strong>delayed</strong>." in public
    home = text(client.get("/?lang=en"))
    assert "Minor Service Outage" in home

    page = f"/staff/incidents/{incident_id}"
    response = form_post(
        responder,
        page,
        f"{page}/updates",
        {
            "status": "identified",
            "body_en": "A spam wave slows our filters.",
            f"component_{components['smtp-in'].id}": "partial_outage",
            "notify": "y",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    response = form_post(
        responder,
        page,
        f"{page}/updates",
        {"status": "monitoring", "body_en": "Queues are draining.", "submit": "1"},
    )
    assert response.status_code == 302
    assert "Partial System Outage" in text(client.get("/?lang=en"))

    response = form_post(
        responder, page, f"{page}/resolve", {"resolve-body_en": "All mail delivered."}
    )
    assert response.status_code == 302, text(response)
    home = text(client.get("/?lang=en"))
    assert "All Systems Operational" in home
    public = text(client.get(f"/incidents/{incident_id}?lang=en"))
    assert public.index("All mail delivered.") < public.index("Queues are draining.")
    with data() as session:
        incident = session.get(Incident, incident_id)
        assert incident.status is st.IncidentStatus.RESOLVED
        assert incident.resolved_at == clock.now
        assert incident.started_at == clock.now - timedelta(minutes=20)
        resolution = max(incident.updates, key=lambda u: (u.display_at, u.position))
        assert {(c.component.key, c.new_status) for c in resolution.changes} == {
            ("smtp-in", st.ComponentStatus.OPERATIONAL)
        }
        actions = [
            e.action
            for e in session.execute(
                db.select(AuditEntry)
                .where(AuditEntry.target_id == incident_id)
                .order_by(AuditEntry.id)
            ).scalars()
        ]
    assert actions == ["incident.open", "incident.update", "incident.update", "incident.update"]


def test_updating_a_resolved_incident_needs_reopening(responder, components, client):
    incident_id = open_incident(responder, components)
    page = f"/staff/incidents/{incident_id}"
    form_post(responder, page, f"{page}/resolve", {"resolve-body_en": "Fixed."})
    response = form_post(
        responder,
        page,
        f"{page}/updates",
        {"status": "investigating", "body_en": "Again?", "submit": "1"},
    )
    assert response.status_code == 409
    assert "reopen it" in text(response)
    response = form_post(
        responder,
        page,
        f"{page}/reopen",
        {"reopen-status": "investigating", "reopen-body_en": "The problem is back."},
    )
    assert response.status_code == 302
    assert "The problem is back." in text(client.get(f"/incidents/{incident_id}"))
    response = form_post(responder, page, f"{page}/resolve", {"resolve-body_en": ""})
    assert response.status_code == 422  # the resolution message is required


def test_postmortem_is_published_on_the_incident_page(responder, components, client):
    incident_id = open_incident(responder, components)
    page = f"/staff/incidents/{incident_id}"
    form_post(responder, page, f"{page}/resolve", {"resolve-body_en": "Fixed."})
    response = form_post(
        responder,
        page,
        f"{page}/postmortem",
        {
            "postmortem-body_en": "## What happened\nA filter **overloaded**.",
            "postmortem-publish": "y",
        },
    )
    assert response.status_code == 302
    public = text(client.get(f"/incidents/{incident_id}?lang=en"))
    assert "A filter <strong>overloaded</strong>." in public
    assert "Postmortem" in public


def test_edit_an_update_keeps_the_old_text_in_the_audit_log(responder, admin, components, data):
    incident_id = open_incident(responder, components)
    with data() as session:
        update_id = session.execute(
            db.select(IncidentUpdate.id).where(IncidentUpdate.incident_id == incident_id)
        ).scalar()
    url = f"/staff/updates/{update_id}/edit"
    response = form_post(responder, url, url, {"body_en": "Incoming mail is delayed (fixed typo)."})
    assert response.status_code == 302
    log = text(admin.get("/staff/audit"))
    assert "update.edit" in log
    assert "Incoming mail is **delayed**." in log
    assert "fixed typo" in log


def test_share_panel_texts_fit_280_characters_in_both_languages(responder, components, client):
    incident_id = open_incident(
        responder, components, name_en="Retards de réception des emails " * 7
    )
    html = text(responder.get(f"/staff/incidents/{incident_id}"))
    for lang, label in (("en", "[Investigating]"), ("fr", "[En cours d&#39;analyse]")):
        share = re.search(
            rf'<textarea readonly rows="3" lang="{lang}"[^>]*>([^<]*)</textarea>', html
        )
        assert share, lang
        content = share.group(1).replace("&#39;", "'")
        assert len(content) <= 280
        assert content.startswith(label.replace("&#39;", "'"))
        assert content.endswith(f"https://status.example.test/i/{incident_id}")
    assert f"https://status.example.test/incidents/{incident_id}#update-" in html
    redirect = client.get(f"/i/{incident_id}")
    assert redirect.status_code == 301
    assert redirect.headers["Location"].endswith(f"/incidents/{incident_id}")


def test_incident_pages_carry_open_graph_and_twitter_cards(responder, components, client):
    incident_id = open_incident(responder, components)
    html = text(client.get(f"/incidents/{incident_id}?lang=en"))
    assert '<meta property="og:title" content="Investigating: Mail delays">' in html
    assert '<meta property="og:description" content="Incoming mail is delayed.">' in html
    assert (
        f'<meta property="og:url" content="https://status.example.test/incidents/{incident_id}">'
    ) in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html


# -- maintenance -------------------------------------------------------------------------------


def schedule(client, components, clock, hours_from_now=2, length=2):
    start = clock.now + timedelta(hours=hours_from_now)
    response = form_post(
        client,
        "/staff/maintenances/new",
        "/staff/maintenances/new",
        {
            "name_en": "Storage migration",
            "scheduled_for": start.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
            "scheduled_until": (start + timedelta(hours=length))
            .astimezone(PARIS)
            .strftime("%Y-%m-%dT%H:%M"),
            "body_en": "File systems are read-only for 10 minutes.",
            f"component_{components['web-hosting-luxembourg'].id}": "under_maintenance",
            "submit": "1",
        },
    )
    assert response.status_code == 302, text(response)
    return response.headers["Location"].rsplit("/", 1)[1], start


def test_maintenance_turns_in_progress_and_completed_by_itself(
    responder, client, components, clock
):
    maintenance_id, start = schedule(responder, components, clock)
    assert "Storage migration" in text(client.get("/?lang=en")).split('id="upcoming-heading"')[1]
    clock.now = start + timedelta(minutes=5)
    assert "Service Under Maintenance" in text(client.get("/?lang=en"))
    assert "In progress" in text(responder.get(f"/staff/incidents/{maintenance_id}"))
    clock.now = start + timedelta(hours=3)
    assert "All Systems Operational" in text(client.get("/?lang=en"))
    assert "Completed" in text(client.get(f"/incidents/{maintenance_id}?lang=en"))


def test_maintenance_started_extended_and_completed_by_hand(
    responder, client, components, clock, data
):
    maintenance_id, start = schedule(responder, components, clock)
    page = f"/staff/incidents/{maintenance_id}"
    response = form_post(
        responder,
        page,
        f"{page}/updates",
        {"status": "in_progress", "body_en": "Starting early.", "submit": "1"},
    )
    assert response.status_code == 302
    assert "Service Under Maintenance" in text(client.get("/?lang=en"))
    new_end = start + timedelta(hours=4)
    response = form_post(
        responder,
        page,
        f"{page}/extend",
        {
            "extend-until": new_end.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
            "extend-body_en": "Taking longer.",
        },
    )
    assert response.status_code == 302
    clock.now = start + timedelta(hours=3)
    assert "Service Under Maintenance" in text(client.get("/?lang=en"))
    response = form_post(responder, page, f"{page}/resolve", {"resolve-body_en": "Done."})
    assert response.status_code == 302
    assert "All Systems Operational" in text(client.get("/?lang=en"))
    with data() as session:
        maintenance = session.get(Incident, maintenance_id)
        assert maintenance.started_at == start - timedelta(hours=2)  # when it was started
        assert maintenance.scheduled_until == new_end
        assert maintenance.resolved_at == clock.now


def test_maintenance_window_must_end_after_it_starts(responder, components, clock):
    start = clock.now + timedelta(hours=2)
    response = form_post(
        responder,
        "/staff/maintenances/new",
        "/staff/maintenances/new",
        {
            "name_en": "Backwards",
            "scheduled_for": start.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M"),
            "scheduled_until": (start - timedelta(hours=1))
            .astimezone(PARIS)
            .strftime("%Y-%m-%dT%H:%M"),
            "body_en": "x",
            "submit": "1",
        },
    )
    assert response.status_code == 422
    assert "must end after it starts" in text(response)


# -- Backlog Killer ----------------------------------------------------------------------------


def test_backlog_killer_follows_major_incidents_and_hides_the_chat(admin, client, components):
    response = form_post(
        admin,
        "/staff/settings",
        "/staff/settings",
        {
            "chat_snippet": '<script src="https://chat.example.com/widget.js"></script>',
            "overdue_minutes": "30",
            "backlog_trigger": ["major", "critical"],
        },
    )
    assert response.status_code == 302
    assert "chat.example.com/widget.js" in text(client.get("/"))
    minor = open_incident(admin, components, impact="minor")
    assert "chat.example.com/widget.js" in text(client.get("/"))
    major = open_incident(admin, components, name="Web down", impact="major")
    assert "chat.example.com/widget.js" not in text(client.get("/"))
    dashboard = text(admin.get("/staff/"))
    assert "On: the live chat is hidden" in dashboard
    page = f"/staff/incidents/{major}"
    form_post(admin, page, f"{page}/resolve", {"resolve-body_en": "Fixed."})
    assert "chat.example.com/widget.js" in text(client.get("/"))
    assert "Off: the live chat is shown." in text(admin.get("/staff/"))
    # forced on, even with only a minor incident
    form_post(admin, "/staff/", "/staff/backlog-killer", {"mode": "on"})
    assert "chat.example.com/widget.js" not in text(client.get("/"))
    form_post(admin, "/staff/", "/staff/backlog-killer", {"mode": "auto"})
    assert "chat.example.com/widget.js" in text(client.get("/"))
    del minor
    history = text(admin.get("/staff/")).split('id="backlog-heading"')[1]
    assert history.count("<li>") == 4  # on (auto), off (auto), on (forced), off (auto)


def test_dashboard_flags_incidents_without_recent_update(responder, components, clock):
    open_incident(responder, components)
    assert "Overdue" not in text(responder.get("/staff/"))
    clock.now += timedelta(minutes=31)
    assert "Overdue: no update for more than 30 minutes" in text(responder.get("/staff/"))


# -- admin -------------------------------------------------------------------------------------


def test_admin_creates_accounts_and_tokens(admin, client):
    response = form_post(
        admin,
        "/staff/accounts",
        "/staff/accounts",
        {"email": "new@example.com", "role": "responder"},
    )
    html = text(response)
    assert response.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', html).group(1)
    other = client.application.test_client()
    assert sign_in(other, "new@example.com", password).status_code == 302
    response = form_post(admin, "/staff/tokens", "/staff/tokens", {"name": "bot", "role": "admin"})
    secret = re.search(r'<code class="secret">([^<]+)</code>', text(response)).group(1)
    api = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


def test_audit_log_lists_staff_actions_for_admins(admin, components):
    open_incident(admin, components)
    log = text(admin.get("/staff/audit"))
    assert "incident.open" in log
    assert "admin@example.com" in log
    assert "staff.sign_in" in log


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_console_pages_render_in_both_languages(admin, components, lang):
    incident_id = open_incident(admin, components)
    for url in (
        "/staff/",
        "/staff/incidents",
        f"/staff/incidents/{incident_id}",
        "/staff/incidents/new",
        "/staff/maintenances/new",
        "/staff/audit",
        "/staff/accounts",
        "/staff/tokens",
        "/staff/settings",
    ):
        response = admin.get(f"{url}?lang={lang}")
        assert response.status_code == 200, url
        assert f'<html lang="{lang}">' in text(response)


def test_unknown_incident_in_the_console_is_404(responder):
    assert responder.get("/staff/incidents/aaaaaaaaaaaa").status_code == 404
    assert responder.get("/staff/updates/aaaaaaaaaaaa/edit").status_code == 404


def test_password_is_never_stored_in_clear(data, staff_accounts):
    with data() as session:
        user = session.execute(db.select(StaffUser)).scalars().first()
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")
