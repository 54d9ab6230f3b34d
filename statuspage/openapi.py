"""The OpenAPI 3.1 document of `/api/v1/`, served at `/api/v1/openapi.json`."""

from __future__ import annotations

from typing import Any

from statuspage.domain import status as st
from statuspage.models import StaffRole

TIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "string", "pattern": "^[a-z0-9]{12}$"}


LANGUAGES = ("en", "fr")
LANG = {"type": "string", "enum": list(LANGUAGES)}
TEXT = {"type": "string"}


LANG_PARAM = {
    "name": "lang",
    "in": "query",
    "description": "the language of `name` and `body` (default: the site's; the other language "
    "when it is missing); `translations` holds both",
    "schema": LANG,
}


def _enum(enum_cls) -> dict[str, Any]:
    return {"type": "string", "enum": [e.value for e in enum_cls]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


COMPONENT = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    ],
    "properties": {
        "id": ID,
        "name": {"type": "string"},
        "status": _enum(st.ComponentStatus),
        "created_at": TIME,
        "updated_at": TIME,
        "position": {"type": "integer"},
        "description": {"type": ["string", "null"]},
        "showcase": {"type": "boolean"},
        "start_date": {"type": ["string", "null"], "format": "date"},
        "group_id": {"type": ["string", "null"]},
        "page_id": {"type": "string"},
        "group": {"type": "boolean"},
        "only_show_if_degraded": {"type": "boolean"},
        "components": {"type": "array", "items": ID},
    },
}

UPDATE = {
    "type": "object",
    "required": [
        "id",
        "status",
        "body",
        "incident_id",
        "created_at",
        "updated_at",
        "display_at",
        "affected_components",
        "deliver_notifications",
        "custom_tweet",
        "tweet_id",
    ],
    "properties": {
        "id": ID,
        "status": _enum(st.IncidentStatus),
        "body": {"type": "string"},
        "incident_id": ID,
        "created_at": TIME,
        "updated_at": TIME,
        "display_at": TIME,
        "affected_components": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "required": ["code", "name", "old_status", "new_status"],
                "properties": {
                    "code": ID,
                    "name": {"type": "string"},
                    "old_status": _enum(st.ComponentStatus),
                    "new_status": _enum(st.ComponentStatus),
                },
            },
        },
        "deliver_notifications": {"type": "boolean"},
        "custom_tweet": {"type": "null"},
        "tweet_id": {"type": "null"},
        "lang": {**LANG, "description": "the language `body` is in"},
        "translations": {
            "type": "object",
            "description": "the text in each language ('' where not written yet)",
            "required": ["en", "fr"],
            "properties": {
                k: {"type": "object", "required": ["body"], "properties": {"body": TEXT}}
                for k in LANGUAGES
            },
        },
    },
}

INCIDENT = {
    "type": "object",
    "required": [
        "id",
        "name",
        "status",
        "impact",
        "created_at",
        "updated_at",
        "started_at",
        "monitoring_at",
        "resolved_at",
        "shortlink",
        "scheduled_for",
        "scheduled_until",
        "incident_updates",
        "components",
        "kind",
        "keywords",
        "lang",
        "translations",
    ],
    "properties": {
        "id": ID,
        "name": {"type": "string"},
        "kind": _enum(st.IncidentKind),
        "status": _enum(st.IncidentStatus),
        "impact": _enum(st.Impact),
        "created_at": TIME,
        "updated_at": TIME,
        "started_at": TIME,
        "monitoring_at": TIME,
        "resolved_at": TIME,
        "scheduled_for": TIME,
        "scheduled_until": TIME,
        "shortlink": {"type": "string", "format": "uri"},
        "page_id": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "lang": {**LANG, "description": "the language `name` is in"},
        "translations": {
            "type": "object",
            "description": "the title and postmortem in each language ('' where not written)",
            "required": ["en", "fr"],
            "properties": {
                k: {
                    "type": "object",
                    "required": ["name", "postmortem"],
                    "properties": {"name": TEXT, "postmortem": TEXT},
                }
                for k in LANGUAGES
            },
        },
        "incident_updates": {"type": "array", "items": _ref("IncidentUpdate")},
        "components": {"type": "array", "items": _ref("Component")},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string"},
            },
        }
    },
}

COMPONENTS_MAP = {
    "type": "object",
    "description": "component id (from GET /api/v1/components) -> its new status",
    "additionalProperties": _enum(st.ComponentStatus),
}


