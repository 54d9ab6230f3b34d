"""Customer requests, their history and their hand-offs to the help desk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from statuspage.domain.helpdesk import HandoffReason
from statuspage.domain.requests import RequestKind, RequestState, why_queued
from statuspage.extensions import db
from statuspage.models.base import StrEnumType, UTCDateTime
from statuspage.models.incidents import Component, Incident
from statuspage.models.outbox import OutboxMessage, WebhookDelivery


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
