"""Components, incidents and maintenances, their updates and component changes, and the query
helpers the pages and services share."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from statuspage.domain import status as st
from statuspage.domain.ids import new_public_id
from statuspage.extensions import db
from statuspage.models.base import Bilingual, StrEnumType, UTCDateTime, utcnow


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


def leaf_components() -> Select[tuple[Component]]:
    """Components that incidents can name (not groups), visible ones only."""
    return select(Component).where(Component.is_group.is_(False), Component.hidden.is_(False))


def catalogue_order(component: Component) -> tuple[int, int]:
    group = component.group
    return (group.position, component.position) if group else (component.position, 0)


def still_open(now: datetime):
    """Not resolved, and not a maintenance whose window closed by itself.

    Keeps "what is open now" bounded: years of completed maintenances never match.
    """
    return and_(
        Incident.resolved_at.is_(None),
        or_(Incident.scheduled_until.is_(None), Incident.scheduled_until > now),
    )
