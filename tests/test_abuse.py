"""Abuse a stranger could try: someone else's private link, a flood of mail to a victim's
address, changing a victim's subscription."""

import re

from statuspage.extensions import db
from statuspage.models import OutboxMessage, Subscriber, SupportRequest, Webhook, WebhookDelivery

from .conftest import PASSWORD, csrf_token, open_webmail
from .test_deflection import SERVFAIL, answer, contact
from .test_notify import add_hook, confirm, outbox, subscribe
from .test_notify import receiver as receiver_fixture  # noqa: F401 - the `receiver` fixture

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


def test_an_empty_submission_key_names_no_submission(client, data):
    """Found by Schemathesis: two API requests with `"submission_key": ""` collided (500)."""
    first = api_request(client, "ana@example.com", submission_key="")
    second = api_request(client, "eve@example.com", "Other words.", submission_key="")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["reference"] != second.get_json()["reference"]


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


def test_affected_too_never_hands_out_anothers_private_link(client, data, livedns):
    """Found in review: "I'm affected too" with the address of a customer whose request is
    attached redirected a stranger to that customer's private page."""
    response, _ = contact(
        client, **{**SERVFAIL, "email": VICTIM, "message": "My secret mailbox: hunter2"}
    )
    private = response.headers["Location"]
    answer(client, private, "accept")
    with data() as session:
        (row,) = session.execute(db.select(SupportRequest)).scalars()
        assert row.incident_id == livedns  # attached: what "I'm affected too" used to return
    stranger = client.application.test_client()
    url = f"/incidents/{livedns}/affected"
    reply = stranger.post(
        url, data={"csrf_token": csrf_token(stranger, url), "email": VICTIM, "lang": "en"}
    )
    assert reply.status_code == 302
    assert reply.headers["Location"] == url
    page = stranger.get(url).get_data(as_text=True)
    assert "hunter2" not in page
    assert private.split("?")[0] not in page
    # a new address gets the same answer: nobody learns who follows which incident
    other = stranger.post(
        url,
        data={"csrf_token": csrf_token(stranger, url), "email": "new@example.com", "lang": "en"},
    )
    assert other.headers["Location"] == url


def test_the_acknowledgement_never_echoes_the_subject(client, runner, smtp_server):
    api_request(
        client,
        VICTIM,
        "Call +33 1 23 45 67 89 now",
        subject="Your account is suspended, call +33 1 23 45 67 89",
    )
    assert "sent 1, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    (mail,) = smtp_server.messages
    parts = (mail["Subject"], *(mail.get_body((k,)).get_content() for k in ("plain", "html")))
    for part in parts:
        assert "suspended" not in part
        assert "+33" not in part
    assert re.match(r"\[REQ-[0-9A-Z]{6}\] We received your request$", mail["Subject"])


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


# -- webhooks --------------------------------------------------------------------------------------

REFUSED_URLS = {
    "http://exa mple.com/hook": "not a valid http or https address",
    "http://example.com/ho ok": "not a valid http or https address",
    "http://93.184.215.14:99999/": "not a valid http or https address",
    "ftp://93.184.215.14/": "not a valid http or https address",
    "javascript:alert(1)//93.184.215.14": "not a valid http or https address",
    "http://user:secret@93.184.215.14/": "No user name or password",
    "http://127.0.0.1:5432/": "private network",
    "http://localhost/": "private network",
    "http://10.1.2.3/": "private network",
    "http://192.168.0.1/": "private network",
    "http://169.254.169.254/latest/meta-data": "private network",
    "http://[::1]/": "private network",
    "http://[::ffff:127.0.0.1]/": "private network",
    "http://0.0.0.0/": "private network",
}


def test_webhook_urls_are_checked_strictly(admin, data):
    for url, message in REFUSED_URLS.items():
        response = admin.post(
            "/staff/webhooks",
            data={"csrf_token": csrf_token(admin, "/staff/webhooks"), "url": url},
        )
        assert response.status_code == 422, url
        assert message in response.get_data(as_text=True), url
    with data() as session:
        assert session.execute(db.select(db.func.count(Webhook.id))).scalar() == 0
    response = admin.post(
        "/staff/webhooks",
        data={"csrf_token": csrf_token(admin, "/staff/webhooks"), "url": "https://93.184.215.14/h"},
    )
    assert response.status_code == 200
    assert "Its signing secret" in response.get_data(as_text=True)


def test_one_bad_webhook_never_stops_the_worker(
    app,
    admin,
    runner,
    data,
    clock,
    components,
    receiver_fixture,  # noqa: F811 - the fixture
):
    url, handler = receiver_fixture
    add_hook(admin, url)
    with data() as session:  # registered before URLs were checked
        for bad in ("http://exa mple.com/hook", "nonsense", "http://[::1"):
            session.add(Webhook(url=bad, secret="s" * 64, created_at=clock.now))
    open_webmail(data, clock, components)
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "webhooks sent 2, failed 6" in result.output
    assert len(handler.received) == 2
    with data() as session:
        rows = session.execute(db.select(WebhookDelivery)).scalars().all()
        bad = [r for r in rows if r.webhook.url != url]
        assert {r.status for r in bad} == {"failed"}  # no retry: it will not get better
        assert all("refused target: syntax" in r.last_error for r in bad)


