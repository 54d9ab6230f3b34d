"""Requests that end in our queue reach the company's help desk: by mail through a real SMTP
server, and as signed JSON to a real HTTP receiver, once per request and event."""

import hashlib
import hmac
import json
from datetime import timedelta
from html import unescape

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from statuspage import create_app
from statuspage.extensions import db
from statuspage.models import HelpdeskHandoff, OutboxMessage, SupportRequest, WebhookDelivery
from statuspage.services import deflection

from .conftest import Inbox, csrf_token
from .processes import free_port
from .test_deflection import (
    SERVFAIL,
    answer,
    contact,
    reference_of,
    request_row,
    resolve,
    text,
    weak_request,
)
from .test_notify import receiver  # noqa: F401 - the fixture

DESK = "support@desk.example"
SECRET = "desk-secret"


@pytest.fixture
def desk(app, smtp_server):
    """The help desk by mail, behind a real SMTP server: its inbox, with the customers'."""
    app.config["HELPDESK_EMAIL"] = DESK
    return smtp_server


def desk_mail(inbox) -> list:
    return [m for m in inbox.messages if m["To"] == DESK]


def invoice(client, components, **extra):
    """A billing question while LiveDNS is down: nothing to propose."""
    response, _ = contact(
        client,
        name="Tom Martin, Jr.",
        service=components["payments"].id,
        domain="café-martin.fr",
        subject="Duplicate invoice",
        message="I was charged twice for my renewal last month, refund please.",
        **extra,
    )
    return reference_of(response)


def handoffs(data, reference) -> list[tuple[int, str]]:
    with data() as session:
        row = session.execute(
            db.select(SupportRequest).where(SupportRequest.reference == reference)
        ).scalar_one()
        return [(h.sequence, h.reason.value) for h in row.handoffs]


def deliver(runner) -> str:
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output


def test_an_unmatched_request_is_mailed_to_the_help_desk(
    admin, client, runner, data, livedns, components, desk
):
    reference, url = invoice(client, components)
    assert "sent 2, failed 0" in deliver(runner)  # the customer's acknowledgement, the desk's mail
    (mail,) = desk_mail(desk)
    assert mail["Subject"] == f"[{reference}] Duplicate invoice"
    assert mail["Reply-To"].addresses[0].addr_spec == "tom@example.com"
    assert mail["Reply-To"].addresses[0].display_name == "Tom Martin, Jr."
    assert mail["X-Statuspage-Reference"] == reference
    plain = mail.get_body(("plain",)).get_content()
    html = unescape(mail.get_body(("html",)).get_content())
    stored = request_row(data, reference)
    for body in (plain, html):
        assert "I was charged twice for my renewal last month, refund please." in body
        assert "Payments and invoices" in body
        assert "café-martin.fr" in body
        assert "xn--caf-martin-" in body
        assert "LiveDNS resolution errors" in body  # active when the request was written
        assert "No known incident matched the request." in body
        assert f"https://status.example.test/staff/requests/{stored.id}" in body
    assert "Proposed and declined" not in plain
    # once: the next rounds send nothing more
    assert "sent 0, failed 0" in deliver(runner)
    assert handoffs(data, reference) == [(1, "no_match")]
    console = text(admin.get(f"/staff/requests/{stored.id}"))
    assert "Handed off to the help desk at" in console
    assert f"mail to {DESK}: sent" in console
    # the customer is told, in their language
    assert "Passed to our support team" in text(client.get(url + "&lang=en"))
    assert "Transmise à notre équipe support" in text(client.get(url + "&lang=fr"))


def test_a_declined_proposal_goes_with_the_request(client, runner, data, livedns, desk):
    response, _ = contact(client, **SERVFAIL)
    reference, url = reference_of(response)
    deliver(runner)
    assert desk_mail(desk) == []  # proposed: the customer has not answered yet
    answer(client, url, "decline")
    deliver(runner)
    (mail,) = desk_mail(desk)
    plain = mail.get_body(("plain",)).get_content()
    assert "The customer said the proposed incident is not their problem." in plain
    declined = plain.split("Proposed and declined by the customer:")[1]
    assert declined.strip().startswith("- LiveDNS resolution errors (Investigating)")
    assert handoffs(data, reference) == [(1, "declined")]


