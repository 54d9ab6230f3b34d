"""Typed ORM models. Query helpers return a `Select` for the caller to run or paginate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from statuspage.domain import status as st
from statuspage.domain import texts
from statuspage.domain.helpdesk import HandoffReason
from statuspage.domain.ids import new_public_id
from statuspage.domain.requests import RequestKind, RequestState, why_queued
from statuspage.extensions import db


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (same on SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class StrEnumType(TypeDecorator):
    """A StrEnum stored as its plain value: adding a value needs no schema change."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum]) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_cls(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum_cls(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


def reading_language() -> str:
    """The language being rendered (request, forced locale), else the site's default."""
    from flask import current_app, has_app_context
    from flask_babel import get_locale

    try:
        locale = get_locale()
    except RuntimeError:  # no request: a worker or a command
        locale = None
    if locale is not None and str(locale) in texts.LANGUAGES:
        return str(locale)
    if has_app_context():
        return current_app.config.get("DEFAULT_LANGUAGE", "en")
    return "en"


class Bilingual:
    """Columns `<field>_en` and `<field>_fr`; `text(field, lang)` picks one, falling back."""

    def texts(self, field: str) -> dict[str, str]:
        return {lang: getattr(self, f"{field}_{lang}") or "" for lang in texts.LANGUAGES}

    def text(self, field: str, lang: str | None = None) -> texts.Shown:
        return texts.pick(self.texts(field), lang or reading_language())

    def set_texts(self, field: str, values: dict[str, str]) -> None:
        for lang in texts.LANGUAGES:
            setattr(self, f"{field}_{lang}", (values.get(lang) or "").strip())


class Component(db.Model):
    """A service on the page; a group is a component with `is_group` and children."""

    __tablename__ = "component"

    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=new_public_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    group_id: Mapped[str | None] = mapped_column(ForeignKey("component.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name_en: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    showcase: Mapped[bool] = mapped_column(Boolean, default=True)
    only_show_if_degraded: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Component | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Component]] = relationship(
        back_populates="group", order_by="Component.position"
    )

    def name(self, lang: str) -> str:
        return self.name_fr if lang == "fr" else self.name_en

    def description(self, lang: str) -> str:
        return self.description_fr if lang == "fr" else self.description_en


class Incident(Bilingual, db.Model):
    """An incident or a scheduled maintenance (`kind`), with its timeline of updates.

    Its title and postmortem are written in English and French (`name_en`, `name_fr`...).
    """

    __tablename__ = "incident"

    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=new_public_id)
    kind: Mapped[st.IncidentKind] = mapped_column(StrEnumType(st.IncidentKind))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    name_fr: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[st.IncidentStatus] = mapped_column(StrEnumType(st.IncidentStatus))
    impact: Mapped[st.Impact] = mapped_column(StrEnumType(st.Impact))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    monitoring_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    postmortem_en: Mapped[str] = mapped_column(Text, default="")
    postmortem_fr: Mapped[str] = mapped_column(Text, default="")
    postmortem_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when subscribers were reminded of this maintenance
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    updates: Mapped[list[IncidentUpdate]] = relationship(
        back_populates="incident",
        order_by="(IncidentUpdate.display_at.desc(), IncidentUpdate.position.desc())",
        cascade="all, delete-orphan",
    )

    @hybrid_property
    def begins_at(self) -> datetime | None:
        """When it began (or is to begin): the start, else the scheduled start; also a column
        expression, for ordering and filtering in SQL."""
        return self.started_at or self.scheduled_for

    @begins_at.inplace.expression
    @classmethod
    def _begins_at_expression(cls) -> ColumnElement[datetime | None]:
        return func.coalesce(cls.started_at, cls.scheduled_for)

    @property
    def name(self) -> str:
        """The title in the reader's language, else in the other one."""
        return self.text("name").text

    @property
    def postmortem_body(self) -> str:
        """The postmortem in the reader's language, else in the other one ('' if none)."""
        return self.text("postmortem").text

    def facts(self) -> st.IncidentFacts:
        return st.IncidentFacts(
            id=self.id,
            name=self.name,
            kind=self.kind,
            status=self.status,
            impact=self.impact,
            started_at=self.started_at,
            resolved_at=self.resolved_at,
            scheduled_for=self.scheduled_for,
            scheduled_until=self.scheduled_until,
            updates=tuple(u.facts() for u in self.updates),
        )


