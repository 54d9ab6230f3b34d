"""The outbox: mail written with the change that causes it, delivered by a worker over real SMTP."""

import email
import socket
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller

from statuspage.extensions import db
from statuspage.models import OutboxMessage

from .test_deflection import SERVFAIL, attached_request, contact, resolve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
    yield inbox
    controller.stop()


def test_mail_reaches_a_real_smtp_server_in_the_customer_language(
    client, runner, data, livedns, clock, smtp_server
):
    reference, _, _ = attached_request(client, data, livedns)
    resolve(data, livedns, clock)
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 2, failed 0" in result.output
    ack, resolved = smtp_server.messages
    assert ack["To"] == "tom@example.com"
    assert reference in ack["Subject"]
    assert resolved["Content-Language"] == "en"
    assert "is it fixed for you?" in resolved["Subject"]
    plain = resolved.get_body(("plain",)).get_content()
    html = resolved.get_body(("html",)).get_content()
    assert "All zones resolve again." in plain
    assert f"/requests/{reference}?t=" in plain
    assert "<a href=" in html
    with data() as session:
        statuses = {m.status for m in session.execute(db.select(OutboxMessage)).scalars()}
    assert statuses == {"sent"}
    again = runner.invoke(args=["outbox", "deliver"])
    assert "sent 0, failed 0" in again.output
    assert len(smtp_server.messages) == 2


def test_french_customers_get_french_mail(client, runner, data, livedns, smtp_server):
    contact(client, lang="fr", **SERVFAIL)
    runner.invoke(args=["outbox", "deliver"])
    (ack,) = smtp_server.messages
    assert "Nous avons bien reçu votre demande" in ack["Subject"]
    assert "Bonjour," in ack.get_body(("plain",)).get_content()


def test_a_down_smtp_server_is_retried_with_backoff(app, client, runner, data, livedns, clock):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    contact(client, **SERVFAIL)
    result = runner.invoke(args=["outbox", "deliver"])
    assert "sent 0, failed 1" in result.output
    with data() as session:
        (message,) = session.execute(db.select(OutboxMessage)).scalars()
        assert message.status == "pending"
        assert message.attempts == 1
        assert message.next_attempt_at == clock.now + timedelta(minutes=1)
        assert "ConnectionRefusedError" in message.last_error
    # not due yet: nothing tried
    assert "sent 0, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    inbox = Inbox()
    port = int(app.config["SMTP_URL"].rsplit(":", 1)[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.now += timedelta(minutes=2)
        assert "sent 1, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    finally:
        controller.stop()
    assert len(inbox.messages) == 1


def test_without_smtp_mail_is_written_as_eml_files(app, client, runner, data, livedns, tmp_path):
    app.config["SMTP_URL"] = ""
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    contact(client, **SERVFAIL)
    assert "sent 1" in runner.invoke(args=["outbox", "deliver"]).output
    (path,) = (tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "tom@example.com"