def test_attached_requests_go_only_when_they_leave_with_their_history(
    client, runner, data, livedns, clock, desk
):
    response, _ = contact(client, **SERVFAIL)
    reference, url = reference_of(response)
    answer(client, url, "accept")
    clock.now += timedelta(minutes=20)
    resolve(data, livedns, clock)
    deliver(runner)
    assert desk_mail(desk) == []  # on the master ticket: the incident's business
    clock.now += timedelta(hours=1)
    answer(client, url, "still-broken", details="Still SERVFAIL for kestrel-analytics.io.")
    deliver(runner)
    (mail,) = desk_mail(desk)
    plain = mail.get_body(("plain",)).get_content()
    assert "Still broken for the customer after the resolution." in plain
    assert "Still SERVFAIL for kestrel-analytics.io." in plain
    assert "Left the master ticket of: LiveDNS resolution errors" in plain
    history = plain.split("History:")[1]
    lines = [line for line in history.splitlines() if line.startswith("- ")]
    assert [line.split(" · ")[1] for line in lines] == [
        "Received",
        "Proposed",
        "Attached",
        "Incident resolved",
        "Still broken, said the customer",
    ]
    assert handoffs(data, reference) == [(1, "still_broken")]


def test_each_way_out_of_a_master_ticket_is_its_own_handoff(
    admin, client, runner, data, livedns, desk
):
    response, _ = contact(client, **SERVFAIL)
    reference, url = reference_of(response)
    answer(client, url, "accept")
    answer(client, url, "different")  # "my problem is different", by the customer
    page = f"/staff/requests/{request_row(data, reference).id}"
    admin.post(f"{page}/attach", data={"csrf_token": csrf_token(admin, page), "incident": livedns})
    admin.post(f"{page}/detach", data={"csrf_token": csrf_token(admin, page)})
    assert handoffs(data, reference) == [(1, "detached"), (2, "detached_by_staff")]
    deliver(runner)
    assert len(desk_mail(desk)) == 2
    console = text(admin.get(page))
    assert console.count("Handed off to the help desk at") == 2


def test_a_low_band_proposal_left_unanswered_is_handed_off_once(
    app, client, runner, data, livedns, clock, components, desk
):
    app.config["MATCH_PROPOSAL_THRESHOLD"] = 0.01
    response, _ = contact(client, **weak_request(components))
    reference, _ = reference_of(response)
    clock.now += timedelta(minutes=31)
    for _ in range(3):  # the worker's rounds, again and again
        runner.invoke(args=["worker", "--once"])
    assert handoffs(data, reference) == [(1, "unanswered")]
    assert len(desk_mail(desk)) == 1


def test_two_workers_moving_the_same_request_hand_it_off_once(
    app, client, data, livedns, clock, components
):
    app.config["HELPDESK_EMAIL"] = DESK
    app.config["MATCH_PROPOSAL_THRESHOLD"] = 0.01
    response, _ = contact(client, **weak_request(components))
    reference, _ = reference_of(response)
    clock.now += timedelta(minutes=31)
    high = app.config["MATCH_HIGH_THRESHOLD"]
    with app.app_context():
        first, second = Session(db.engine), Session(db.engine)
        query = db.select(SupportRequest).where(SupportRequest.reference == reference)
        mine, theirs = first.execute(query).scalar_one(), second.execute(query).scalar_one()
        assert mine.state == theirs.state == deflection.S.PROPOSED  # both saw it waiting
        deflection.expire_proposal(first, mine, high, now=clock.now)
        first.commit()

        def the_other_worker():
            deflection.expire_proposal(second, theirs, high, now=clock.now)
            second.commit()

        with pytest.raises(StaleDataError):
            the_other_worker()
        second.rollback()
        first.close()
        second.close()
    assert handoffs(data, reference) == [(1, "unanswered")]
    with data() as session:
        mails = session.execute(
            db.select(OutboxMessage).where(OutboxMessage.kind == "helpdesk")
        ).scalars()
        assert len(list(mails)) == 1


def test_a_request_changed_at_the_same_moment_is_a_clear_409(client, data, livedns, monkeypatch):
    response, _ = contact(client, **SERVFAIL)
    reference, url = reference_of(response)

    def stale(*args, **kwargs):
        raise StaleDataError("support_request changed meanwhile")

    monkeypatch.setattr(deflection, "accept", stale)
    refused = answer(client, url, "accept")
    assert refused.status_code == 409
    assert "This request changed at the same moment." in text(refused)
    assert request_row(data, reference).state is deflection.S.PROPOSED


def test_without_a_help_desk_nothing_is_handed_off(client, runner, data, livedns, components):
    reference, url = invoice(client, components)
    assert handoffs(data, reference) == []
    assert "Passed to our support team" not in text(client.get(url))


