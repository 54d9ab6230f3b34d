"""The console's home: what is going on, the backlog mode, the master tickets."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from statuspage.clock import app_now
from statuspage.domain.backlog import Mode
from statuspage.extensions import db
from statuspage.i18n import page_zone
from statuspage.services import backlog, deflection
from statuspage.services import dashboard as dash
from statuspage.views.console.base import actor, bp, incident_templates
from statuspage.web import forms as f


@bp.get("/")
def dashboard():
    now = app_now()
    dashboard = dash.build(db.session, now=now, zone=page_zone())
    state = backlog.current(db.session, now=now)
    return render_template(
        "staff/dashboard.html",
        now=now,
        dashboard=dashboard,
        backlog_state=state,
        backlog_history=backlog.history(db.session),
        backlog_form=f.BacklogForm(mode=state.mode.value),
        templates=incident_templates(),
        masters=deflection.master_tickets(db.session, now=now, limit=10),
    )


@bp.post("/backlog-killer")
def backlog_killer():
    form = f.BacklogForm()
    if form.validate_on_submit():
        backlog.set_mode(db.session, Mode(form.mode.data), actor=actor(), now=app_now())
        flash(_("Backlog Killer mode updated."), "success")
    return redirect(url_for("staff.dashboard"))