class IncidentUpdate(Bilingual, db.Model):
    """An entry of an incident's timeline; its text in English and French (`body_en`...)."""

    __tablename__ = "incident_update"

    id: Mapped[str] = mapped_column(String(12), primary_key=True, default=new_public_id)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incident.id"), index=True)
    status: Mapped[st.IncidentStatus] = mapped_column(StrEnumType(st.IncidentStatus))
    body_en: Mapped[str] = mapped_column(Text, default="")
    body_fr: Mapped[str] = mapped_column(Text, default="")
    display_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: order of writing within the incident: breaks ties between updates dated alike
    position: Mapped[int] = mapped_column(Integer, default=0)
    deliver_notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="updates")
    changes: Mapped[list[ComponentChange]] = relationship(
        back_populates="update", cascade="all, delete-orphan", order_by="ComponentChange.id"
    )

    @property
    def body(self) -> str:
        """The text in the reader's language, else in the other one."""
        return self.text("body").text

    def facts(self) -> st.UpdateFacts:
        return st.UpdateFacts(
            status=self.status,
            display_at=self.display_at,
            position=self.position,
            changes=tuple(
                st.ComponentChange(c.component_id, c.old_status, c.new_status) for c in self.changes
            ),
        )


class ComponentChange(db.Model):
    """A component's status change carried by an update (Statuspage's `affected_components`)."""

    __tablename__ = "component_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_id: Mapped[str] = mapped_column(ForeignKey("incident_update.id"), index=True)
    component_id: Mapped[str] = mapped_column(ForeignKey("component.id"), index=True)
    old_status: Mapped[st.ComponentStatus | None] = mapped_column(StrEnumType(st.ComponentStatus))
    new_status: Mapped[st.ComponentStatus] = mapped_column(StrEnumType(st.ComponentStatus))

    update: Mapped[IncidentUpdate] = relationship(back_populates="changes")
    component: Mapped[Component] = relationship()


class SiteState(db.Model):
    """One row: a counter bumped by every change of what the public pages show.

    Rendered pages are cached per value of this counter, so each instance behind the load
    balancer renders a page once per change, whatever the traffic.
    """

    __tablename__ = "site_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def incidents_overlapping(start: datetime) -> Select[tuple[Incident]]:
    """Incidents and maintenances that may hold a component at some time after `start`.

    Bounded by the window, not by the years of history behind it.
    """
    return select(Incident).where(
        or_(
            and_(
                Incident.resolved_at.is_(None),
                or_(Incident.scheduled_until.is_(None), Incident.scheduled_until >= start),
            ),
            Incident.resolved_at >= start,
        )
    )


def incidents_between(start: datetime, end: datetime) -> Select[tuple[Incident]]:
    """Incidents and maintenances that began in [start, end), newest first."""
    begins = Incident.begins_at
    return select(Incident).where(begins >= start, begins < end).order_by(begins.desc())


def with_timeline() -> LoaderOption:
    """Loads an incident's updates with their component changes and components, in three
    queries for any number of incidents (what `Incident.facts()` and the pages read)."""
    return (
        selectinload(Incident.updates)
        .selectinload(IncidentUpdate.changes)
        .selectinload(ComponentChange.component)
    )


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


def leaf_components() -> Select[tuple[Component]]:
    """Components that incidents can name (not groups), visible ones only."""
    return select(Component).where(Component.is_group.is_(False), Component.hidden.is_(False))


def catalogue_order(component: Component) -> tuple[int, int]:
    group = component.group
    return (group.position, component.position) if group else (component.position, 0)