def test_the_help_desk_mail_speaks_its_language(
    app, client, runner, data, livedns, components, desk
):
    app.config["HELPDESK_LANGUAGE"] = "fr"
    reference, _ = invoice(client, components, lang="en")
    deliver(runner)
    (mail,) = desk_mail(desk)
    plain = mail.get_body(("plain",)).get_content()
    assert "Référence\u00a0: " + reference in plain
    assert "Langue\u00a0: anglais" in plain
    assert "heure de Paris (C" in plain  # times in the page's zone, named in the desk's language
    assert "Aucun incident connu ne correspond à la demande." in plain
    assert mail["Content-Language"] == "fr"


def test_a_permanent_refusal_of_the_help_desk_is_not_retried(
    app, admin, client, runner, data, livedns, components, clock
):
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            if address == DESK:
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = Refusing()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}"
        app.config["HELPDESK_EMAIL"] = DESK
        reference, _ = invoice(client, components)
        assert "sent 1, failed 1" in deliver(runner)
        clock.now += timedelta(hours=2)
        assert "sent 0, failed 0" in deliver(runner)
    finally:
        controller.stop()
    with data() as session:
        mail = session.execute(
            db.select(OutboxMessage).where(OutboxMessage.kind == "helpdesk")
        ).scalar_one()
        assert (mail.status, mail.attempts) == ("failed", 1)
    page = f"/staff/requests/{request_row(data, reference).id}"
    assert f"mail to {DESK}: failed" in text(admin.get(page))


# -- the webhook -------------------------------------------------------------------------------


def test_the_help_desk_webhook_receives_the_same_signed(
    app,
    admin,
    client,
    runner,
    data,
    livedns,
    clock,
    components,
    receiver,  # noqa: F811 - the fixture imported above
):
    url, handler = receiver
    app.config["HELPDESK_WEBHOOK"] = url
    app.config["HELPDESK_WEBHOOK_SECRET"] = SECRET
    handler.fail_next = 1
    reference, _ = invoice(client, components)
    assert "webhooks sent 0, failed 1" in deliver(runner)
    clock.now += timedelta(minutes=1)
    assert "webhooks sent 1, failed 0" in deliver(runner)
    assert "webhooks sent 0, failed 0" in deliver(runner)
    ((headers, body),) = handler.received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Statuspage-Signature"] == expected
    assert headers["X-Statuspage-Event"] == "helpdesk.handoff"
    payload = json.loads(body)
    stored = request_row(data, reference)
    assert payload["handoff"]["id"] == f"{reference}/1"
    assert payload["handoff"]["reason"] == "no_match"
    request = payload["request"]
    assert request["customer"] == {"name": "Tom Martin, Jr.", "email": "tom@example.com"}
    assert request["message"] == "I was charged twice for my renewal last month, refund please."
    assert request["service"]["name"] == "Payments and invoices"
    assert (request["domain"], request["domain_ascii"]) == ("café-martin.fr", stored.domain)
    assert request["console_url"] == f"https://status.example.test/staff/requests/{stored.id}"
    assert [i["name"] for i in payload["incidents_active"]] == ["LiveDNS resolution errors"]
    assert payload["incidents_active"][0]["names"]["en"] == "LiveDNS resolution errors"
    assert payload["incidents_active"][0]["name_lang"] == "en"
    assert payload["declined_incidents"] == []
    assert [e["action"] for e in payload["history"]] == ["received", "queued"]
    assert "webhook: delivered" in text(admin.get(f"/staff/requests/{stored.id}"))


def test_the_help_desk_webhook_keeps_the_ssrf_protection(
    app,
    client,
    runner,
    data,
    livedns,
    components,
    receiver,  # noqa: F811 - the fixture imported above
):
    url, handler = receiver
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    app.config["HELPDESK_WEBHOOK"] = url  # a loopback address
    app.config["HELPDESK_WEBHOOK_SECRET"] = SECRET
    invoice(client, components)
    assert "webhooks sent 0, failed 1" in deliver(runner)
    assert handler.received == []
    with data() as session:
        delivery = session.execute(db.select(WebhookDelivery)).scalar_one()
        assert delivery.status == "failed"
        assert "refused target: private" in delivery.last_error
        handoff = session.execute(db.select(HelpdeskHandoff)).scalar_one()
        assert handoff.webhook_delivery_id == delivery.id
    # an in-house help desk on our network: its address alone may be private
    app.config["HELPDESK_WEBHOOK_ALLOW_PRIVATE"] = True
    invoice(client, components)
    assert "webhooks sent 1, failed 0" in deliver(runner)
    assert len(handler.received) == 1


