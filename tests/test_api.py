"""The staff API, as chatops and monitoring would call it."""

import json
import re
from datetime import timedelta

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from statuspage.web.openapi import document

from .conftest import V2_INCIDENT_KEYS, V2_UPDATE_KEYS

#: Statuspage's v2 keys, and ours: both languages, the kind, keywords and the window.
INCIDENT_KEYS = V2_INCIDENT_KEYS | {
    "lang",
    "translations",
    "kind",
    "keywords",
    "scheduled_for",
    "scheduled_until",
}
UPDATE_KEYS = V2_UPDATE_KEYS | {"lang", "translations"}


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(client, tokens):
    """Calls the API with the responder token unless told otherwise."""

    def call(method, url, json=None, token="responder"):
        headers = bearer(tokens[token]) if token else {}
        return client.open(url, method=method, json=json, headers=headers)

    return call


def open_livedns(api, components, **extra):
    response = api(
        "POST",
        "/api/v1/incidents",
        {
            "name": "LiveDNS resolution errors",
            "status": "investigating",
            "impact": "critical",
            "body": "Queries return **SERVFAIL**.",
            "components": {components["livedns"].id: "major_outage"},
            "keywords": ["SERVFAIL"],
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_missing_wrong_or_revoked_tokens_get_401(api, client, tokens):
    assert api("GET", "/api/v1/incidents", token=None).status_code == 401
    wrong = client.get("/api/v1/incidents", headers=bearer("sp_not-a-token"))
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "unauthorized"
    basic = client.get("/api/v1/incidents", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    listed = api("GET", "/api/v1/tokens", token="admin").get_json()["tokens"]
    chatops = next(t for t in listed if t["name"] == "chatops")
    assert api("DELETE", f"/api/v1/tokens/{chatops['id']}", token="admin").status_code == 200
    assert api("GET", "/api/v1/incidents").status_code == 401


def test_responder_token_on_admin_endpoints_gets_403(api):
    for method, url in (
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/1"),
        ("GET", "/api/v1/audit"),
    ):
        response = api(method, url, {"name": "x"} if method == "POST" else None)
        assert response.status_code == 403, url
        assert response.get_json()["error"]["code"] == "forbidden"


def test_a_signed_in_console_session_does_not_open_the_api(responder):
    assert responder.get("/api/v1/incidents").status_code == 401


def test_create_incident_returns_the_statuspage_shape(api, client, components, clock):
    incident = open_livedns(api, components)
    assert set(incident) == INCIDENT_KEYS
    assert incident["status"] == "investigating"
    assert incident["impact"] == "critical"
    assert incident["shortlink"] == f"https://status.example.test/i/{incident['id']}"
    assert incident["created_at"] == "2026-03-10T12:00:00.000Z"
    assert incident["keywords"] == ["servfail"]
    (update,) = incident["incident_updates"]
    assert set(update) == UPDATE_KEYS
    assert update["affected_components"] == [
        {
            "code": components["livedns"].id,
            "name": "LiveDNS",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    (component,) = incident["components"]
    assert component["id"] == components["livedns"].id
    assert component["status"] == "major_outage"
    assert "Major Service Outage" in client.get("/?lang=en").get_data(as_text=True)


def test_follow_an_incident_to_resolution(api, components, clock):
    incident = open_livedns(api, components)
    url = f"/api/v1/incidents/{incident['id']}"
    response = api(
        "POST",
        f"{url}/updates",
        {
            "status": "monitoring",
            "body": "Rolled back.",
            "components": {components["livedns"].id: "degraded_performance"},
        },
    )
    assert response.status_code == 201
    assert response.get_json()["status"] == "monitoring"
    assert response.get_json()["monitoring_at"] == "2026-03-10T12:00:00.000Z"
    unresolved = api("GET", "/api/v1/incidents?status=unresolved").get_json()["incidents"]
    assert [i["id"] for i in unresolved] == [incident["id"]]
    clock.now += timedelta(minutes=30)
    response = api("POST", f"{url}/resolve", {"body": "All zones resolve."})
    assert response.status_code == 200
    resolved = response.get_json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] == "2026-03-10T12:30:00.000Z"
    assert resolved["components"][0]["status"] == "operational"
    statuses = [u["status"] for u in resolved["incident_updates"]]
    assert statuses == ["resolved", "monitoring", "investigating"]  # newest first
    assert api("GET", "/api/v1/incidents").get_json()["incidents"] == []
    assert len(api("GET", "/api/v1/incidents?status=all").get_json()["incidents"]) == 1


def test_backfilled_timeline_is_ordered_by_display_at(api, components, clock):
    incident = open_livedns(api, components, started_at="2026-03-10T08:00:00Z")
    url = f"/api/v1/incidents/{incident['id']}"
    api(
        "POST",
        f"{url}/updates",
        {"status": "monitoring", "body": "Fixed?", "display_at": "2026-03-10T09:30:00Z"},
    )
    api(
        "POST",
        f"{url}/updates",
        {"status": "identified", "body": "Cause found.", "display_at": "2026-03-10T08:45:00Z"},
    )
    done = api("POST", f"{url}/resolve", {"body": "Done.", "display_at": "2026-03-10T10:00:00Z"})
    data = done.get_json()
    assert [u["status"] for u in data["incident_updates"]] == [
        "resolved",
        "monitoring",
        "identified",
        "investigating",
    ]
    assert data["started_at"] == "2026-03-10T08:00:00.000Z"
    assert data["resolved_at"] == "2026-03-10T10:00:00.000Z"
    assert data["monitoring_at"] == "2026-03-10T09:30:00.000Z"


def test_maintenance_through_the_api(api, components, clock):
    response = api(
        "POST",
        "/api/v1/incidents",
        {
            "name": "Webmail upgrade",
            "kind": "maintenance",
            "body": "Short interruptions.",
            "scheduled_for": "2026-03-10T22:00:00Z",
            "scheduled_until": "2026-03-10T23:00:00Z",
            "components": {components["webmail"].id: "under_maintenance"},
        },
    )
    assert response.status_code == 201
    data = response.get_json()
    assert (data["status"], data["impact"]) == ("scheduled", "maintenance")
    assert data["scheduled_for"] == "2026-03-10T22:00:00.000Z"
    clock.now = clock.now.replace(hour=22, minute=30)
    assert api("GET", f"/api/v1/incidents/{data['id']}").get_json()["status"] == "in_progress"


def test_patch_name_impact_and_keywords(api, components):
    incident = open_livedns(api, components)
    response = api(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        {"name": "LiveDNS errors in Europe", "impact": "major", "keywords": [".fr", "paris"]},
    )
    assert response.status_code == 200
    data = response.get_json()
    assert (data["name"], data["impact"], data["keywords"]) == (
        "LiveDNS errors in Europe",
        "major",
        [".fr", "paris"],
    )
    refused = api("PATCH", f"/api/v1/incidents/{incident['id']}", {"status": "resolved"})
    assert refused.status_code == 422


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"body": "x"}, 422, "name"),
        ({"name": "x"}, 422, "body"),
        ({"name": "x", "body": "y", "impact": "catastrophic"}, 422, "impact"),
        (
            {"name": "x", "body": "y", "components": {"aaaaaaaaaaaa": "major_outage"}},
            422,
            "components",
        ),
        ({"name": "x", "body": "y", "components": ["livedns"]}, 422, "components"),
        ({"name": "x", "body": "y", "status": "resolved"}, 422, "status"),
        ({"name": "x", "body": "y", "started_at": "yesterday"}, 422, "started_at"),
        ({"name": "x", "body": "y", "kind": "maintenance"}, 422, "scheduled_for"),
        ({"name": "x" * 300, "body": "y"}, 422, "name"),
    ],
)
def test_invalid_input_gets_a_json_error_naming_the_field(api, body, status, field):
    response = api("POST", "/api/v1/incidents", body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["message"]


def test_malformed_json_is_400(client, tokens):
    response = client.post(
        "/api/v1/incidents",
        data="{not json",
        headers={**bearer(tokens["responder"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_updating_a_resolved_incident_is_a_409(api, components):
    incident = open_livedns(api, components)
    url = f"/api/v1/incidents/{incident['id']}"
    api("POST", f"{url}/resolve", {"body": "Fixed."})
    response = api("POST", f"{url}/updates", {"status": "identified", "body": "Again."})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "closed"
    assert api("POST", f"{url}/resolve", {"body": "Fixed."}).status_code == 409


def test_unknown_ids_and_paths_are_json_404s(api):
    for url in ("/api/v1/incidents/aaaaaaaaaaaa", "/api/v1/nothing-here"):
        response = api("GET", url)
        assert response.status_code == 404
        assert response.is_json
        assert response.get_json()["error"]["code"] == "not_found"
    assert api("PUT", "/api/v1/incidents").status_code == 405
    assert api("PUT", "/api/v1/incidents").is_json


def test_components_lists_groups_and_children(api, components):
    open_livedns(api, components)
    data = api("GET", "/api/v1/components").get_json()["components"]
    by_id = {c["id"]: c for c in data}
    dns = by_id[components["dns"].id]
    assert dns["group"] is True
    assert components["livedns"].id in dns["components"]
    assert dns["status"] == "major_outage"
    assert by_id[components["livedns"].id]["group_id"] == components["dns"].id


def test_admin_manages_tokens_and_reads_the_audit_log(api, client):
    created = api(
        "POST", "/api/v1/tokens", {"name": "monitoring", "role": "responder"}, token="admin"
    )
    assert created.status_code == 201
    secret = created.get_json()["token"]
    assert client.get("/api/v1/incidents", headers=bearer(secret)).status_code == 200
    entries = api("GET", "/api/v1/audit", token="admin").get_json()["entries"]
    assert entries[0]["action"] == "token.create"
    assert entries[0]["actor"] == "token:ops-admin"


def test_audit_log_records_api_actions_with_the_token_name(api, components):
    incident = open_livedns(api, components)
    entries = api("GET", "/api/v1/audit", token="admin").get_json()["entries"]
    opened = next(e for e in entries if e["action"] == "incident.open")
    assert opened["actor"] == "token:chatops"
    assert opened["target_id"] == incident["id"]
    assert opened["after"]["name"] == {"en": "LiveDNS resolution errors", "fr": ""}


# -- the OpenAPI document ----------------------------------------------------------------------


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = openapi_path(rule.rule)
        assert path in doc["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"][path], (method, path)


def validator(schema):
    """A JSON Schema 2020-12 validator resolving `#/components/...` in the OpenAPI document."""
    registry = Registry().with_resource("urn:doc", DRAFT202012.create_resource(document()))
    rooted = json.loads(json.dumps(schema).replace('"#/components/', '"urn:doc#/components/'))
    return jsonschema.Draft202012Validator(rooted, registry=registry)


def test_openapi_examples_validate_against_their_schemas():
    doc = document()
    checked = 0

    def validate(schema, example):
        nonlocal checked
        validator(schema).validate(example)
        checked += 1

    for path_item in doc["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                validate(body["schema"], body["example"])
            for response in operation.get("responses", {}).values():
                content = response.get("content", {}).get("application/json")
                if content and "example" in content:
                    validate(content["schema"], content["example"])
    assert checked >= 20


def test_real_responses_validate_against_the_document(api, components):
    incident = open_livedns(api, components)
    validator({"$ref": "#/components/schemas/Incident"}).validate(incident)
    error = api("POST", "/api/v1/incidents", {})
    validator({"$ref": "#/components/schemas/Error"}).validate(error.get_json())
    listed = api("GET", "/api/v1/components").get_json()
    validator(
        document()["paths"]["/components"]["get"]["responses"]["200"]["content"][
            "application/json"
        ]["schema"]
    ).validate(listed)
