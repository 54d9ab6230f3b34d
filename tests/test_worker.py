"""`flask worker`: one loop for the background work, safe with several workers at once."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from aiosmtpd.controller import Controller
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.orm import Session

from statuspage.extensions import db, limiter
from statuspage.models import OutboxMessage, WebhookDelivery

from .conftest import PG_URL, Inbox
from .processes import answers, free_port, wait_until
from .test_cli import empty_url, fresh_app  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent


class SlowInbox(Inbox):
    """A real SMTP server that takes its time, so two workers overlap."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


class Refusing(Inbox):
    """Refuses one mailbox for good (550) and another for now (451)."""

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if address.startswith("gone@"):
            return "550 5.1.1 No such user"
        if address.startswith("full@"):
            return "451 4.2.2 Mailbox full, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp(app):
    servers = []

    def start(handler) -> str:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        return f"smtp://127.0.0.1:{port}"

    yield start
    for controller in servers:
        controller.stop()


def queue_mail(data, clock, recipients: list[str]) -> None:
    with data() as session:
        for number, recipient in enumerate(recipients):
            session.add(
                OutboxMessage(
                    created_at=clock.now,
                    kind="test",
                    recipient=recipient,
                    subject=f"Message {number}",
                    text_body="Hello.",
                    html_body="<p>Hello.</p>",
                    headers={},
                    next_attempt_at=clock.now,
                )
            )


def two_workers_once(settings: dict[str, str]) -> list[str]:
    """Two real `flask worker --once` processes at the same time, with these settings; what
    each printed."""
    env = {**os.environ, **settings}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    return outputs


def test_two_workers_never_send_a_mail_twice(app, data, clock, smtp, database_url, tmp_path):
    inbox = SlowInbox()
    url = smtp(inbox)
    queue_mail(data, clock, [f"customer{n}@example.com" for n in range(40)])
    outputs = two_workers_once(
        {
            "STATUSPAGE_DATABASE_URL": database_url,
            "STATUSPAGE_SECRET_KEY": "test-secret",
            "STATUSPAGE_SMTP_URL": url,
            "STATUSPAGE_SPOOL_DIR": str(tmp_path / "spool"),
        }
    )
    subjects = collections.Counter(message["Subject"] for message in inbox.messages)
    assert len(subjects) == 40
    assert set(subjects.values()) == {1}, subjects.most_common(3)  # each mail once
    sent = [int(output.split("sent ")[1].split(",")[0]) for output in outputs]
    assert sum(sent) == 40
    assert min(sent) > 0, sent  # both worked at the same time, on different mail
    with data() as session:
        rows = session.execute(db.select(OutboxMessage)).scalars().all()
        assert {row.status for row in rows} == {"sent"}
        assert {row.claimed_by for row in rows} == {None}


def test_acknowledgements_are_rendered_by_the_workers_and_sent_once(
    app, client, data, smtp, database_url, tmp_path
):
    """The intake queues a customer's acknowledgement without rendering it (nothing rendered
    while the customer waits); two workers at once render each as they send it, in the
    customer's language, with the private link the API answered, each exactly once."""
    inbox = SlowInbox()
    url = smtp(inbox)
    sent_to: dict[str, tuple[str, str, str]] = {}
    limiter.enabled = False  # ten requests from one address in a minute
    try:
        for number in range(10):
            lang = "fr" if number % 2 else "en"
            response = client.post(
                "/api/v1/requests",
                json={
                    "email": f"customer{number}@example.com",
                    "subject": "Webmail",
                    "message": "I cannot log in to webmail, it says server error at login.",
                    "lang": lang,
                },
            )
            assert response.status_code == 201, response.get_data(as_text=True)
            answer = response.get_json()
            sent_to[f"customer{number}@example.com"] = (answer["reference"], lang, answer["url"])
    finally:
        limiter.enabled = True
    with data() as session:
        queued = session.execute(db.select(OutboxMessage)).scalars().all()
        assert [(m.kind, m.subject, m.text_body) for m in queued] == [("ack", "", "")] * 10
    two_workers_once(
        {
            "STATUSPAGE_DATABASE_URL": database_url,
            "STATUSPAGE_SECRET_KEY": app.config["SECRET_KEY"],
            "STATUSPAGE_BASE_URL": app.config["BASE_URL"],
            "STATUSPAGE_SMTP_URL": url,
            "STATUSPAGE_SPOOL_DIR": str(tmp_path / "spool"),
        }
    )
    assert sorted(m["To"] for m in inbox.messages) == sorted(sent_to)  # each once
    for message in inbox.messages:
        reference, lang, link = sent_to[message["To"]]
        plain = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert message["Content-Language"] == lang
        if lang == "fr":
            assert message["Subject"] == f"[{reference}] Nous avons bien reçu votre demande"
            assert f"Nous avons bien reçu votre demande, référence {reference}." in plain
        else:
            assert message["Subject"] == f"[{reference}] We received your request"
            assert f"We received your request, reference {reference}." in plain
        assert link in plain
        assert f'href="{link.replace("&", "&amp;")}"' in html
    with data() as session:
        rows = session.execute(db.select(OutboxMessage)).scalars().all()
        assert {row.status for row in rows} == {"sent"}
        assert all(row.text_body and row.subject for row in rows)  # what was sent, kept


