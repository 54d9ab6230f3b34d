"""The OpenAPI 3.1 document of `/api/v1/`, served at `/api/v1/openapi.json`.

`schemas` holds the bodies' and answers' shapes (the API validates its input against some of
them), `paths` the endpoints, `examples` the values shown with them.
"""

from __future__ import annotations

from typing import Any

from statuspage.web.openapi.paths import paths
from statuspage.web.openapi.schemas import (
    INCIDENT_CREATE,
    MATCH_REQUEST,
    NEW_REQUEST,
    RESOLVE,
    SCHEMAS,
    TOKEN_CREATE,
    UPDATE_CREATE,
)

__all__ = [
    "INCIDENT_CREATE",
    "MATCH_REQUEST",
    "NEW_REQUEST",
    "RESOLVE",
    "TOKEN_CREATE",
    "UPDATE_CREATE",
    "document",
]


def document() -> dict[str, Any]:
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
        "paths": paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(SCHEMAS),
        },
    }