def test_pending_deliveries_of_a_removed_webhook_are_not_sent(
    admin,
    runner,
    data,
    clock,
    components,
    receiver_fixture,  # noqa: F811 - the fixture
):
    url, handler = receiver_fixture
    add_hook(admin, url)
    open_webmail(data, clock, components)
    with data() as session:
        hook_id = session.execute(db.select(Webhook.id)).scalar_one()
    response = admin.post(
        f"/staff/webhooks/{hook_id}/remove",
        data={"csrf_token": csrf_token(admin, "/staff/webhooks")},
    )
    assert response.status_code == 302
    assert "webhooks sent 0, failed 0" in runner.invoke(args=["outbox", "deliver"]).output
    assert handler.received == []
    with data() as session:
        statuses = {d.status for d in session.execute(db.select(WebhookDelivery)).scalars()}
        assert statuses == {"cancelled"}


def test_a_private_target_is_refused_again_at_delivery(
    app,
    admin,
    runner,
    data,
    clock,
    components,
    receiver_fixture,  # noqa: F811 - the fixture
):
    url, handler = receiver_fixture
    add_hook(admin, url)  # allowed while WEBHOOK_ALLOW_PRIVATE was on
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    open_webmail(data, clock, components)
    assert "webhooks sent 0, failed 2" in runner.invoke(args=["outbox", "deliver"]).output
    assert handler.received == []
    with data() as session:
        for delivery in session.execute(db.select(WebhookDelivery)).scalars():
            assert delivery.status == "failed"
            assert "refused target: private" in delivery.last_error


# -- faults and sessions ---------------------------------------------------------------------------


def test_a_request_left_received_is_recovered_into_the_queue(app, runner, data, clock, admin):
    from datetime import timedelta

    from statuspage.services import deflection

    with app.test_request_context():  # stored, then the process died before the matcher
        stored = deflection.store(
            db.session,
            deflection.RequestInput("ana@example.com", "", None, None, "Help", "Down.", "en"),
            now=clock.now,
        )
        db.session.commit()
        reference = stored.reference
    assert reference not in admin.get("/staff/tickets").get_data(as_text=True)
    clock.now += timedelta(minutes=6)
    assert runner.invoke(args=["outbox", "deliver"]).exit_code == 0
    with data() as session:
        row = session.execute(db.select(SupportRequest)).scalar_one()
        assert row.state.value == "queued"
        assert row.events[-1].detail == "not matched: recovered after an interruption"
    assert reference in admin.get("/staff/tickets").get_data(as_text=True)
    assert [m.recipient for m in outbox(data, "ack")] == ["ana@example.com"]


def test_a_sent_mail_keeps_no_old_error(app, runner, data, tmp_path):
    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    api_request(app.test_client(), "ana@example.com")
    with data() as session:
        session.execute(db.select(OutboxMessage)).scalar_one().last_error = "SMTP timeout"
    assert "sent 1" in runner.invoke(args=["outbox", "deliver"]).output
    (message,) = outbox(data)
    assert (message.status, message.last_error) == ("sent", "")


def test_sign_out_ends_the_session_on_the_server(app, admin):
    copied = app.test_client()
    for cookie in admin._cookies.values():
        copied.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    assert copied.get("/staff/").status_code == 200
    response = admin.post("/staff/logout", data={"csrf_token": csrf_token(admin, "/staff/")})
    assert response.status_code == 302
    assert copied.get("/staff/").status_code == 302  # the copy no longer opens the console
    assert admin.get("/staff/").status_code == 302


# -- sign-in throttle ------------------------------------------------------------------------------


def sign_in_from(app, address, email, password):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = csrf_token(client, "/staff/login")
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    )


def test_one_address_cannot_lock_a_staff_member_out(app, staff_accounts):
    admin_email = staff_accounts["admin"]
    # more attempts than the per-account limit, all from one address (found in review: the
    # refused ones still counted for the account, which then locked from everywhere)
    for _ in range(30):
        sign_in_from(app, "203.0.113.9", admin_email, "guess guess guess")
    assert sign_in_from(app, "203.0.113.9", admin_email, PASSWORD).status_code == 429
    # the attacker's address is throttled, for every account; the staff member is not
    assert (
        sign_in_from(app, "203.0.113.9", staff_accounts["responder"], PASSWORD).status_code == 429
    )
    assert sign_in_from(app, "198.51.100.7", admin_email, PASSWORD).status_code == 302


def test_an_account_guessed_from_many_addresses_is_throttled(app, staff_accounts):
    admin_email = staff_accounts["admin"]
    codes = [
        sign_in_from(app, f"203.0.113.{n}", admin_email, "guess guess guess").status_code
        for n in range(25)
    ]
    assert codes[:20] == [401] * 20
    assert set(codes[20:]) == {429}
    assert sign_in_from(app, "198.51.100.7", admin_email, PASSWORD).status_code == 429


