"""The schemas of the OpenAPI document: what the API's bodies and answers hold."""

from __future__ import annotations

from typing import Any

from statuspage.domain import status as st
from statuspage.domain.texts import LANGUAGES
from statuspage.models import StaffRole

TIME = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "string", "pattern": "^[a-z0-9]{12}$"}


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


def ref(name: str) -> dict[str, str]:
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
        "incident_updates": {"type": "array", "items": ref("IncidentUpdate")},
        "components": {"type": "array", "items": ref("Component")},
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


#: By their names in the document (`#/components/schemas/<name>`).
SCHEMAS = {
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
}
