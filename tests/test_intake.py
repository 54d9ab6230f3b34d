"""Taking a customer request in (`services.intake`): the matcher reads the active incidents once
per data version, and still sees every change the moment it is committed."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Incident, OutboxMessage, SupportRequest
from statuspage.services import operations

from .conftest import new_incident, new_maintenance

WEBMAIL = {
    "subject": "Webmail",
    "message": "I cannot log in to webmail, it says server error at login.",
}


def submit(client, email: str, **fields):
    response = client.post(
        "/api/v1/requests", json={"email": email, "lang": "en", **WEBMAIL, **fields}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def match(client, **fields):
    response = client.post("/api/v1/requests/match", json={"lang": "en", **WEBMAIL, **fields})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@contextmanager
def statements(app):
    """The SQL statements and commits of the block, as the database receives them."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    def on_commit(conn):
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def webmail_outage(data, clock, components, *, started_at):
    """The critical Webmail incident most tests here match requests against."""
    return new_incident(
        data,
        clock,
        components,
        name="Webmail login failures",
        component="webmail",
        status="major_outage",
        impact=st.Impact.CRITICAL,
        body="Customers cannot sign in to webmail: server error at login.",
        started_at=started_at,
    )


def test_a_match_right_after_an_update_sees_its_new_text(app, client, data, clock, components):
    incident_id = new_incident(
        data,
        clock,
        components,
        name="Card payments declined",
        component="payments",
        status="major_outage",
        impact=st.Impact.MAJOR,
        body="Card payments fail at checkout with a 3-D Secure error.",
        started_at=clock.now - timedelta(minutes=5),
    )
    before = submit(client, "ana@example.com")
    assert before["proposal"] is None  # about webmail: nothing to do with card payments
    (first,) = match(client)["matches"]
    clock.now += timedelta(minutes=1)
    with data() as session:
        operations.add_update(
            session,
            session.get(Incident, incident_id),
            status=st.IncidentStatus.IDENTIFIED,
            body="Webmail logins fail too: a server error at login, for every mailbox.",
            components=None,
            actor="responder@example.com",
            now=clock.now,
        )
    (second,) = match(client)["matches"]
    assert second["score"] > first["score"] + 0.3  # the new words, read at once


def test_an_incident_opened_is_offered_to_the_next_request(app, client, data, clock, components):
    assert submit(client, "ana@example.com")["state"] == "queued"  # nothing active yet
    incident_id = webmail_outage(data, clock, components, started_at=clock.now)
    assert submit(client, "eve@example.com")["proposal"] == incident_id


def test_a_maintenance_window_opening_needs_no_change_of_the_data(
    app, client, data, clock, components
):
    """The active incidents are kept for a short window of time: a maintenance that starts
    by its schedule alone is offered once its window is open, not before."""
    maintenance_id = new_maintenance(
        data,
        clock,
        components,
        name="Webmail upgrade",
        component="webmail",
        starts_in=timedelta(minutes=30),
        body="Webmail is unavailable during its upgrade: login is refused.",
    )
    fields = {"service": components["webmail"].id}
    assert submit(client, "ana@example.com", **fields)["proposal"] is None  # not started yet
    clock.now += timedelta(minutes=31)
    assert submit(client, "eve@example.com", **fields)["proposal"] == maintenance_id
    clock.now += timedelta(hours=1)
    assert submit(client, "bob@example.com", **fields)["proposal"] is None  # over


def test_a_submission_is_one_transaction_that_reads_no_incident(
    app, client, data, clock, components
):
    """During an incident, the second request and every one after it is matched against the
    incidents already read, then written: the request, its events and its acknowledgement (the
    address's allowance counted in the same statement), one statement on PostgreSQL and three
    on SQLite, then one commit; nothing rendered (the worker renders the acknowledgement)."""
    incident_id = webmail_outage(
        data, clock, components, started_at=clock.now - timedelta(minutes=5)
    )
    app.config["RATELIMIT_ENABLED"] = False
    assert submit(client, "ana@example.com")["proposal"] == incident_id
    with statements(app) as seen:
        answer = submit(client, "eve@example.com", submission_key="k-eve")
    assert answer["proposal"] == incident_id
    assert seen.count("COMMIT") == 1
    reads = [s for s in seen if s.startswith("SELECT")]
    assert not [s for s in reads if " incident" in s or "component" in s], reads
    writing = [s for s in seen if "INSERT INTO" in s]
    writes = [table for s in writing for table in re.findall(r"INSERT INTO (\w+)", s)]
    assert sorted(writes) == ["outbox_message", "request_event", "support_request"]
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    assert len(writing) == (1 if postgresql else 3)
    assert not [s for s in seen if s.startswith("UPDATE")]
    with data() as session:
        stored = session.execute(
            db.select(SupportRequest).where(SupportRequest.email == "eve@example.com")
        ).scalar_one()
        assert stored.state.value == "proposed"
        assert stored.submission_key == "k-eve"
        assert [e.action for e in stored.events] == ["received", "proposed"]
        (ack,) = session.execute(
            db.select(OutboxMessage).where(OutboxMessage.request_id == stored.id)
        ).scalars()
        assert (ack.kind, ack.recipient, ack.status) == ("ack", "eve@example.com", "pending")
        assert ack.text_body == ""  # rendered by the worker as it sends it (test_worker)
    # the same form sent again: the same request, nothing written
    with statements(app) as seen:
        again = submit(client, "eve@example.com", submission_key="k-eve")
    assert again["reference"] == answer["reference"]
    with data() as session:
        count = db.select(db.func.count(SupportRequest.id))
        assert session.execute(count).scalar() == 2


def test_a_reference_drawn_twice_is_drawn_again(app, client, monkeypatch):
    """References are drawn at random and trusted to be new: the unique constraint catches the
    rare one that is not, and the request is stored under another."""
    from statuspage.domain import requests as rq

    first = submit(client, "ana@example.com")
    drawn = iter([first["reference"], first["reference"], "REQ-ZZZZZZ"])
    monkeypatch.setattr(rq, "new_reference", lambda: next(drawn))
    second = submit(client, "eve@example.com", submission_key="k-eve")
    assert second["reference"] == "REQ-ZZZZZZ"
    with app.app_context():
        rows = db.session.execute(db.select(SupportRequest.email, SupportRequest.reference))
        assert sorted(rows) == [
            ("ana@example.com", first["reference"]),
            ("eve@example.com", "REQ-ZZZZZZ"),
        ]


def test_a_fault_after_the_matcher_keeps_the_request_in_our_queue(app, client, monkeypatch):
    from statuspage.services import deflection

    def broken(*args, **kwargs):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(deflection, "apply_match", broken)
    answer = submit(client, "ana@example.com")
    assert answer["state"] == "queued"
    with app.app_context():
        stored = db.session.execute(db.select(SupportRequest)).scalar_one()
        assert stored.reference == answer["reference"]
        assert stored.message == WEBMAIL["message"]
        (ack,) = db.session.execute(db.select(OutboxMessage)).scalars()
        assert (ack.request_id, ack.kind) == (stored.id, "ack")
