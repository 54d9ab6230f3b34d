"""Every route of the URL map, as anonymous, responder and admin, and every POST without its
CSRF token. A new route fails here until it is classified."""

import re

from werkzeug.routing import IntegerConverter

from statuspage.extensions import db
from statuspage.models import AuditEntry

from .conftest import csrf_token, sign_in

#: Routes anyone may call: the public site, the public APIs, the customer's own links.
PUBLIC = {
    "static",
    "public.index",
    "public.about",
    "public.history",
    "public.incident",
    "public.component",
    "public.shortlink",
    "public.card",
    "site.style",
    "site.logo",
    "badges.site",
    "badges.component",
    "badges.embed",
    "badges.embed_script",
    "feeds.site",
    "feeds.component",
    "feeds.incident",
    "contact.form",
    "contact.affected",
    "contact.request_page",
    "contact.request_action",
    "subscriptions.subscribe",
    "subscriptions.confirm",
    "subscriptions.manage",
    "subscriptions.unsubscribe",
    "api.openapi",
    "api.create_request",
    "api.match_request",
    "staff.login",
}
#: POSTs that need no CSRF token: bearer-token APIs, and RFC 8058 one-click unsubscribe.
CSRF_EXEMPT_PREFIXES = ("/api/",)
CSRF_EXEMPT = {"subscriptions.unsubscribe"}


def routes(app, values):
    """(endpoint, url, methods, view) for every rule, its arguments filled with `values`."""
    for rule in app.url_map.iter_rules():
        args = {}
        for name in rule.arguments:
            converter = rule._converters.get(name)
            if isinstance(converter, IntegerConverter):
                args[name] = "1"
            else:
                args[name] = values.get(name, "aaaaaaaaaaaa")
        choices = re.findall(r"<any\(([^)]*)\):(\w+)>", rule.rule)
        for options, name in choices:
            args[name] = options.split(",")[0].strip(" '")
        url = rule.rule
        for name, value in args.items():
            url = re.sub(rf"<[^>]*\b{name}>", value, url)
        view = app.view_functions[rule.endpoint]
        yield rule.endpoint, url, sorted(rule.methods - {"HEAD", "OPTIONS"}), view


def test_every_route_is_public_staff_or_behind_a_token(app):
    unclassified = [
        endpoint
        for endpoint, url, _methods, view in routes(app, {})
        if endpoint not in PUBLIC
        and not endpoint.startswith("api_v2.")  # the public Statuspage v2 API, read-only
        and not url.startswith("/staff/")
        and not hasattr(view, "required_role")
    ]
    assert unclassified == []


def test_every_console_route_sends_strangers_to_sign_in(app, client, livedns, components):
    """Anonymous, every console route and method ends at the sign-in page and shows nothing."""
    values = {"incident_id": livedns, "component_id": components["dns"].id}
    checked = 0
    for endpoint, url, methods, _view in routes(app, values):
        if not url.startswith("/staff") or endpoint in PUBLIC:
            continue
        for method in methods:
            response = client.open(url, method=method, data={})
            if method == "GET":
                assert response.status_code == 302, (url, response.status_code)
            else:  # a POST without its token is refused before anything else
                assert response.status_code in (302, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/staff/login" in response.headers["Location"], (method, url)
            checked += 1
    assert checked >= 30


def test_every_api_endpoint_refuses_calls_without_a_token(app, client):
    checked = 0
    for _endpoint, url, methods, view in routes(app, {}):
        if not hasattr(view, "required_role"):
            continue
        for method in methods:
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, url)
            assert response.get_json()["error"]["code"] == "unauthorized"
            checked += 1
    assert checked >= 12


def test_admin_routes_refuse_responders_and_responder_tokens(app, client, responder, tokens):
    token = csrf_token(responder, "/staff/")
    checked = 0
    for _endpoint, url, methods, view in routes(app, {}):
        if getattr(view, "admin_only", False):
            for method in methods:
                response = responder.open(url, method=method, data={"csrf_token": token})
                assert response.status_code == 403, (method, url)
                checked += 1
        if str(getattr(view, "required_role", "")) == "admin":
            for method in methods:
                response = client.open(
                    url,
                    method=method,
                    json={},
                    headers={"Authorization": f"Bearer {tokens['responder']}"},
                )
                assert response.status_code == 403, (method, url)
                checked += 1
    assert checked >= 15


def test_every_form_post_without_its_csrf_token_is_refused_and_changes_nothing(
    app, data, staff_accounts, livedns, components
):
    values = {"incident_id": livedns, "component_id": components["dns"].id}
    admin = app.test_client()
    sign_in(admin, staff_accounts["admin"])
    with data() as session:
        before = session.execute(db.select(db.func.count(AuditEntry.id))).scalar()
    checked = 0
    for endpoint, url, methods, _view in routes(app, values):
        if "POST" not in methods or url.startswith(CSRF_EXEMPT_PREFIXES):
            continue
        if endpoint in CSRF_EXEMPT:
            continue
        response = admin.post(url, data={"email": "x@example.com", "body": "x", "name": "x"})
        assert response.status_code == 400, url
        checked += 1
    assert checked >= 25
    with data() as session:
        assert session.execute(db.select(db.func.count(AuditEntry.id))).scalar() == before


def test_no_get_route_answers_500_to_anyone(app, client, data, staff_accounts, livedns, components):
    values = {
        "incident_id": livedns,
        "component_id": components["dns"].id,
        "filename": "style.css",
        "reference": "REQ-AAAAAA",
        "token": "x",
        "update_id": "1",
    }
    admin = app.test_client()
    sign_in(admin, staff_accounts["admin"])
    assert gets_never_500(app, values, (client, admin)) >= 80


def gets_never_500(app, values, clients) -> int:
    """Every GET route with `values`, by each client: never a 500; returns how many were tried."""
    checked = 0
    for _endpoint, url, methods, _view in routes(app, values):
        if "GET" not in methods:
            continue
        for who in clients:
            response = who.get(url)
            response.close()
            assert response.status_code < 500, url
            checked += 1
    return checked


STRANGE = ["%00", "é", "a" * 3000, "%F0%9F%98%80", "..%2F..%2Fetc", "%ED%A0%80", "1e9", " "]


def test_strange_path_values_answer_404_or_a_page_never_500(app, client, staff_accounts):
    admin = app.test_client()
    sign_in(admin, staff_accounts["admin"])
    checked = 0
    for value in STRANGE:
        values = dict.fromkeys(("incident_id", "component_id", "reference", "token"), value)
        values.update(update_id=value, filename=value)
        checked += gets_never_500(app, values, (client, admin))
    assert checked >= 500
