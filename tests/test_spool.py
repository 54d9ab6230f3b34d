"""Nothing a customer sends is lost: when the database cannot take a request, it is written to
the local spool, acknowledged with its reference and private link, and the worker stores,
matches and mails it as soon as the database is back."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from statuspage.extensions import db
from statuspage.models import OutboxMessage, SupportRequest
from tests import outage
from tests.outage import database_gone, locked
from tests.processes import answers, free_port, wait_until
from tests.test_api import validator
from tests.test_deflection import SERVFAIL, contact, reference_of, text

RECEIVED_EN = "Received: we will check it against known incidents in a moment."
RECEIVED_FR = "Bien reçue\u00a0: nous la comparons aux incidents connus dans un instant."

# the app reaches PostgreSQL through a relay a test can cut (tests/outage.py)
proxy = outage.proxy
database_url = outage.database_url


@pytest.fixture
def spool_dir(app, tmp_path) -> Path:
    folder = tmp_path / "spool"
    app.config.update(
        SPOOL_DIR=str(folder),
        OUTBOX_DIR=str(tmp_path / "outbox"),
        INTAKE_TIMEOUT_MS=300,
        RATELIMIT_ENABLED=False,
    )
    return folder


def stored_requests(app) -> dict[str, SupportRequest]:
    with app.app_context():
        rows = db.session.execute(db.select(SupportRequest)).scalars().all()
        for row in rows:
            db.session.expunge(row)
        return {row.reference: row for row in rows}


def test_a_request_sent_while_the_database_is_locked_is_spooled_then_ingested(
    app, client, runner, livedns, spool_dir, database_url
):
    client.get("/contact")  # the form's catalogue, read while the database answered
    with locked(database_url):
        page = client.get("/contact")
        assert page.status_code == 200
        assert "LiveDNS" in text(page)  # the services are still offered
        response, fields = contact(client, **SERVFAIL)
        assert response.status_code == 302
        reference, link = reference_of(response)
        assert [p.name for p in spool_dir.iterdir()] == [f"{reference}.json"]
        # the private link works before the database is back
        waiting = client.get(link)
        assert waiting.status_code == 200
        assert RECEIVED_EN in text(waiting)
        assert reference in text(waiting)
        assert "SERVFAIL from your nameservers" in text(waiting)
        # the same form sent again is the same request
        again = client.post("/contact", data=fields)
        assert reference_of(again)[0] == reference
        # the API says it too, in the request's language, with 202
        api = client.post(
            "/api/v1/requests",
            json={
                "email": "lea@example.fr",
                "subject": "Mes domaines ne résolvent plus",
                "message": "SERVFAIL sur toutes nos zones depuis 13h50.",
                "lang": "fr",
            },
        )
        assert api.status_code == 202
        validator({"$ref": "#/components/schemas/SpooledRequest"}).validate(api.json)
        assert api.json["state"] == "received"
        assert api.json["message"] == RECEIVED_FR
        api_reference = api.json["reference"]
        french = client.get(
            api.json["url"].removeprefix("https://status.example.test") + "&lang=fr"
        )
        assert RECEIVED_FR in text(french)
        assert len(list(spool_dir.iterdir())) == 2
    assert stored_requests(app) == {}
    # the database is back: one round of the worker stores, matches and acknowledges them
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "ingested 2" in result.output
    assert list(spool_dir.iterdir()) == []
    rows = stored_requests(app)
    assert set(rows) == {reference, api_reference}
    assert rows[reference].proposed_incident_id == livedns  # matched as when it was sent
    assert rows[reference].message == fields["message"]
    assert rows[api_reference].lang == "fr"
    with app.app_context():
        acks = db.session.execute(
            db.select(OutboxMessage.recipient).where(OutboxMessage.kind == "ack")
        ).scalars()
        assert sorted(acks) == ["lea@example.fr", "tom@example.com"]
    # the same private link now shows the request as stored, with the proposal
    html = text(client.get(link))
    assert RECEIVED_EN not in html
    assert "LiveDNS resolution errors" in html
    # nothing left to do
    assert "ingested 0" in runner.invoke(args=["worker", "--once"]).output
    assert len(stored_requests(app)) == 2


def test_a_request_is_spooled_when_the_database_is_gone(
    app, client, runner, livedns, spool_dir, database_url, proxy, tmp_path
):
    client.get("/contact")
    client.get("/?lang=en")
    with database_gone(app, database_url, proxy):
        response, fields = contact(client, **SERVFAIL)
        assert response.status_code == 302
        reference, link = reference_of(response)
        assert RECEIVED_EN in text(client.get(link))
        assert re.fullmatch(r"REQ-[2-9A-Z]{6}", reference)
        assert (spool_dir / f"{reference}.json").exists()
        assert client.get("/?lang=en").status_code == 200


def test_a_spooled_file_already_stored_is_only_removed(
    app, client, runner, spool_dir, database_url
):
    """A worker killed between its commit and the removal of the file: no second request."""
    with locked(database_url):
        response, _ = contact(client, subject="Invoice", message="Where is my invoice?")
    reference, _ = reference_of(response)
    copy = (spool_dir / f"{reference}.json").read_bytes()
    assert "ingested 1" in runner.invoke(args=["worker", "--once"]).output
    (spool_dir / f"{reference}.json").write_bytes(copy)  # as if the removal never happened
    assert "ingested 0" in runner.invoke(args=["worker", "--once"]).output
    assert list(stored_requests(app)) == [reference]
    assert list(spool_dir.iterdir()) == []


def test_the_private_link_of_an_unknown_reference_is_still_a_404(client, spool_dir):
    from statuspage.links import token_for

    with client.application.app_context():
        token = token_for("REQ-ABCDEF")
    assert client.get(f"/requests/REQ-ABCDEF?t={token}").status_code == 404
    assert client.get("/requests/REQ-ABCDEF?t=0000").status_code == 404


# -- kill -9 at any point loses no acknowledged request ------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def _storm(base: str, acknowledged: list[str], stop: threading.Event, client_id: int) -> None:
    """One customer after another sends a request; keeps each reference it is given."""
    number = 0
    while not stop.is_set():
        number += 1
        body = json.dumps(
            {
                "email": f"c{client_id}-{number}@example.com",
                "subject": f"Request {client_id}-{number}",
                "message": "Our domains return SERVFAIL since a few minutes.",
                "lang": "en",
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/api/v1/requests",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status in (201, 202):
                    acknowledged.append(json.loads(response.read())["reference"])
        except (OSError, http.client.HTTPException, ValueError):
            # the server was killed before the answer was complete: never acknowledged
            return


def test_no_acknowledged_request_is_lost_when_processes_are_killed(
    app, tmp_path, database_url, spool_dir
):
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": database_url,
        "STATUSPAGE_SECRET_KEY": "test-secret",
        "STATUSPAGE_BASE_URL": "https://status.example.test",
        "STATUSPAGE_SPOOL_DIR": str(spool_dir),
        "STATUSPAGE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "STATUSPAGE_INTAKE_TIMEOUT_MS": "300",
        "STATUSPAGE_RATELIMIT_ENABLED": "0",
    }
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
        + ["--worker-class", "gthread", "--threads", "4", "wsgi:app"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    try:
        wait_until(lambda: answers(f"{base}/api/v2/status.json"))
        with locked(database_url):
            stop = threading.Event()
            clients = [
                threading.Thread(target=_storm, args=(base, acknowledged, stop, n))
                for n in range(8)
            ]
            for thread in clients:
                thread.start()
            wait_until(lambda: len(acknowledged) >= 40)
            os.killpg(server.pid, signal.SIGKILL)  # the web server, mid-way, with no warning
            server.wait()
            stop.set()
            for thread in clients:
                thread.join()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    spooled = len([p for p in spool_dir.iterdir() if p.suffix == ".json"])
    assert spooled >= len(acknowledged) >= 40
    # the worker starts ingesting and is killed mid-way too
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: len(list(spool_dir.glob("*.json"))) < spooled)
        worker.kill()
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    left = len(list(spool_dir.glob("*.json")))
    assert spooled - left > 0
    finish = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "ingested" in finish.stdout
    rows = stored_requests(app)
    assert set(acknowledged) <= set(rows)  # every acknowledged request is stored
    assert len(rows) == spooled  # each once: no request stored twice
    assert list(spool_dir.glob("*.json")) == []
    print(  # the figures for the report (pytest -s)
        f"acknowledged {len(acknowledged)}, spooled {spooled}, ingested before the worker's "
        f"kill {spooled - left}, stored {len(rows)}"
    )
    with app.app_context():
        acks = db.session.execute(
            db.select(OutboxMessage.request_id).where(OutboxMessage.kind == "ack")
        ).scalars()
        assert sorted(acks) == sorted(row.id for row in rows.values())  # each told once


def test_ingestion_waits_for_a_lock_only_so_long(
    app, client, runner, spool_dir, database_url, monkeypatch
):
    """A lock that is never released (a worker dead without the server noticing) does not hang
    the worker: the round gives up, the file stays, a later round stores it."""
    from statuspage.services import intake

    with locked(database_url):
        response, _ = contact(client, subject="Invoice", message="Where is my invoice?")
        reference, _ = reference_of(response)
        monkeypatch.setattr(intake, "INGEST_TIMEOUT_MS", 200)
        app.config["WORKER_STATEMENT_TIMEOUT_MS"] = 300  # the other steps meet the lock too
        result = runner.invoke(args=["worker", "--once"])
        assert "ingested 0" in result.output
        assert (spool_dir / f"{reference}.json").exists()
    assert "ingested 1" in runner.invoke(args=["worker", "--once"]).output
    assert list(stored_requests(app)) == [reference]