def _translations(*fields: str) -> dict[str, Any]:
    texts = {"name": {"type": "string", "maxLength": 255}, "body": {"type": "string"}}
    return {
        "type": "object",
        "description": "the other language's texts (Markdown for `body`)",
        "additionalProperties": False,
        "properties": {
            k: {
                "type": "object",
                "additionalProperties": False,
                "properties": {f: texts[f] for f in fields},
            }
            for k in LANGUAGES
        },
    }


INCIDENT_CREATE = {
    "type": "object",
    "required": ["name", "body"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 255, "description": "in `lang`"},
        "kind": _enum(st.IncidentKind),
        "status": _enum(st.IncidentStatus),
        "impact": _enum(st.Impact),
        "body": {"type": "string", "description": "Markdown, in `lang`"},
        "translations": _translations("name", "body"),
        "components": COMPONENTS_MAP,
        "started_at": {"type": "string", "format": "date-time"},
        "scheduled_for": {"type": "string", "format": "date-time"},
        "scheduled_until": {"type": "string", "format": "date-time"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "display_at": {
            "type": "string",
            "format": "date-time",
            "description": "date of the first update, when backfilling",
        },
        "lang": {**LANG, "description": "the language of `name` and `body` (default: the site's)"},
    },
}

UPDATE_CREATE = {
    "type": "object",
    "required": ["status"],
    "additionalProperties": False,
    "properties": {
        "status": _enum(st.IncidentStatus),
        "body": {"type": "string", "description": "Markdown, in `lang`"},
        "lang": {**LANG, "description": "the language of `body` (default: the site's)"},
        "translations": _translations("body"),
        "components": COMPONENTS_MAP,
        "display_at": {"type": "string", "format": "date-time"},
        "deliver_notifications": {"type": "boolean"},
    },
}

INCIDENT_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "maxLength": 255, "description": "in `lang`"},
        "lang": {**LANG, "description": "the language of `name` (default: the site's)"},
        "translations": _translations("name"),
        "impact": _enum(st.Impact),
        "keywords": {"type": "array", "items": {"type": "string"}},
    },
}

RESOLVE = {
    "type": "object",
    "required": ["body"],
    "additionalProperties": False,
    "properties": {
        "body": {"type": "string", "description": "Markdown, in `lang`"},
        "lang": {**LANG, "description": "the language of `body` (default: the site's)"},
        "translations": _translations("body"),
        "display_at": {"type": "string", "format": "date-time"},
    },
}

TOKEN = {
    "type": "object",
    "required": ["id", "name", "role", "prefix", "created_at", "last_used_at", "revoked_at"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "role": _enum(StaffRole),
        "prefix": {"type": "string"},
        "created_by": {"type": "string"},
        "created_at": TIME,
        "last_used_at": TIME,
        "revoked_at": TIME,
        "token": {"type": "string", "description": "the secret, shown once at creation"},
    },
}

TOKEN_CREATE = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {"name": {"type": "string", "maxLength": 100}, "role": _enum(StaffRole)},
}

AUDIT_ENTRY = {
    "type": "object",
    "required": ["id", "at", "actor", "action", "target_type", "target_id", "before", "after"],
    "properties": {
        "id": {"type": "integer"},
        "at": TIME,
        "actor": {"type": "string"},
        "action": {"type": "string"},
        "target_type": {"type": "string"},
        "target_id": {"type": "string"},
        "before": {"type": ["object", "null"]},
        "after": {"type": ["object", "null"]},
    },
}

REQUEST_FIELDS = {
    "service": {"type": ["string", "null"], "description": "a component or group id, or null"},
    "subject": {"type": "string", "maxLength": 255},
    "message": {"type": "string", "maxLength": 20000},
    "domain": {"type": ["string", "null"], "description": "IDN accepted"},
    "lang": {"type": "string", "enum": ["en", "fr"]},
}

MATCH_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **REQUEST_FIELDS,
        "at": {
            "type": "string",
            "format": "date-time",
            "description": "match as of this time (replays); default now",
        },
    },
}

REASON = {
    "type": "object",
    "description": "One piece of evidence: `code` and `params` as data, `text` in the request's "
    "language, `customer` when a customer is shown it, `weight` its share of the score in "
    "log-odds (negative: against the incident)",
    "required": ["code", "params", "customer", "weight", "text"],
    "properties": {
        "code": {"type": "string"},
        "params": {"type": "object", "additionalProperties": {"type": "string"}},
        "customer": {"type": "boolean"},
        "weight": {"type": "number"},
        "text": {"type": "string"},
    },
}

