"""Subscribers by email and webhooks follow an incident from opening to resolution."""

import hashlib
import hmac
import json
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy.orm import Session

from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Incident, OutboxMessage, Subscriber, WebhookDelivery
from statuspage.services import notifications
from statuspage.services.operations import resolve

from .conftest import csrf_token, new_maintenance, open_webmail, quiet_then_fixed


def subscribe(client, email="sub@example.com", lang="en", components=None):
    data = {"csrf_token": csrf_token(client, "/subscribe"), "email": email, "lang": lang}
    if components:
        data["components"] = components
    else:
        data["everything"] = "y"
    return client.post("/subscribe", data=data)


def outbox(data, kind=None):
    with data() as session:
        query = db.select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        rows = session.execute(query).scalars().all()
        for row in rows:
            session.expunge(row)
        return rows


def confirm(client, data, email="sub@example.com"):
    (mail,) = [m for m in outbox(data, "subscribe") if m.recipient == email]
    link = re.search(r"https://status.example.test(/subscriptions/confirm/\S+)", mail.text_body)
    path = link.group(1)
    page = client.get(path)
    assert page.status_code == 200
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def test_double_opt_in(client, data, clock, components):
    response = subscribe(client)
    assert response.status_code == 200
    assert "Check your mailbox" in response.get_data(as_text=True)
    open_webmail(data, clock, components)
    assert outbox(data, "notify") == []  # not confirmed yet: nothing sent
    confirmed = confirm(client, data)
    assert confirmed.status_code == 302
    with data() as session:
        assert session.execute(db.select(Subscriber)).scalar_one().active


def test_subscribers_follow_an_incident_to_resolution(client, data, clock, components):
    subscribe(client, lang="fr")
    confirm(client, data)
    incident_id = open_webmail(data, clock, components)
    with data() as session:
        incident = session.get(Incident, incident_id)
        quiet_then_fixed(session, incident, clock.now, quiet="Quiet note.")
        resolve(session, incident, "All good.", actor="ops", now=clock.now)
    mails = outbox(data, "notify")
    assert [m.subject.split("\u00a0: ")[0] for m in mails] == [  # French: a no-break space
        "[Example Status] En cours d'analyse",
        "[Example Status] Sous surveillance",
        "[Example Status] Résolu",
    ]
    last = mails[-1]
    assert last.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.match(
        r"<https://status.example.test(/subscriptions/unsubscribe/\S+)>",
        last.headers["List-Unsubscribe"],
    ).group(1)
    # RFC 8058: the mail client POSTs, with no form token and no cookie
    fresh = client.application.test_client()
    answer = fresh.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    with data() as session:
        assert not session.execute(db.select(Subscriber)).scalar_one().active
    open_webmail(data, clock, components)
    assert len(outbox(data, "notify")) == 3  # nothing more


def test_subscribers_choose_their_services(client, data, clock, components):
    subscribe(client, email="dns@example.com", components=[components["dns"].id])
    confirm(client, data, "dns@example.com")
    subscribe(client, email="mail@example.com", components=[components["webmail"].id])
    confirm(client, data, "mail@example.com")
    open_webmail(data, clock, components)
    assert [m.recipient for m in outbox(data, "notify")] == ["mail@example.com"]


def test_preferences_by_signed_link(client, data, clock, components):
    subscribe(client)
    manage = confirm(client, data).headers["Location"]
    path = manage.replace("https://status.example.test", "")
    page = client.get(path)
    assert page.status_code == 200
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "lang": "fr",
            "components": [components["livedns"].id],
        },
    )
    assert response.status_code == 302
    with data() as session:
        subscriber = session.execute(db.select(Subscriber)).scalar_one()
        assert subscriber.lang == "fr"
        assert subscriber.components == [components["livedns"].id]
    assert client.get(path[:-4] + "XXXX").status_code == 404  # a tampered token


def webmail_upgrade_in_three_days(client, data, clock, components):
    """A confirmed subscriber, and a maintenance of the webmail announced three days ahead."""
    subscribe(client)
    confirm(client, data)
    new_maintenance(
        data,
        clock,
        components,
        name="Webmail upgrade",
        component="webmail",
        starts_in=timedelta(days=3),
        body="Short interruptions.",
    )


def test_maintenance_reminder_the_day_before(client, data, clock, components):
    webmail_upgrade_in_three_days(client, data, clock, components)
    assert len(outbox(data, "notify")) == 1  # the announcement
    with data() as session:
        assert notifications.send_reminders(session, now=clock.now) == 0
    clock.now += timedelta(days=2, hours=1)
    with data() as session:
        assert notifications.send_reminders(session, now=clock.now) == 1
    with data() as session:
        assert notifications.send_reminders(session, now=clock.now) == 0
    (reminder,) = outbox(data, "reminder")
    assert "Reminder" in reminder.subject


