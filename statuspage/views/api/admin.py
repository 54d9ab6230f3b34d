"""Administration through the API (admin tokens only): tokens and the audit log."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from sqlalchemy import select

from statuspage import serializers
from statuspage.clock import app_now
from statuspage.extensions import db
from statuspage.models import ApiToken, AuditEntry, StaffRole
from statuspage.services import staff
from statuspage.views.api.base import (
    MAX_LIST,
    ApiError,
    actor,
    bp,
    enum_field,
    json_body,
    only_known,
    string_field,
    token_required,
)
from statuspage.web.openapi import TOKEN_CREATE


def _token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role.value,
        "prefix": token.prefix,
        "created_by": token.created_by,
        "created_at": serializers.timestamp(token.created_at),
        "last_used_at": serializers.timestamp(token.last_used_at),
        "revoked_at": serializers.timestamp(token.revoked_at),
    }


@bp.get("/tokens")
@token_required(StaffRole.ADMIN)
def list_tokens():
    rows = db.session.execute(select(ApiToken).order_by(ApiToken.id)).scalars()
    return jsonify({"tokens": [_token_json(t) for t in rows]})


@bp.post("/tokens")
@token_required(StaffRole.ADMIN)
def create_token():
    data = only_known(json_body(), TOKEN_CREATE)
    role = enum_field(StaffRole, data, "role", StaffRole.RESPONDER)
    try:
        token, secret = staff.create_token(
            db.session,
            string_field(data, "name", required=True),
            role,
            actor=actor(),
            now=app_now(),
        )
    except staff.StaffError as error:
        raise ApiError(422, "invalid_field", str(error), "name") from None
    response = jsonify({**_token_json(token), "token": secret})
    response.status_code = 201
    return response


@bp.delete("/tokens/<int:token_id>")
@token_required(StaffRole.ADMIN)
def revoke_token(token_id: int):
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise ApiError(404, "not_found", f"no token {token_id}")
    staff.revoke_token(db.session, token, actor=actor(), now=app_now())
    return jsonify(_token_json(token))


@bp.get("/audit")
@token_required(StaffRole.ADMIN)
def audit_log():
    limit = request.args.get("limit", "50")
    if not (limit.isascii() and limit.isdigit()) or not 1 <= int(limit) <= MAX_LIST:
        raise ApiError(422, "invalid_field", f"'limit' is 1 to {MAX_LIST}", "limit")
    rows = db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(int(limit))
    ).scalars()
    return jsonify(
        {
            "entries": [
                {
                    "id": e.id,
                    "at": serializers.timestamp(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "target_type": e.target_type,
                    "target_id": e.target_id,
                    "before": e.before,
                    "after": e.after,
                }
                for e in rows
            ]
        }
    )
