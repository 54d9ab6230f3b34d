"""Staff accounts, API tokens, the audit log, settings, the Backlog Killer history and the
sign-in throttle."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from statuspage.extensions import db
from statuspage.models.base import StrEnumType, UTCDateTime, utcnow


class StaffRole(StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"


class StaffUser(db.Model):
    """A responder or admin of the console. Passwords are stored as werkzeug scrypt hashes."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(StrEnumType(StaffRole))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped on password change or deactivation, so old sessions stop working
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    # Flask-Login's protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN


class ApiToken(db.Model):
    """A bearer token of the staff API; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  #: shown in lists, to tell tokens apart
    role: Mapped[StaffRole] = mapped_column(StrEnumType(StaffRole))
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.ADMIN


class AuditEntry(db.Model):
    """Who did what, when, with the values before and after."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(254))  #: a staff email, or "token:<name>"
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="", index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Setting(db.Model):
    """Settings changed at run time by admins (chat snippet, Backlog Killer, delays)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class BacklogKillerEvent(db.Model):
    """Each time Backlog Killer mode turned on or off, and why."""

    __tablename__ = "backlog_killer_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    active: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(16))  #: auto, on or off
    reason: Mapped[str] = mapped_column(String(255))
    actor: Mapped[str] = mapped_column(String(254), default="")


class LoginFailure(db.Model):
    """Failed sign-ins, kept in the database so the throttle holds across instances."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
