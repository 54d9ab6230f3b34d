"""The support backlog: the ticket list, one request, attaching requests to an incident."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from statuspage import reasons
from statuspage.clock import app_now
from statuspage.domain import requests as rq
from statuspage.extensions import db
from statuspage.i18n import current_language
from statuspage.models import Component, Incident, SupportRequest, still_open
from statuspage.services import deflection
from statuspage.views.console.base import actor, bp
from statuspage.web import forms as f
from statuspage.web.errors import flash_refused
from statuspage.web.inputs import page_number


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue, never counted: the queue may hold a million requests, and a help
    desk pages through it newest first (Newer, Older), so one row read beyond the page is
    enough to know whether an older page exists."""

    items: list[SupportRequest]
    page: int
    has_next: bool

    @classmethod
    def of(cls, query, page: int, per_page: int) -> QueuePage:
        rows = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page))
        items = list(rows.scalars())
        return cls(items=items[:per_page], page=page, has_next=len(items) > per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@bp.get("/tickets")
def tickets():
    now = app_now()
    deflection.run_timers(db.session, now=now)
    filters = {
        "state": request.args.get("state") or None,
        "service_id": request.args.get("service") or None,
        "incident_id": request.args.get("incident") or None,
        "lang": request.args.get("lang_filter") or None,
        "text": (request.args.get("q") or "").strip()[:200] or None,
    }
    # the catalogue first, held until the page is rendered: each request's service is then
    # found in the session (it holds its objects weakly), not queried
    catalogue = (
        db.session.execute(
            select(Component).order_by(Component.position).options(selectinload(Component.children))
        )
        .scalars()
        .all()
    )
    services = f.service_choices(catalogue, current_language(), _("All services"))
    return render_template(
        "staff/tickets.html",
        masters=deflection.master_tickets(db.session, now=now),
        pagination=QueuePage.of(deflection.queue_query(**filters), page_number(), per_page=50),
        filters=filters,
        services=services,
        states=list(rq.RequestState),
    )


def _attach_form(formdata=None):
    form = f.AttachForm(formdata=formdata)
    begins = Incident.begins_at
    open_incidents = db.session.execute(
        select(Incident).where(still_open(app_now()), begins <= app_now()).order_by(begins.desc())
    ).scalars()
    form.incident.choices = [f.SelectChoice(i.id, i.name) for i in open_incidents]
    return form


@bp.get("/requests/<int:request_id>")
def support_request(request_id: int):
    stored = db.get_or_404(SupportRequest, request_id)
    name = reasons.service_namer(deflection.service_names(db.session), current_language())
    return render_template(
        "staff/request.html",
        stored=stored,
        evidence=reasons.for_staff(stored.proposal_reasons or [], name),
        alternative_evidence=reasons.for_staff(stored.alternative_reasons or [], name),
        attach_form=_attach_form(),
        confirm=f.ConfirmForm(),
    )


@bp.post("/requests/<int:request_id>/<any(attach, detach, close):action>")
def support_request_action(request_id: int, action: str):
    stored = db.get_or_404(SupportRequest, request_id)
    now = app_now()
    try:
        if action == "attach":
            form = _attach_form(formdata=request.form)
            if not form.validate_on_submit():
                abort(422)
            incident = db.get_or_404(Incident, form.incident.data)
            deflection.attach_by_staff(db.session, stored, incident, now=now, actor=actor())
        else:
            if not f.ConfirmForm().validate_on_submit():
                abort(400)
            if action == "detach":
                deflection.detach(db.session, stored, now=now, actor=actor(), by_staff=True)
            else:
                deflection.close_by_staff(db.session, stored, now=now, actor=actor())
    except rq.TransitionError as error:
        flash_refused(error)
    else:
        flash(_("Request updated."), "success")
    return redirect(url_for("staff.support_request", request_id=stored.id))


@bp.post("/incidents/<incident_id>/sweep")
def sweep(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    now = app_now()
    form = f.SweepForm()
    form.requests.choices = [
        f.SelectChoice(str(r.id), r.reference)
        for r, _ in deflection.sweep_candidates(db.session, incident, now=now)
    ]
    if form.validate_on_submit():
        chosen = {int(v) for v in form.requests.data or []}
        allowed = {int(c.value) for c in form.requests.choices}
        rows = [db.session.get(SupportRequest, i) for i in sorted(chosen & allowed)]
        count = deflection.bulk_attach(db.session, incident, rows, now=now, actor=actor())
        flash(
            ngettext(
                "%(num)d request attached to the incident.",
                "%(num)d requests attached to the incident.",
                count,
            ),
            "success",
        )
    return redirect(url_for("staff.incident", incident_id=incident.id) + "#sweep")