def test_a_help_desk_webhook_needs_its_secret(tmp_path):
    with pytest.raises(ValueError, match="STATUSPAGE_HELPDESK_WEBHOOK_SECRET"):
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "SECRET_KEY": "k",
                "HELPDESK_WEBHOOK": "https://desk.example/hook",
            }
        )
    with pytest.raises(ValueError, match="STATUSPAGE_HELPDESK_EMAIL"):
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "SECRET_KEY": "k",
                "HELPDESK_EMAIL": "a@b.example, c@d.example",
            }
        )


def test_a_worker_that_loses_the_race_gives_way_and_goes_on(
    app, client, runner, data, livedns, components, monkeypatch, desk
):
    """Another worker moved a request first: this round's timers are not applied (the other
    worker did it), its mail still goes, and the worker keeps running."""
    invoice(client, components)

    def lost(session, now):
        raise StaleDataError("support_request changed meanwhile")

    monkeypatch.setattr(deflection, "run_timers", lost)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "timers: changed meanwhile by another worker" in result.output
    assert "sent 2, failed 0" in result.output
    assert len(desk_mail(desk)) == 1


def test_the_private_page_shows_a_request_the_worker_moves_at_the_same_moment(
    app, client, data, livedns, clock, components, monkeypatch
):
    """Looking at the page runs the proposal's timer too; when the worker wins that race, the
    page shows where the request stands, never an error."""
    app.config["MATCH_PROPOSAL_THRESHOLD"] = 0.01
    response, _ = contact(client, **weak_request(components))
    reference, url = reference_of(response)
    clock.now += timedelta(minutes=31)

    expire = deflection.expire_proposal

    def worker_first(session, request, high, *, now):
        with Session(db.engine) as other:  # the worker's transaction, committed first
            mine = other.get(SupportRequest, request.id)
            expire(other, mine, high, now=now)
            other.commit()
        expire(session, request, high, now=now)  # this one, on the row it read before

    monkeypatch.setattr(deflection, "expire_proposal", worker_first)
    page = client.get(url + "&lang=en")
    assert page.status_code == 200
    assert "In our support queue" in text(page)
    assert request_row(data, reference).state is deflection.S.QUEUED


def test_the_desk_reads_incident_titles_in_its_language(
    app, client, runner, data, components, desk, clock
):
    """A French customer, an English desk: the active incident's title in English."""
    from .test_bilingual import french_only

    french_only(data, clock, components)
    app.config["HELPDESK_LANGUAGE"] = "en"
    invoice(client, components, lang="fr")
    deliver(runner)
    (mail,) = desk_mail(desk)
    plain = mail.get_body(("plain",)).get_content()
    assert "Retards de réception des emails (in French only)" in plain
    app.config["HELPDESK_LANGUAGE"] = "fr"
    invoice(client, components, lang="en")
    deliver(runner)
    plain = desk_mail(desk)[-1].get_body(("plain",)).get_content()
    assert "Retards de réception des emails (En cours d'analyse" in plain  # no note


def test_a_line_break_in_a_customer_s_name_cannot_add_headers_or_stop_the_mail(
    client, runner, data, livedns, components, desk
):
    response, _ = contact(
        client,
        name="Tom\r\nBcc: attacker@example.net",
        service=components["payments"].id,
        subject="Duplicate invoice",
        message="I was charged twice for my renewal last month, refund please.",
    )
    reference_of(response)
    assert "failed 0" in deliver(runner)
    (mail,) = desk_mail(desk)
    assert mail["Bcc"] is None
    assert mail["Reply-To"].addresses[0].display_name == "Tom Bcc: attacker@example.net"
    assert all("attacker" not in to for to in (m["To"] for m in desk.messages))


def test_a_message_no_server_could_take_fails_alone_and_the_rest_goes(
    client, runner, data, livedns, components, desk, clock
):
    """Stored before headers were kept on one line: marked failed, never retried, not fatal."""
    with data() as session:
        session.add(
            OutboxMessage(
                created_at=clock.now,
                kind="helpdesk",
                recipient=DESK,
                subject="Broken",
                text_body="x",
                html_body="<p>x</p>",
                headers={"Reply-To": "Tom\nBcc: attacker@example.net <tom@example.com>"},
                next_attempt_at=clock.now,
            )
        )
        session.commit()
    invoice(client, components)
    output = deliver(runner)
    assert "sent 2, failed 1" in output  # the customer's acknowledgement and the desk's mail
    with data() as session:
        broken = session.execute(
            db.select(OutboxMessage).where(OutboxMessage.subject == "Broken")
        ).scalar_one()
        assert broken.status == "failed"
        assert broken.last_error.startswith("permanent: cannot build the message")
    assert "sent 0, failed 0" in deliver(runner)