def test_a_permanent_smtp_error_is_not_retried(app, runner, data, clock, smtp):
    app.config["SMTP_URL"] = smtp(Refusing())
    queue_mail(data, clock, ["gone@example.com", "full@example.com", "ok@example.com"])
    assert "sent 1, failed 2" in runner.invoke(args=["worker", "--once"]).output
    with data() as session:
        rows = {row.recipient: row for row in session.execute(db.select(OutboxMessage)).scalars()}
        gone, full = rows["gone@example.com"], rows["full@example.com"]
        assert (gone.status, gone.attempts) == ("failed", 1)
        assert gone.last_error.startswith("permanent: ")
        assert "550" in gone.last_error
        assert (full.status, full.attempts) == ("pending", 1)
        assert full.next_attempt_at == clock.now + timedelta(minutes=1)
        assert rows["ok@example.com"].status == "sent"
    clock.now += timedelta(hours=2)
    assert "sent 0, failed 1" in runner.invoke(args=["worker", "--once"]).output  # only `full`


def test_a_worker_killed_mid_send_leaves_a_lease_that_runs_out(app, runner, data, clock, tmp_path):
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    queue_mail(data, clock, ["a@example.com"])
    with data() as session:
        message = session.execute(db.select(OutboxMessage)).scalar_one()
        message.claimed_by, message.claimed_until = (
            "dead-host:1:abc",
            clock.now + timedelta(minutes=5),
        )
    assert "sent 0, failed 0" in runner.invoke(args=["worker", "--once"]).output
    clock.now += timedelta(minutes=6)
    assert "sent 1, failed 0" in runner.invoke(args=["worker", "--once"]).output


def test_the_claims_migration_keeps_queued_mail(fresh_app):  # noqa: F811 - fixture
    """0006 adds the claim columns (nullable): mail queued before stays pending and claimable."""
    with fresh_app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO outbox_message (created_at, kind, recipient, subject, text_body, "
                    "html_body, headers, status, attempts, next_attempt_at, last_error) VALUES "
                    "('2026-03-10 12:00:00', 'ack', 'a@example.com', 'Hello', 'Hi', '<p>Hi</p>', "
                    "'{}', 'pending', 0, '2026-03-10 12:00:00', '')"
                )
            )
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            assert conn.execute(
                text("SELECT recipient, status, claimed_by, claimed_until FROM outbox_message")
            ).all() == [("a@example.com", "pending", None, None)]
        for table in ("outbox_message", "webhook_delivery"):
            columns = {c["name"] for c in db.inspect(db.engine).get_columns(table)}
            assert {"claimed_by", "claimed_until"} <= columns
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT recipient FROM outbox_message")).all() == [
                ("a@example.com",)
            ]
        columns = {c["name"] for c in db.inspect(db.engine).get_columns("outbox_message")}
        assert "claimed_by" not in columns


# -- maintenance windows turn in the timeline ------------------------------------------------


def test_a_maintenance_window_is_recorded_as_it_starts_and_ends(
    app, client, runner, data, clock, components, admin, tmp_path
):
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    from .conftest import new_maintenance
    from .test_notify import add_hook, confirm, outbox, receiver, subscribe  # noqa: F401

    subscribe(client)
    confirm(client, data)
    with data() as session:
        from statuspage.services.notifications import add_webhook

        add_webhook(session, "http://127.0.0.1:9/hook", actor="admin@example.com", now=clock.now)
    maintenance = new_maintenance(
        data,
        clock,
        components,
        name="Storage migration",
        component="web-hosting-luxembourg",
        starts_in=timedelta(hours=1),
        body="Read-only file systems for a few minutes.",
        hours=2,
    )
    before = client.get("/api/v2/status.json").json["page"]["updated_at"]
    start = clock.now + timedelta(hours=1)
    assert "maintenance transitions 0" in runner.invoke(args=["worker", "--once"]).output
    clock.now = start + timedelta(minutes=1)
    assert "maintenance transitions 1" in runner.invoke(args=["worker", "--once"]).output
    assert "maintenance transitions 0" in runner.invoke(args=["worker", "--once"]).output
    api = client.get("/api/v2/scheduled-maintenances.json").json["scheduled_maintenances"][0]
    assert api["status"] == "in_progress"
    assert [u["status"] for u in api["incident_updates"]] == ["in_progress", "scheduled"]
    assert api["incident_updates"][0]["display_at"].startswith("2026-03-10T13:00:00")
    assert client.get("/api/v2/status.json").json["page"]["updated_at"] != before
    clock.now = start + timedelta(hours=2, minutes=5)
    assert "maintenance transitions 1" in runner.invoke(args=["worker", "--once"]).output
    api = client.get("/api/v2/scheduled-maintenances.json").json["scheduled_maintenances"][0]
    assert [u["status"] for u in api["incident_updates"]] == [
        "completed",
        "in_progress",
        "scheduled",
    ]
    assert api["resolved_at"].startswith("2026-03-10T15:00:00")  # the window's end
    feed = feedparser.parse(client.get(f"/incidents/{maintenance}/history.atom").data)
    assert [e.title for e in feed.entries][:2] == [
        "[Completed] Storage migration",
        "[In progress] Storage migration",
    ]
    notices = [m.subject for m in outbox(data, "notify") if m.recipient == "sub@example.com"]
    assert len(notices) == 3  # scheduled, in progress, completed
    with data() as session:
        events = session.execute(db.select(WebhookDelivery.event)).scalars().all()
        assert events.count("incident") >= 3
    # the page's duration is the window, not the time since
    clock.now += timedelta(days=68)
    html = client.get(f"/incidents/{maintenance}?lang=en").get_data(as_text=True)
    assert "2 hours" in html
    assert "68 days" not in html


