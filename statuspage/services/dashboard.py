"""The console dashboard's read model: what is going on, which incident waits too long for an
update, and how many requests wait in the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain.backlog import is_overdue
from statuspage.models import SupportRequest
from statuspage.services import settings
from statuspage.services.overview import IncidentView, Overview, build_overview


@dataclass(frozen=True)
class Row:
    view: IncidentView
    age: timedelta | None  #: since the latest update, None before the first
    overdue: bool  #: an active incident without an update for more than `overdue_minutes`


@dataclass(frozen=True)
class Dashboard:
    overview: Overview
    rows: list[Row]  #: the active incidents and maintenances, then the upcoming ones
    overdue_minutes: int
    queue_size: int  #: requests waiting in the queue


def build(session: Session, *, now: datetime, zone: tzinfo) -> Dashboard:
    overview = build_overview(session, now=now, zone=zone)
    overdue_minutes = settings.get(session, "overdue_minutes")
    rows = []
    for view in [*overview.active, *overview.upcoming]:
        latest = view.latest_update
        age = (now - latest.created_at) if latest else None
        minutes = age.total_seconds() / 60 if age else 0
        overdue = (
            view.active
            and view.incident.kind is st.IncidentKind.INCIDENT
            and is_overdue(minutes, overdue_minutes)
        )
        rows.append(Row(view=view, age=age, overdue=bool(overdue)))
    queue_size = session.execute(
        select(func.count(SupportRequest.id)).where(SupportRequest.state == rq.RequestState.QUEUED)
    ).scalar_one()
    return Dashboard(
        overview=overview, rows=rows, overdue_minutes=overdue_minutes, queue_size=queue_size
    )
