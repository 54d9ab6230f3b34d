"""The audit log: every staff action, with who, what, when, and the values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from statuspage.models import AuditEntry, SupportRequest


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    now: datetime,
    target_type: str = "",
    target_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def record_request(
    session: Session, request: SupportRequest, action: str, *, now: datetime, actor: str
) -> AuditEntry:
    """A staff action on one customer request: `request.<action>`, with where it stands after."""
    return record(
        session,
        actor=actor,
        action=f"request.{action}",
        now=now,
        target_type="request",
        target_id=request.reference,
        after={"state": request.state.value, "incident": request.incident_id},
    )


def latest(action: str | None = None, target_id: str | None = None) -> Select[tuple[AuditEntry]]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    return query