def test_parallel_sign_in_attempts_check_no_more_passwords_than_the_limit(
    app, live_server, staff_accounts
):
    app.config["SESSION_COOKIE_SECURE"] = False  # the live server speaks plain http
    import http.cookiejar
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    def opener():
        jar = http.cookiejar.CookieJar()
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    clients = []
    for _ in range(40):
        browser = opener()
        page = browser.open(f"{live_server}/staff/login").read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        clients.append((browser, token))
    barrier = threading.Barrier(len(clients))
    codes = []

    def attempt(browser, token):
        body = urllib.parse.urlencode(
            {"email": staff_accounts["admin"], "password": "guess guess guess", "csrf_token": token}
        ).encode()
        barrier.wait()
        try:
            codes.append(browser.open(f"{live_server}/staff/login", body).status)
        except urllib.error.HTTPError as error:
            codes.append(error.code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(codes) == 40
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= 5  # passwords actually checked


# -- subscription links expire ------------------------------------------------------------------


def links_of(mail, kind):
    return re.search(rf"https://status.example.test(/subscriptions/{kind}/\S+)", mail).group(1)


def test_subscription_links_expire(client, data, clock, components):
    from datetime import timedelta

    subscribe(client, email=VICTIM)
    (mail,) = outbox(data, "subscribe")
    confirm_path = links_of(mail.text_body, "confirm")
    clock.now += timedelta(days=8)
    response = client.get(confirm_path)
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    client.get("/?lang=fr")
    assert "Ce lien a expiré" in client.get(confirm_path).get_data(as_text=True)


def test_manage_and_unsubscribe_links_work_for_a_while_then_expire(client, data, clock, components):
    from datetime import timedelta

    from .test_notify import open_webmail

    subscribe(client, email=VICTIM)
    confirm(client, data, email=VICTIM)
    open_webmail(data, clock, components)
    (notice,) = outbox(data, "notify")
    manage, unsubscribe = (
        links_of(notice.text_body, "manage"),
        links_of(notice.text_body, "unsubscribe"),
    )
    clock.now += timedelta(days=29)
    assert client.get(manage).status_code == 200
    clock.now += timedelta(days=2)
    assert client.get(manage).status_code == 410
    assert client.get(unsubscribe).status_code == 200
    clock.now += timedelta(days=366)
    assert client.post(unsubscribe).status_code == 410
    assert client.get("/subscriptions/manage/forged.token").status_code == 404


def test_one_address_gets_one_mail_per_update_however_many_requests_it_has(
    app, client, data, livedns, clock
):
    """Found in review: a stranger attaching ten requests in someone's name made every staff
    update send them ten mails."""
    from statuspage.domain import status as st
    from statuspage.models import Incident
    from statuspage.services.operations import add_update

    from .test_deflection import resolve

    app.config["RATELIMIT_ENABLED"] = False
    for n in range(4):
        response, _ = contact(client, **{**SERVFAIL, "email": VICTIM, "message": f"Down ({n})"})
        answer(client, response.headers["Location"], "accept")
    with data() as session:
        rows = session.execute(db.select(SupportRequest)).scalars().all()
        assert [r.incident_id for r in rows] == [livedns] * 4
        add_update(
            session,
            session.get(Incident, livedns),
            status=st.IncidentStatus.MONITORING,
            body="Fix deployed.",
            components=None,
            actor="ops",
            now=clock.now,
        )
    resolve(data, livedns, clock)
    assert len(outbox(data, "update")) == 1
    assert len(outbox(data, "resolved")) == 1


def test_behind_trusted_proxies_each_client_counts_for_itself(
    app, database_url, clock, staff_accounts
):
    """Behind nginx or a load balancer every connection comes from the proxy: with
    STATUSPAGE_TRUSTED_PROXIES the throttle and the limits count the client X-Forwarded-For
    names; without it, the header is not believed (anyone can send it)."""
    from statuspage import create_app

    admin_email = staff_accounts["admin"]

    def attempt(application, forwarded, password):
        client = application.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the proxy
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
        token = csrf_token(client, "/staff/login")
        return client.post(
            "/staff/login", data={"email": admin_email, "password": password, "csrf_token": token}
        ).status_code

    behind = create_app(
        {**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "BASE_URL", "CLOCK")},
         "DATABASE_URL": database_url, "TRUSTED_PROXIES": 1}
    )  # fmt: skip
    try:
        for _ in range(6):
            attempt(behind, "203.0.113.9", "wrong")
        assert attempt(behind, "203.0.113.9", PASSWORD) == 429
        assert attempt(behind, "198.51.100.7", PASSWORD) == 302  # another client behind it
    finally:
        with behind.app_context():
            db.engine.dispose()  # its connections would hold the next test's schema reset
    # the fixture's app trusts no proxy: X-Forwarded-For changes nothing, the peer is throttled
    for _ in range(6):
        attempt(app, "192.0.2.1", "wrong")
    assert attempt(app, "192.0.2.99", PASSWORD) == 429