MATCH_RESULT = {
    "type": "object",
    "required": ["proposal", "high", "shown", "matches"],
    "properties": {
        "proposal": {"type": ["string", "null"]},
        "high": {"type": "boolean", "description": "the proposal is in the high band"},
        "shown": {
            "type": "array",
            "description": "the incidents the customer is offered: the proposal, and a second "
            "one when the two are close",
            "items": ID,
        },
        "matches": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["incident_id", "name", "score", "reasons"],
                "properties": {
                    "incident_id": ID,
                    "name": {"type": "string"},
                    "score": {
                        "type": "number",
                        "minimum": 0,
                        "maximum": 1,
                        "description": "calibrated: the probability that the request is about "
                        "this incident",
                    },
                    "reasons": {"type": "array", "items": REASON},
                },
            },
        },
    },
}

NEW_REQUEST = {
    "type": "object",
    "required": ["email", "subject", "message"],
    "additionalProperties": False,
    "properties": {
        **REQUEST_FIELDS,
        "email": {"type": "string", "format": "email"},
        "name": {"type": "string", "maxLength": 200},
        "submission_key": {
            "type": "string",
            "maxLength": 64,
            "description": "the same key twice creates one request",
        },
    },
}

CREATED_REQUEST = {
    "type": "object",
    "required": ["reference", "state", "proposal", "shown", "url"],
    "properties": {
        "reference": {"type": "string", "pattern": "^REQ-[0-9A-Z]{6}$"},
        "state": {"type": "string", "enum": ["queued", "proposed"]},
        "proposal": {"type": ["string", "null"]},
        "shown": {
            "type": "array",
            "description": "the incidents the customer is asked about on the private page: the "
            "proposal, and a second one when the two are close (empty without a proposal)",
            "items": ID,
            "maxItems": 2,
        },
        "url": {"type": "string", "format": "uri"},
    },
}

SPOOLED_REQUEST = {
    "type": "object",
    "description": "the database could not take the request: it is kept on the server's disk, "
    "acknowledged, and will be stored, matched and mailed as soon as the database is back; the "
    "reference and the url stay the same",
    "required": ["reference", "state", "proposal", "shown", "url", "spooled", "message"],
    "properties": {
        "reference": {"type": "string", "pattern": "^REQ-[0-9A-Z]{6}$"},
        "state": {"type": "string", "enum": ["received"]},
        "proposal": {"type": "null"},
        "shown": {"type": "array", "maxItems": 0},
        "url": {"type": "string", "format": "uri"},
        "spooled": {"type": "boolean", "const": True},
        "message": {"type": "string", "description": "what to tell the customer, in `lang`"},
    },
}

STATS = {
    "type": "object",
    "required": ["incidents"],
    "properties": {
        "incidents": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "incident_id",
                    "name",
                    "status",
                    "attached",
                    "declined",
                    "detached_by_staff",
                    "still_broken",
                    "received",
                    "deflection_rate",
                ],
                "properties": {
                    "incident_id": ID,
                    "name": {"type": "string"},
                    "status": _enum(st.IncidentStatus),
                    "attached": {"type": "integer"},
                    "declined": {"type": "integer"},
                    "detached_by_staff": {"type": "integer"},
                    "still_broken": {"type": "integer"},
                    "received": {"type": "integer"},
                    "deflection_rate": {"type": ["number", "null"]},
                },
            },
        }
    },
}

