"""Run-time settings that admins change in the console, with their defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from statuspage.domain.backlog import Mode
from statuspage.models import Setting
from statuspage.services import audit

DEFAULTS: dict[str, Any] = {
    "chat_snippet": "",  # the live chat vendor's HTML, shown on public pages unless Backlog Killer
    "overdue_minutes": 30,  # an active incident with no update for this long is flagged
    "backlog_mode": Mode.AUTO.value,  # auto, on, off
    "backlog_trigger": ["major", "critical"],  # impacts that turn Backlog Killer on by itself
}


def get(session: Session, key: str) -> Any:
    row = session.get(Setting, key)
    return DEFAULTS[key] if row is None else row.value


def get_all(session: Session) -> dict[str, Any]:
    return {key: get(session, key) for key in DEFAULTS}


def put(session: Session, key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.flush()


def change(session: Session, changes: dict[str, Any], *, actor: str, now: datetime) -> None:
    """An admin's change of several settings at once, one audit entry for all of them."""
    before = {key: get(session, key) for key in changes}
    for key, value in changes.items():
        put(session, key, value)
    audit.record(
        session,
        actor=actor,
        action="settings.change",
        now=now,
        target_type="settings",
        before=before,
        after=changes,
    )
