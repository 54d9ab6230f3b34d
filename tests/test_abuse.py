"""Abuse a stranger could try: someone else's private link, a flood of mail to a victim's
address, changing a victim's subscription."""

import re

from statuspage.extensions import db
from statuspage.models import OutboxMessage, Subscriber, SupportRequest

from .conftest import csrf_token
from .test_notify import confirm, outbox, subscribe

VICTIM = "victim@example.com"


def api_request(client, email, message="My site is down since noon.", **extra):
    return client.post(
        "/api/v1/requests",
        json={"email": email, "subject": "Help", "message": message, "lang": "en", **extra},
    )


# -- submission keys ---------------------------------------------------------------------------


def test_a_reused_submission_key_never_returns_another_customers_link(client, data):
    first = api_request(client, "ana@example.com", submission_key="shared-key").get_json()
    other = api_request(client, "eve@example.com", submission_key="shared-key")
    assert other.status_code == 201
    assert other.get_json()["reference"] != first["reference"]
    assert other.get_json()["url"] != first["url"]
    # the same words from another address, and other words from the same address: new requests
    again = api_request(client, "ana@example.com", "Other words.", submission_key="shared-key")
    assert again.get_json()["reference"] != first["reference"]
    # the very same submission sent twice: one request
    same = api_request(client, "ANA@example.com ", submission_key="shared-key").get_json()
    assert same["reference"] == first["reference"]
    with data() as session:
        rows = session.execute(db.select(SupportRequest)).scalars().all()
        assert sorted(r.email for r in rows) == [
            "ana@example.com",
            "ana@example.com",
            "eve@example.com",
        ]


def test_the_form_key_reused_with_another_email_makes_a_request_of_its_own(client, data):
    page = client.get("/contact").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    locations = []
    for email in ("ana@example.com", "eve@example.com"):
        response = client.post(
            "/contact",
            data={
                "csrf_token": csrf_token(client, "/contact"),
                "submission_key": key,
                "email": email,
                "subject": "Help",
                "message": "Down.",
                "lang": "en",
            },
        )
        assert response.status_code == 302
        locations.append(response.headers["Location"])
    assert locations[0] != locations[1]


# -- mail bombing ------------------------------------------------------------------------------


def test_acknowledgements_to_one_address_are_limited_and_requests_all_kept(app, client, data):
    app.config["RATELIMIT_ENABLED"] = False
    for number in range(8):
        response = api_request(client, VICTIM, f"Request number {number}.")
        assert response.status_code == 201
    api_request(client, "someone.else@example.com")
    with data() as session:
        assert session.execute(db.select(db.func.count(SupportRequest.id))).scalar() == 9
    acks = [m.recipient for m in outbox(data, "ack")]
    assert acks.count(VICTIM) == app.config["MAIL_PER_ADDRESS_HOUR"] == 5
    assert acks.count("someone.else@example.com") == 1


def test_the_allowance_comes_back_after_an_hour(app, client, data, clock):
    from datetime import timedelta

    app.config["MAIL_PER_ADDRESS_HOUR"] = 1
    api_request(client, VICTIM, "one")
    api_request(client, VICTIM, "two")
    assert len(outbox(data, "ack")) == 1
    clock.now += timedelta(minutes=61)
    api_request(client, VICTIM, "three")
    assert len(outbox(data, "ack")) == 2


def test_subscription_confirmations_count_in_the_same_allowance(app, client, data):
    app.config["RATELIMIT_ENABLED"] = False
    for _ in range(4):
        api_request(client, VICTIM)
    for _ in range(4):
        assert subscribe(client, email=VICTIM).status_code == 200
    assert len([m for m in outbox(data) if m.recipient == VICTIM]) == 5


def test_affected_too_again_sends_no_new_acknowledgement(client, data, livedns):
    url = f"/incidents/{livedns}/affected"
    for _ in range(3):
        response = client.post(
            url, data={"csrf_token": csrf_token(client, url), "email": VICTIM, "lang": "en"}
        )
        assert response.status_code == 302
    assert len(outbox(data, "ack")) == 1


def test_the_acknowledgement_never_echoes_the_subject(client, data):
    api_request(
        client,
        VICTIM,
        "Call +33 1 23 45 67 89 now",
        subject="Your account is suspended, call +33 1 23 45 67 89",
    )
    (mail,) = outbox(data, "ack")
    for part in (mail.subject, mail.text_body, mail.html_body):
        assert "suspended" not in part
        assert "+33" not in part
    assert re.match(r"\[REQ-[0-9A-Z]{6}\] We received your request$", mail.subject)


# -- subscriptions -------------------------------------------------------------------------------


def test_resubscribing_a_confirmed_address_changes_nothing_without_its_owner(
    client, data, components
):
    subscribe(client, email=VICTIM, lang="en")
    assert confirm(client, data, email=VICTIM).status_code == 302
    stranger = client.application.test_client()
    assert subscribe(stranger, email=VICTIM, lang="fr", components=[components["dns"].id])
    with data() as session:
        subscriber = session.execute(db.select(Subscriber)).scalar_one()
        assert (subscriber.lang, subscriber.components) == ("en", None)
        assert subscriber.active
    # the owner receives a confirmation: only confirming it applies the change
    mails = [m for m in outbox(data, "subscribe") if m.recipient == VICTIM]
    assert len(mails) == 2
    path = re.search(
        r"https://status.example.test(/subscriptions/confirm/\S+)", mails[-1].text_body
    ).group(1)
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 302
    with data() as session:
        subscriber = session.execute(db.select(Subscriber)).scalar_one()
        assert (subscriber.lang, subscriber.components) == ("fr", [components["dns"].id])


def test_the_first_confirmation_link_keeps_the_first_choices(client, data, components):
    subscribe(client, email=VICTIM, lang="fr", components=[components["dns"].id])
    assert confirm(client, data, email=VICTIM).status_code == 302
    with data() as session:
        subscriber = session.execute(db.select(Subscriber)).scalar_one()
        assert (subscriber.lang, subscriber.components) == ("fr", [components["dns"].id])
        assert session.execute(db.select(db.func.count(OutboxMessage.id))).scalar() == 1