EXAMPLE_COMPONENT = {
    "id": "k2v8m3q9x1a7",
    "name": "LiveDNS",
    "status": "major_outage",
    "created_at": "2026-01-05T09:00:00.000Z",
    "updated_at": "2026-01-05T09:00:00.000Z",
    "position": 1,
    "description": "Our authoritative anycast DNS platform and its API.",
    "showcase": True,
    "start_date": "2026-01-05",
    "group_id": "d9s0c1b2n3m4",
    "page_id": "p4g3x8w2z1y0",
    "group": False,
    "only_show_if_degraded": False,
}
EXAMPLE_INCIDENT = {
    "id": "a1b2c3d4e5f6",
    "name": "LiveDNS resolution errors",
    "kind": "incident",
    "status": "identified",
    "impact": "critical",
    "created_at": "2026-02-03T13:55:00.000Z",
    "updated_at": "2026-02-03T14:12:00.000Z",
    "started_at": "2026-02-03T13:48:00.000Z",
    "monitoring_at": None,
    "resolved_at": None,
    "scheduled_for": None,
    "scheduled_until": None,
    "shortlink": "https://status.example.com/i/a1b2c3d4e5f6",
    "page_id": "p4g3x8w2z1y0",
    "keywords": ["servfail"],
    "lang": "en",
    "translations": {
        "en": {"name": "LiveDNS resolution errors", "postmortem": ""},
        "fr": {"name": "Erreurs de résolution LiveDNS", "postmortem": ""},
    },
    "incident_updates": [
        {
            "id": "u1v2w3x4y5z6",
            "status": "identified",
            "body": "A faulty configuration is being rolled back.",
            "incident_id": "a1b2c3d4e5f6",
            "created_at": "2026-02-03T14:12:00.000Z",
            "updated_at": "2026-02-03T14:12:00.000Z",
            "display_at": "2026-02-03T14:12:00.000Z",
            "affected_components": None,
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
            "lang": "en",
            "translations": {
                "en": {"body": "A faulty configuration is being rolled back."},
                "fr": {"body": "Une configuration défectueuse est en cours de retrait."},
            },
        },
        {
            "id": "t0s9r8q7p6o5",
            "status": "investigating",
            "body": "Queries for some zones return **SERVFAIL**.",
            "incident_id": "a1b2c3d4e5f6",
            "created_at": "2026-02-03T13:55:00.000Z",
            "updated_at": "2026-02-03T13:55:00.000Z",
            "display_at": "2026-02-03T13:48:00.000Z",
            "affected_components": [
                {
                    "code": "k2v8m3q9x1a7",
                    "name": "LiveDNS",
                    "old_status": "operational",
                    "new_status": "major_outage",
                }
            ],
            "deliver_notifications": True,
            "custom_tweet": None,
            "tweet_id": None,
            "lang": "en",
            "translations": {
                "en": {"body": "Queries for some zones return **SERVFAIL**."},
                "fr": {"body": ""},
            },
        },
    ],
    "components": [EXAMPLE_COMPONENT],
}
EXAMPLE_TOKEN = {
    "id": 3,
    "name": "chatops",
    "role": "responder",
    "prefix": "sp_Xy12ab3",
    "created_by": "alice@example.com",
    "created_at": "2026-02-01T10:00:00.000Z",
    "last_used_at": None,
    "revoked_at": None,
}


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
        content: dict[str, Any] = {"schema": _ref("Error")}
        if code in examples:
            content["example"] = examples[code]
        result[str(code)] = {"description": texts[code], "content": {"application/json": content}}
    return result


def _json_body(schema: str, example: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {"application/json": {"schema": _ref(schema), "example": example}},
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


def document() -> dict[str, Any]:
    incident = _ref("Incident")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "statuspage staff API",
            "version": "1",
            "description": "For chatops and monitoring. Send `Authorization: Bearer <token>`; "
            "create tokens with `flask --app wsgi token create` or in the console. Responses use "
            "Atlassian Statuspage's v2 incident shape.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
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
                                    "components": {"type": "array", "items": _ref("Component")}
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
                        **_ok(
                            "The incident with its new update", incident, EXAMPLE_INCIDENT, "201"
                        ),
                        **_error_responses(400, 401, 404, 409, 422),
                    },
                },
            },
            "/incidents/{incident_id}/resolve": {
                "parameters": _incident_id_param(),
                "post": {
                    "summary": "Resolve (a maintenance: complete); components return to "
                    "operational",
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
                            _ref("MatchResult"),
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
                            _ref("CreatedRequest"),
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
                            _ref("SpooledRequest"),
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
                            _ref("Stats"),
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
                                "properties": {"tokens": {"type": "array", "items": _ref("Token")}},
                            },
                            {"tokens": [EXAMPLE_TOKEN]},
                        ),
                        **_error_responses(401, 403),
                    },
                },
                "post": {
                    "summary": "Create a token (admin); the secret is in the answer, once",
                    "requestBody": _json_body(
                        "TokenCreate", {"name": "chatops", "role": "responder"}
                    ),
                    "responses": {
                        **_ok(
                            "The token",
                            _ref("Token"),
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
                            _ref("Token"),
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
                                    "entries": {"type": "array", "items": _ref("AuditEntry")}
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
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Component": COMPONENT,
                "IncidentUpdate": UPDATE,
                "Incident": INCIDENT,
                "IncidentCreate": INCIDENT_CREATE,
                "UpdateCreate": UPDATE_CREATE,
                "IncidentPatch": INCIDENT_PATCH,
                "Resolve": RESOLVE,
                "Token": TOKEN,
                "TokenCreate": TOKEN_CREATE,
                "AuditEntry": AUDIT_ENTRY,
                "MatchRequest": MATCH_REQUEST,
                "MatchResult": MATCH_RESULT,
                "NewRequest": NEW_REQUEST,
                "CreatedRequest": CREATED_REQUEST,
                "SpooledRequest": SPOOLED_REQUEST,
                "Stats": STATS,
                "Error": ERROR,
            },
        },
    }