def test_two_workers_remind_of_a_maintenance_once(client, data, clock, components, monkeypatch):
    """A second worker that found the maintenance due while the first one was reminding of it
    sends no second reminder."""
    webmail_upgrade_in_three_days(client, data, clock, components)
    clock.now += timedelta(days=2, hours=1)
    effective_status = st.effective_status

    def other_worker_first(facts, now):  # called once the due maintenances are read
        monkeypatch.setattr(st, "effective_status", effective_status)
        with Session(db.engine) as other:
            assert notifications.send_reminders(other, now=now) == 1
            other.commit()
        return effective_status(facts, now)

    monkeypatch.setattr(st, "effective_status", other_worker_first)
    with data() as session:
        assert notifications.send_reminders(session, now=clock.now) == 0
    assert len(outbox(data, "reminder")) == 1


# -- webhooks --------------------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    received: list = []
    fail_next = 0

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/moved":  # a receiver sending us elsewhere (a 307 keeps the POST)
            self.send_response(307)
            self.send_header("Location", "/hook")
            self.end_headers()
            return
        if Receiver.fail_next:
            Receiver.fail_next -= 1
            self.send_response(503)
            self.end_headers()
            return
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(app):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on loopback
    Receiver.received = []
    Receiver.fail_next = 0
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Receiver
    server.shutdown()
    server.server_close()
    thread.join()


def add_hook(admin, url):
    response = admin.post(
        "/staff/webhooks", data={"csrf_token": csrf_token(admin, "/staff/webhooks"), "url": url}
    )
    assert response.status_code == 200
    return re.search(
        r'<code class="secret">([0-9a-f]+)</code>', response.get_data(as_text=True)
    ).group(1)


def test_a_webhook_redirect_is_never_followed(admin, runner, data, clock, components, receiver):
    """Its target was never checked: a redirect could lead to a loopback or private address."""
    url, handler = receiver
    add_hook(admin, url.replace("/hook", "/moved"))
    open_webmail(data, clock, components)
    result = runner.invoke(args=["outbox", "deliver"])
    assert "webhooks sent 0" in result.output
    assert handler.received == []
    with data() as session:
        codes = {d.response_code for d in session.execute(db.select(WebhookDelivery)).scalars()}
    assert codes == {307}


def test_a_webhook_receiver_follows_an_incident(admin, runner, data, clock, components, receiver):
    url, handler = receiver
    secret = add_hook(admin, url)
    incident_id = open_webmail(data, clock, components)
    with data() as session:
        resolve(session, session.get(Incident, incident_id), "Fixed.", actor="ops", now=clock.now)
    result = runner.invoke(args=["outbox", "deliver"])
    assert "webhooks sent 4, failed 0" in result.output
    bodies = []
    for headers, body in handler.received:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Statuspage-Signature"] == expected
        bodies.append(json.loads(body))
    incidents = [b for b in bodies if "incident" in b]
    components_ = [b for b in bodies if "component_update" in b]
    assert [b["incident"]["status"] for b in incidents] == ["investigating", "resolved"]
    for body in bodies:
        assert set(body["meta"]) == {"unsubscribe", "documentation", "generated_at"}
        assert set(body["page"]) == {"id", "status_indicator", "status_description"}
    assert incidents[0]["page"]["status_indicator"] == "critical"  # a major outage
    assert incidents[1]["page"]["status_indicator"] == "none"
    assert [
        (c["component_update"]["old_status"], c["component_update"]["new_status"])
        for c in components_
    ] == [("operational", "major_outage"), ("major_outage", "operational")]
    assert components_[0]["component"]["name"] == "Webmail"
    log = admin.get("/staff/webhooks").get_data(as_text=True)
    assert log.count("delivered") == 4


def test_webhooks_are_retried_with_backoff(admin, runner, data, clock, components, receiver):
    url, handler = receiver
    add_hook(admin, url)
    handler.fail_next = 1
    open_webmail(data, clock, components)
    assert "webhooks sent 1, failed 1" in runner.invoke(args=["outbox", "deliver"]).output
    with data() as session:
        failed = session.execute(
            db.select(WebhookDelivery).where(WebhookDelivery.status == "pending")
        ).scalar_one()
        assert failed.response_code == 503
        assert failed.next_attempt_at == clock.now + timedelta(minutes=1)
    assert "webhooks sent 0, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    clock.now += timedelta(minutes=1)
    assert "webhooks sent 1, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    assert len(handler.received) == 2


def test_only_admins_manage_webhooks(responder):
    assert responder.get("/staff/webhooks").status_code == 403