class SupportRequest(db.Model):
    """A customer's request: its own reference, requester and text, never merged with others."""

    __tablename__ = "support_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[RequestKind] = mapped_column(StrEnumType(RequestKind), default=RequestKind.TICKET)
    state: Mapped[RequestState] = mapped_column(StrEnumType(RequestState))
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    service_id: Mapped[str | None] = mapped_column(ForeignKey("component.id"), index=True)
    domain: Mapped[str | None] = mapped_column(String(255))  #: ASCII (punycode) form
    subject: Mapped[str] = mapped_column(String(255), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(2), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the form's one-time key: a double submit finds the request already stored
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"))
    proposed_incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"), index=True)
    proposal_score: Mapped[float | None] = mapped_column(db.Float)
    #: the matcher's reasons as data (older rows: English sentences), see `statuspage.reasons`
    proposal_reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a second incident offered with the proposal when the two were close: the customer picks
    alternative_incident_id: Mapped[str | None] = mapped_column(
        ForeignKey("incident.id"), index=True
    )
    alternative_score: Mapped[float | None] = mapped_column(db.Float)
    alternative_reasons: Mapped[list[Any] | None] = mapped_column(JSON)
    declined_incident_id: Mapped[str | None] = mapped_column(ForeignKey("incident.id"), index=True)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    detached_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    still_broken: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmation_since: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: checked by every update of the row: two workers (or two clicks) moving the same request
    #: at once cannot both commit, so what a move causes (a handoff, a mail) happens once
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration

    incident: Mapped[Incident | None] = relationship(foreign_keys=[incident_id])
    proposed_incident: Mapped[Incident | None] = relationship(foreign_keys=[proposed_incident_id])
    declined_incident: Mapped[Incident | None] = relationship(foreign_keys=[declined_incident_id])
    alternative_incident: Mapped[Incident | None] = relationship(
        foreign_keys=[alternative_incident_id]
    )
    service: Mapped[Component | None] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )
    handoffs: Mapped[list[HelpdeskHandoff]] = relationship(
        back_populates="request", order_by="HelpdeskHandoff.sequence", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # the console's queue, newest first, by state and by state and service (migration 0010)
        Index("ix_support_request_state_created_at", "state", "created_at"),
        Index(
            "ix_support_request_state_service_id_created_at", "state", "service_id", "created_at"
        ),
        # "has this incident a request on its master ticket?", from the index alone
        Index("ix_support_request_incident_id_state", "incident_id", "state"),
    )

    @property
    def why_queued(self) -> str | None:
        """The event that put it in the queue (see `statuspage.domain.requests.why_queued`)."""
        return why_queued(self.state, [e.action for e in self.events])

    @property
    def still_broken_details(self) -> str:
        """What the customer said still fails, at their last "still broken" ('' if nothing)."""
        if not self.still_broken:
            return ""
        said = [e.detail for e in self.events if e.action == "still broken"]
        return said[-1] if said else ""


class RequestEvent(db.Model):
    """The history of a request, shown to the customer and to staff."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32), index=True)
    actor: Mapped[str] = mapped_column(String(254), default="")
    detail: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[SupportRequest] = relationship(back_populates="events")


class HelpdeskHandoff(db.Model):
    """A request handed off to the company's help desk (`statuspage.domain.helpdesk`): one row
    per request and event, unique by (request, sequence), with the mail and the webhook delivery
    that carry it."""

    __tablename__ = "helpdesk_handoff"
    __table_args__ = (UniqueConstraint("request_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("support_request.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    reason: Mapped[HandoffReason] = mapped_column(StrEnumType(HandoffReason))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    webhook_delivery_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_delivery.id"))

    request: Mapped[SupportRequest] = relationship(back_populates="handoffs")
    mail: Mapped[OutboxMessage | None] = relationship()
    delivery: Mapped[WebhookDelivery | None] = relationship()


class OutboxMessage(db.Model):
    """A mail to send, written in the same transaction as the change that causes it."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254), index=True)  # the allowance per address
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("support_request.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the worker sending it now, until `claimed_until` (see `statuspage.claims`)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Subscriber(db.Model):
    """Someone who follows the page by email (double opt-in)."""

    __tablename__ = "subscriber"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    lang: Mapped[str] = mapped_column(String(2), default="en")
    #: component ids followed; None follows everything
    components: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class Webhook(db.Model):
    """An address that receives each event, Statuspage's webhook envelope, signed."""

    __tablename__ = "webhook"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(64))  #: signs the body (HMAC-SHA256)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(254), default="")


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: None for the help desk's webhook (`STATUSPAGE_HELPDESK_WEBHOOK`), which is not a row
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id"), index=True)
    #: where a delivery without a webhook row goes
    target: Mapped[str | None] = mapped_column(String(2000))
    event: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook | None] = relationship()

    @property
    def url(self) -> str:
        return self.webhook.url if self.webhook is not None else (self.target or "")


def still_open(now: datetime):
    """Not resolved, and not a maintenance whose window closed by itself.

    Keeps "what is open now" bounded: years of completed maintenances never match.
    """
    return and_(
        Incident.resolved_at.is_(None),
        or_(Incident.scheduled_until.is_(None), Incident.scheduled_until > now),
    )
