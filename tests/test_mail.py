"""The outbox: mail written with the change that causes it, delivered by a worker over real SMTP."""

import email
import re
from datetime import timedelta
from email import policy
from html import unescape

from aiosmtpd.controller import Controller

from statuspage.domain.requests import RequestState
from statuspage.extensions import db
from statuspage.models import OutboxMessage

from .conftest import Inbox, csrf_token, open_livedns
from .processes import free_port
from .test_deflection import (
    SERVFAIL,
    answer,
    attached_request,
    contact,
    reference_of,
    request_row,
    resolve,
    text,
)


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


def test_customers_swept_onto_an_incident_are_told_and_choose(
    admin, client, runner, data, clock, components, smtp_server
):
    english, _ = contact(client, **SERVFAIL)
    english_ref, _ = reference_of(english)
    french, _ = contact(
        client.application.test_client(),
        email="lea@example.fr",
        lang="fr",
        subject="SERVFAIL sur nos zones",
        message="dig boulangerie-martin.fr renvoie SERVFAIL depuis vos serveurs de noms.",
        domain="boulangerie-martin.fr",
    )
    french_ref, _ = reference_of(french)
    assert request_row(data, english_ref).state is RequestState.QUEUED
    clock.now += timedelta(minutes=20)
    incident_id = open_livedns(
        data,
        clock,
        components,
        body="Queries return **SERVFAIL**.",
    )
    page = f"/staff/incidents/{incident_id}"
    chosen = [str(request_row(data, ref).id) for ref in (english_ref, french_ref)]
    swept = admin.post(
        f"{page}/sweep", data={"csrf_token": csrf_token(admin, page), "requests": chosen}
    )
    assert swept.status_code == 302
    assert "sent 4, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    told = {m["To"]: m for m in smtp_server.messages if "SERVFAIL" not in m["Subject"]}
    assert set(told) == {"tom@example.com", "lea@example.fr"}

    def links(message, yes, no):
        plain = message.get_body(("plain",)).get_content()
        html = unescape(message.get_body(("html",)).get_content())
        found = {
            answer: re.search(rf"{re.escape(label)}[ \u00a0]?: (\S+)", plain).group(1)
            for answer, label in (("yes", yes), ("no", no))
        }
        assert found["yes"] != found["no"]
        for link in found.values():
            assert f'href="{link}"' in html
        return {k: v.replace("https://status.example.test", "") for k, v in found.items()}

    mine = told["tom@example.com"]
    assert mine["Content-Language"] == "en"
    assert english_ref in mine["Subject"]
    assert "LiveDNS resolution errors" in mine["Subject"]
    assert "Queries return SERVFAIL." in mine.get_body(("plain",)).get_content()
    english_links = links(
        mine, "Yes, this is my problem: keep me informed", "No, my problem is different"
    )
    hers = told["lea@example.fr"]
    assert hers["Content-Language"] == "fr"
    assert "Bonjour," in hers.get_body(("plain",)).get_content()
    french_links = links(
        hers, "Oui, c'est mon problème\u00a0: tenez-moi informé", "Non, mon problème est différent"
    )

    # Following a link changes nothing; the button on the page does.
    yes_page = text(client.get(english_links["yes"]))
    assert request_row(data, english_ref).state is RequestState.ATTACHED
    assert "Our team attached your request to this incident: is this your problem?" in yes_page
    assert re.search(r"<button[^>]*autofocus>Yes, this is my problem", yes_page)
    assert answer(client, english_links["yes"], "confirm").status_code == 302
    confirmed = text(client.get(english_links["yes"]))
    assert "You confirmed it is your problem" in confirmed
    assert "is this your problem?" not in confirmed
    assert request_row(data, english_ref).state is RequestState.ATTACHED

    other = client.application.test_client()
    no_page = text(other.get(french_links["no"]))
    assert re.search(r"<button[^>]*autofocus>Non, mon problème est différent", unescape(no_page))
    assert request_row(data, french_ref).state is RequestState.ATTACHED
    answer(other, french_links["no"], "different")
    declined = request_row(data, french_ref)
    assert declined.state is RequestState.QUEUED
    assert declined.incident_id is None
    assert declined.declined_incident_id == incident_id