def webmail_upgrade_in_an_hour(data, clock, components) -> str:
    from .conftest import new_maintenance

    return new_maintenance(
        data,
        clock,
        components,
        name="Webmail upgrade",
        component="webmail",
        starts_in=timedelta(hours=1),
        body="Webmail upgrade.",
    )


def test_a_long_past_window_is_recorded_without_mail(
    app, client, runner, data, clock, components, tmp_path
):
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    """A worker that was stopped for days writes the timeline, and mails nobody about it."""
    from .test_notify import confirm, outbox, subscribe

    subscribe(client)
    confirm(client, data)
    maintenance = webmail_upgrade_in_an_hour(data, clock, components)
    sent_before = len(outbox(data, "notify"))
    clock.now += timedelta(days=3)
    html = client.get(f"/incidents/{maintenance}?lang=en").get_data(as_text=True)
    assert "1 hour" in html  # the window, even before the worker ran
    assert "maintenance transitions 2" in runner.invoke(args=["worker", "--once"]).output
    assert len(outbox(data, "notify")) == sent_before
    api = client.get("/api/v2/scheduled-maintenances.json").json["scheduled_maintenances"][0]
    assert api["status"] == "completed"
    assert api["resolved_at"].startswith("2026-03-10T14:00:00")


def test_a_maintenance_start_taken_by_another_worker_is_not_recorded_twice(
    data, clock, components, monkeypatch
):
    """Two workers found the window open at the same moment: the one whose claim comes second
    records nothing (the claim and the record are committed together, by the worker's round)."""
    from statuspage.models import Incident
    from statuspage.services import maintenance

    maintenance_id = webmail_upgrade_in_an_hour(data, clock, components)
    clock.now += timedelta(hours=1, minutes=1)
    claim = maintenance._claim

    def other_worker_first(session, incident, **where):  # once the open windows are read
        monkeypatch.setattr(maintenance, "_claim", claim)
        with Session(db.engine) as other:
            assert maintenance.turn(other, now=clock.now) == 1
            other.commit()
        return claim(session, incident, **where)

    monkeypatch.setattr(maintenance, "_claim", other_worker_first)
    with data() as session:
        assert maintenance.turn(session, now=clock.now) == 0
    with data() as session:
        updates = session.get(Incident, maintenance_id).updates
        assert sorted(u.status.value for u in updates) == ["in_progress", "scheduled"]


# -- make run ------------------------------------------------------------------------------------


@pytest.mark.skipif(bool(PG_URL), reason="make run serves SQLite: once per suite is enough")
def test_make_run_starts_the_worker_next_to_gunicorn_and_stops_both(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("STATUSPAGE_")}
    env.update(
        STATUSPAGE_DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        STATUSPAGE_SECRET_KEY="test-secret",
        STATUSPAGE_OUTBOX_DIR=str(tmp_path / "outbox"),
        STATUSPAGE_SPOOL_DIR=str(tmp_path / "spool"),
    )
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}", "WORKERS=1"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/api/v2/status.json"), seconds=120)
        with urllib.request.urlopen(f"{base}/history.atom") as response:
            feed = feedparser.parse(response.read())
        assert feed.feed.link.startswith(f"http://127.0.0.1:{port}/")  # links on PORT
        request = urllib.request.Request(
            f"{base}/api/v1/requests",
            data=json.dumps(
                {"email": "a@example.com", "subject": "Invoice", "message": "Where is it?"}
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
            assert json.loads(response.read())["url"].startswith(f"http://127.0.0.1:{port}/")
        # the worker runs: the acknowledgement leaves the outbox by itself
        wait_until(lambda: any((tmp_path / "outbox").glob("*.eml")), seconds=30)
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal
        make.wait(timeout=60)
        wait_until(lambda: not _group_alive(make.pid), seconds=30)  # gunicorn and the worker
    finally:
        if _group_alive(make.pid):
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
