"""The paths of the OpenAPI document: each endpoint of `/api/v1/`, its parameters and answers."""

from __future__ import annotations

from typing import Any

from statuspage.web.openapi.examples import EXAMPLE_COMPONENT, EXAMPLE_INCIDENT, EXAMPLE_TOKEN
from statuspage.web.openapi.schemas import ID, LANG_PARAM, ref


def _error_responses(*codes: int) -> dict[str, Any]:
    texts = {
        400: "The body is not a JSON object",
        429: "Too many calls from this address: wait a minute",
        401: "No token, or an unknown or revoked one",
        403: "The endpoint needs an admin token",
        404: "Not found",
        409: "The lifecycle refuses this change (e.g. updating a resolved incident)",
        422: "A field is missing or wrong; `field` names it",
    }
    examples = {
        401: {"error": {"code": "unauthorized", "message": "unknown or revoked token"}},
        409: {
            "error": {
                "code": "closed",
                "field": "status",
                "message": "this incident is resolved: reopen it before updating it",
            }
        },
        422: {"error": {"code": "missing_field", "message": "'name' is required", "field": "name"}},
    }
    result = {}
    for code in codes:
        content: dict[str, Any] = {"schema": ref("Error")}
        if code in examples:
            content["example"] = examples[code]
        result[str(code)] = {"description": texts[code], "content": {"application/json": content}}
    return result


def _json_body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": ref(schema), "example": example}},
    }


def _ok(description: str, schema: dict[str, Any], example: Any, code: str = "200"):
    return {
        code: {
            "description": description,
            "content": {"application/json": {"schema": schema, "example": example}},
        }
    }


def _incident_id_param() -> list[dict[str, Any]]:
    return [{"name": "incident_id", "in": "path", "required": True, "schema": ID}]


