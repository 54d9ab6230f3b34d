"""The console's home: what is going on, the backlog mode, the master tickets."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from statuspage.clock import app_now
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain.backlog import Mode, is_overdue
from statuspage.extensions import db
from statuspage.i18n import page_zone
from statuspage.models import SupportRequest
from statuspage.services import backlog, deflection, settings
from statuspage.services import overview as ov
from statuspage.views.console.base import actor, bp, incident_templates
from statuspage.web import forms as f


@bp.get("/")
def dashboard():
    now = app_now()
    overview = ov.build_overview(db.session, now, zone=page_zone())
    overdue_minutes = settings.get(db.session, "overdue_minutes")
    rows = []
    for view in [*overview.active, *overview.upcoming]:
        latest = view.latest_update
        age = (now - latest.created_at) if latest else None
        minutes = age.total_seconds() / 60 if age else 0
        rows.append(
            {
                "view": view,
                "age": age,
                "overdue": view.active
                and view.incident.kind is st.IncidentKind.INCIDENT
                and is_overdue(minutes, overdue_minutes),
            }
        )
    state = backlog.current(db.session, now)
    return render_template(
        "staff/dashboard.html",
        now=now,
        rows=rows,
        overview=overview,
        backlog_state=state,
        backlog_history=backlog.history(db.session),
        backlog_form=f.BacklogForm(mode=state.mode.value),
        overdue_minutes=overdue_minutes,
        templates=incident_templates(),
        masters=deflection.master_tickets(db.session, now, limit=10),
        queue_size=db.session.execute(
            select(func.count(SupportRequest.id)).where(
                SupportRequest.state == rq.RequestState.QUEUED
            )
        ).scalar(),
    )


@bp.post("/backlog-killer")
def backlog_killer():
    form = f.BacklogForm()
    if form.validate_on_submit():
        backlog.set_mode(db.session, Mode(form.mode.data), actor=actor(), now=app_now())
        flash(_("Backlog Killer mode updated."), "success")
    return redirect(url_for("staff.dashboard"))