def paths() -> dict[str, Any]:
    incident = ref("Incident")
    return {
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI document"}},
            }
        },
        "/components": {
            "get": {
                "summary": "Components and groups with their current status",
                "responses": {
                    **_ok(
                        "Components",
                        {
                            "type": "object",
                            "required": ["components"],
                            "properties": {
                                "components": {"type": "array", "items": ref("Component")}
                            },
                        },
                        {"components": [EXAMPLE_COMPONENT]},
                    ),
                    **_error_responses(401),
                },
            }
        },
        "/incidents": {
            "get": {
                "summary": "Incidents and maintenances, newest first",
                "parameters": [
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {
                            "type": "string",
                            "enum": ["unresolved", "all"],
                            "default": "unresolved",
                        },
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": 100,
                            "default": 50,
                        },
                    },
                    LANG_PARAM,
                ],
                "responses": {
                    **_ok(
                        "Incidents",
                        {
                            "type": "object",
                            "required": ["incidents"],
                            "properties": {"incidents": {"type": "array", "items": incident}},
                        },
                        {"incidents": [EXAMPLE_INCIDENT]},
                    ),
                    **_error_responses(401, 422),
                },
            },
            "post": {
                "summary": "Open an incident or schedule a maintenance",
                "requestBody": _json_body(
                    "IncidentCreate",
                    {
                        "name": "LiveDNS resolution errors",
                        "kind": "incident",
                        "status": "investigating",
                        "impact": "critical",
                        "body": "Queries for some zones return **SERVFAIL**.",
                        "components": {"k2v8m3q9x1a7": "major_outage"},
                        "started_at": "2026-02-03T13:48:00Z",
                        "keywords": ["servfail"],
                        "lang": "en",
                        "translations": {"fr": {"name": "Erreurs de résolution LiveDNS"}},
                    },
                ),
                "responses": {
                    **_ok("The new incident", incident, EXAMPLE_INCIDENT, "201"),
                    **_error_responses(400, 401, 422),
                },
            },
        },
        "/incidents/{incident_id}": {
            "parameters": _incident_id_param(),
            "get": {
                "summary": "One incident",
                "parameters": [LANG_PARAM],
                "responses": {
                    **_ok("The incident", incident, EXAMPLE_INCIDENT),
                    **_error_responses(401, 404),
                },
            },
            "patch": {
                "summary": "Change the name, impact or keywords",
                "requestBody": _json_body("IncidentPatch", {"impact": "major"}),
                "responses": {
                    **_ok("The incident", incident, EXAMPLE_INCIDENT),
                    **_error_responses(400, 401, 404, 422),
                },
            },
        },
        "/incidents/{incident_id}/updates": {
            "parameters": _incident_id_param(),
            "post": {
                "summary": "Post an update (status transition, component changes, message)",
                "description": "A past `display_at` backfills a timeline written elsewhere; "
                "a resolving update with one sets `resolved_at` to it.",
                "requestBody": _json_body(
                    "UpdateCreate",
                    {
                        "status": "identified",
                        "body": "A faulty configuration is being rolled back.",
                        "components": {"k2v8m3q9x1a7": "partial_outage"},
                    },
                ),
                "responses": {
                    **_ok("The incident with its new update", incident, EXAMPLE_INCIDENT, "201"),
                    **_error_responses(400, 401, 404, 409, 422),
                },
            },
        },
        "/incidents/{incident_id}/resolve": {
            "parameters": _incident_id_param(),
            "post": {
                "summary": "Resolve (a maintenance: complete); components return to operational",
                "requestBody": _json_body("Resolve", {"body": "All zones resolve again."}),
                "responses": {
                    **_ok("The resolved incident", incident, EXAMPLE_INCIDENT),
                    **_error_responses(400, 401, 404, 409, 422),
                },
            },
        },
        "/requests/match": {
            "post": {
                "summary": "What the matcher proposes for a request (no side effect; public, "
                "rate-limited per address)",
                "security": [],
                "requestBody": _json_body(
                    "MatchRequest",
                    {
                        "service": None,
                        "subject": "SERVFAIL on all our zones",
                        "message": "dig returns SERVFAIL for example.fr since 13:49 UTC.",
                        "domain": "example.fr",
                        "lang": "en",
                    },
                ),
                "responses": {
                    **_ok(
                        "Ranked candidates and the proposal",
                        ref("MatchResult"),
                        {
                            "proposal": "a1b2c3d4e5f6",
                            "high": True,
                            "shown": ["a1b2c3d4e5f6"],
                            "matches": [
                                {
                                    "incident_id": "a1b2c3d4e5f6",
                                    "name": "LiveDNS resolution errors",
                                    "score": 0.93,
                                    "reasons": [
                                        {
                                            "code": "codes",
                                            "params": {"codes": "SERVFAIL"},
                                            "customer": True,
                                            "weight": 1.2,
                                            "text": "Your message mentions SERVFAIL, as "
                                            "our updates do.",
                                        }
                                    ],
                                }
                            ],
                        },
                    ),
                    **_error_responses(400, 422, 429),
                },
            }
        },
        "/requests": {
            "post": {
                "summary": "Send a request, as the contact form does (public, rate-limited "
                "per address): stored first, then matched, then acknowledged by mail",
                "security": [],
                "requestBody": _json_body(
                    "NewRequest",
                    {
                        "email": "tom@example.com",
                        "name": "Tom",
                        "service": None,
                        "domain": "example.fr",
                        "subject": "Site down",
                        "message": "DNS_PROBE_FINISHED_NXDOMAIN since 14:50.",
                        "lang": "en",
                        "submission_key": "f0e1d2c3b4a5",
                    },
                ),
                "responses": {
                    **_ok(
                        "The stored request",
                        ref("CreatedRequest"),
                        {
                            "reference": "REQ-7K3F9Q",
                            "state": "proposed",
                            "proposal": "a1b2c3d4e5f6",
                            "shown": ["a1b2c3d4e5f6"],
                            "url": "https://status.example.com/requests/REQ-7K3F9Q?t=5f0c",
                        },
                        "201",
                    ),
                    **_ok(
                        "Received while the database is unavailable: kept on disk, "
                        "acknowledged, stored as soon as the database is back",
                        ref("SpooledRequest"),
                        {
                            "reference": "REQ-7K3F9Q",
                            "state": "received",
                            "proposal": None,
                            "shown": [],
                            "url": "https://status.example.com/requests/REQ-7K3F9Q?t=5f0c",
                            "spooled": True,
                            "message": "Received: we will check it against known incidents "
                            "in a moment.",
                        },
                        "202",
                    ),
                    **_error_responses(400, 422, 429),
                },
            }
        },
        "/stats": {
            "get": {
                "summary": "Deflection numbers per incident (master tickets)",
                "responses": {
                    **_ok(
                        "Per incident",
                        ref("Stats"),
                        {
                            "incidents": [
                                {
                                    "incident_id": "a1b2c3d4e5f6",
                                    "name": "LiveDNS resolution errors",
                                    "status": "identified",
                                    "attached": 120,
                                    "declined": 6,
                                    "detached_by_staff": 2,
                                    "still_broken": 1,
                                    "received": 150,
                                    "deflection_rate": 0.8,
                                }
                            ]
                        },
                    ),
                    **_error_responses(401),
                },
            }
        },
        "/tokens": {
            "get": {
                "summary": "API tokens (admin)",
                "responses": {
                    **_ok(
                        "Tokens",
                        {
                            "type": "object",
                            "required": ["tokens"],
                            "properties": {"tokens": {"type": "array", "items": ref("Token")}},
                        },
                        {"tokens": [EXAMPLE_TOKEN]},
                    ),
                    **_error_responses(401, 403),
                },
            },
            "post": {
                "summary": "Create a token (admin); the secret is in the answer, once",
                "requestBody": _json_body("TokenCreate", {"name": "chatops", "role": "responder"}),
                "responses": {
                    **_ok(
                        "The token",
                        ref("Token"),
                        {**EXAMPLE_TOKEN, "token": "sp_3m9v0b1x2c3z4a5s6d7f8g9h0j"},
                        "201",
                    ),
                    **_error_responses(400, 401, 403, 422),
                },
            },
        },
        "/tokens/{token_id}": {
            "parameters": [
                {
                    "name": "token_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer"},
                }
            ],
            "delete": {
                "summary": "Revoke a token (admin)",
                "responses": {
                    **_ok(
                        "The revoked token",
                        ref("Token"),
                        {**EXAMPLE_TOKEN, "revoked_at": "2026-02-02T10:00:00.000Z"},
                    ),
                    **_error_responses(401, 403, 404),
                },
            },
        },
        "/audit": {
            "get": {
                "summary": "The audit log, newest first (admin)",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    }
                ],
                "responses": {
                    **_ok(
                        "Entries",
                        {
                            "type": "object",
                            "required": ["entries"],
                            "properties": {
                                "entries": {"type": "array", "items": ref("AuditEntry")}
                            },
                        },
                        {
                            "entries": [
                                {
                                    "id": 1,
                                    "at": "2026-02-03T13:55:00.000Z",
                                    "actor": "token:chatops",
                                    "action": "incident.open",
                                    "target_type": "incident",
                                    "target_id": "a1b2c3d4e5f6",
                                    "before": None,
                                    "after": {"name": "LiveDNS resolution errors"},
                                }
                            ]
                        },
                    ),
                    **_error_responses(401, 403, 422),
                },
            }
        },
    }
