"""Incidents and maintenances: open, update, resolve, reopen, edit, extend, postmortem."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from statuspage.clock import app_now
from statuspage.domain import lifecycle
from statuspage.domain import status as st
from statuspage.domain.errors import Refused
from statuspage.domain.texts import LANGUAGES
from statuspage.extensions import db
from statuspage.i18n import current_language
from statuspage.markup import render_markdown
from statuspage.models import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    catalogue_order,
    leaf_components,
)
from statuspage.services import audit, deflection, operations
from statuspage.services import overview as ov
from statuspage.views.console.base import actor, bp, incident_templates
from statuspage.web import forms as f
from statuspage.web.errors import on_form
from statuspage.web.inputs import page_number
from statuspage.web.sharing import panel


def _components() -> list[Component]:
    return sorted(db.session.execute(leaf_components()).scalars(), key=catalogue_order)


def _templates_of(kind: st.IncidentKind):
    return {key: t for key, t in incident_templates().items() if t.kind is kind}


def _filled(template, components) -> dict[str, str]:
    """What a template puts in the incident or maintenance form: both languages' title and
    text, the keywords and the components' statuses."""
    by_key = {c.key: c.id for c in components}
    data = {"keywords": ", ".join(template.keywords)}
    for lang in LANGUAGES:
        data[f"name_{lang}"] = template.names.get(lang, "")
        data[f"body_{lang}"] = template.bodies.get(lang, "")
    for key, status in template.components.items():
        if key in by_key:
            data[f.COMPONENT_PREFIX + by_key[key]] = status.value
    return data


@bp.get("/incidents")
def incidents():
    page = page_number()
    listed = (
        select(Incident)
        .order_by(Incident.begins_at.desc(), Incident.id.desc())
        .options(  # each row shows its components: loaded for the page at once, not per row
            selectinload(Incident.updates)
            .selectinload(IncidentUpdate.changes)
            .selectinload(ComponentChange.component)
            .selectinload(Component.group)
        )
    )
    pagination = db.paginate(listed, page=page, per_page=30, error_out=False)
    now = app_now()
    return render_template(
        "staff/incidents.html",
        pagination=pagination,
        views=[ov.view_incident(i, now=now) for i in pagination.items],
    )


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    components = _components()
    form_class = f.with_components(
        f.IncidentForm, components, current_language(), _("Not affected")
    )
    template = _templates_of(st.IncidentKind.INCIDENT).get(request.args.get("template", ""))
    if request.method == "GET" and template is not None:
        form = form_class(data={"impact": template.impact.value, **_filled(template, components)})
    else:
        form = form_class()
    if request.method == "GET" and not form.started_at.data:
        form.started_at.data = f.local(app_now())

    def to_input(form) -> operations.IncidentInput:
        return operations.IncidentInput(
            name=form.texts("name"),
            kind=st.IncidentKind.INCIDENT,
            status=st.IncidentStatus(form.status.data),
            impact=st.Impact(form.impact.data),
            body=form.texts("body"),
            components=form.component_values(),
            started_at=f.utc(form.started_at.data),
            keywords=tuple(f.keywords_list(form.keywords.data)),
        )

    return _open(
        form, to_input, _("Incident opened and published."), "incident", incident_templates()
    )


@bp.route("/maintenances/new", methods=["GET", "POST"])
def new_maintenance():
    components = _components()
    form_class = f.with_components(
        f.MaintenanceForm, components, current_language(), _("Not affected")
    )
    templates = _templates_of(st.IncidentKind.MAINTENANCE)
    template = templates.get(request.args.get("template", ""))
    if request.method == "GET" and template is not None:
        form = form_class(data=_filled(template, components))
    else:
        form = form_class()

    def to_input(form) -> operations.IncidentInput:
        return operations.IncidentInput(
            name=form.texts("name"),
            kind=st.IncidentKind.MAINTENANCE,
            status=st.IncidentStatus.SCHEDULED,
            impact=st.Impact.MAINTENANCE,
            body=form.texts("body"),
            components=dict.fromkeys(
                form.component_values(), st.ComponentStatus.UNDER_MAINTENANCE.value
            ),
            scheduled_for=f.utc(form.scheduled_for.data),
            scheduled_until=f.utc(form.scheduled_until.data),
            keywords=tuple(f.keywords_list(form.keywords.data)),
        )

    return _open(
        form, to_input, _("Maintenance scheduled and published."), "maintenance", templates
    )


def _open(form, to_input, done: str, kind: str, templates):
    """Preview, or open the incident or maintenance the form describes (post/redirect/get)."""
    preview = None
    status = 200
    if form.validate_on_submit():
        if form.preview.data:
            preview = _previews(form, "body")
        else:
            try:
                incident = operations.open_incident(
                    db.session, to_input(form), actor=actor(), now=app_now()
                )
            except Refused as error:
                status = on_form(form, error)
            else:
                flash(done, "success")
                return redirect(url_for("staff.incident", incident_id=incident.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "staff/incident_form.html", form=form, preview=preview, templates=templates, kind=kind
    ), status


def _previews(form, name: str) -> dict[str, Markup]:
    """The Markdown preview of each language written, side by side as the fields are."""
    return {lang: render_markdown(text) for lang, text in form.texts(name).items() if text.strip()}


def _update_form(incident: Incident, now, formdata=None):
    components = _components()
    form = f.with_components(f.UpdateForm, components, current_language(), _("Unchanged"))(
        formdata=formdata
    )
    current = operations.current_status(incident, now=now)
    allowed = lifecycle.allowed_updates(incident.kind, current, stored=incident.status)
    form.status.choices = f.status_choices(allowed)
    if formdata is None:
        following = {
            st.IncidentStatus.SCHEDULED: st.IncidentStatus.IN_PROGRESS,
        }.get(current, current)
        if following in allowed:
            form.status.data = following.value
    return form


def _edit_form(incident: Incident, formdata=None):
    form = f.EditIncidentForm(
        prefix="edit",
        formdata=formdata,
        data={
            "name_en": incident.name_en,
            "name_fr": incident.name_fr,
            "impact": incident.impact.value,
            "keywords": ", ".join(incident.keywords or []),
        },
    )
    form.impact.choices = f.impact_choices(incident.kind)
    return form


def _render_incident(incident: Incident, status: int = 200, **forms):
    now = app_now()
    view = ov.view_incident(incident, now=now)
    held = st.affected_components(incident.facts())
    forms.setdefault("update_form", _update_form(incident, now))
    forms.setdefault("resolve_form", f.ResolveForm(prefix="resolve"))
    forms.setdefault("reopen_form", f.ReopenForm(prefix="reopen"))
    forms.setdefault(
        "postmortem_form",
        f.PostmortemForm(
            prefix="postmortem",
            data={"body_en": incident.postmortem_en, "body_fr": incident.postmortem_fr},
        ),
    )
    forms.setdefault("edit_form", _edit_form(incident))
    forms.setdefault(
        "extend_form",
        f.ExtendForm(prefix="extend", data={"until": f.local(incident.scheduled_until)}),
    )
    updates = sorted(incident.updates, key=lambda u: (u.display_at, u.position), reverse=True)
    history = db.session.execute(audit.latest(target_id=incident.id).limit(50)).scalars()
    sweep_rows = (
        deflection.sweep_candidates(db.session, incident, now=now)
        if view.active and incident.kind is st.IncidentKind.INCIDENT
        else []
    )
    return render_template(
        "staff/incident.html",
        incident=incident,
        view=view,
        sweep_rows=sweep_rows,
        sweep_form=f.SweepForm(),
        ticket=deflection.stats(db.session, incident, now=now),
        held=held,
        updates=updates,
        shares={u.id: panel(incident, u) for u in updates},
        history=list(history),
        **forms,
    ), status


@bp.get("/incidents/<incident_id>")
def incident(incident_id: str):
    return _render_incident(db.get_or_404(Incident, incident_id))


def _refused(incident: Incident, form_name: str, form, error: Refused):
    code = on_form(form, error)
    incident = db.get_or_404(Incident, incident.id)  # as stored, without the refused change
    return _render_incident(incident, code, **{form_name: form})


@bp.post("/incidents/<incident_id>/updates")
def post_update(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    now = app_now()
    form = _update_form(incident, now, formdata=request.form)
    if not form.validate_on_submit():
        if not form.status.choices:
            form.form_errors.append(_("This incident is closed: reopen it to update it."))
            return _render_incident(incident, 409, update_form=form)
        return _render_incident(incident, 422, update_form=form)
    if form.preview.data:
        return _render_incident(incident, update_form=form, update_preview=_previews(form, "body"))
    try:
        operations.add_update(
            db.session,
            incident,
            status=st.IncidentStatus(form.status.data),
            body=form.texts("body"),
            components=form.component_values(),
            actor=actor(),
            now=now,
            display_at=f.utc(form.display_at.data),
            deliver_notifications=form.notify.data,
        )
    except Refused as error:
        return _refused(incident, "update_form", form, error)
    flash(_("Update posted."), "success")
    return redirect(url_for("staff.incident", incident_id=incident.id))


def _act(incident: Incident, form_name: str, form, operation, done: str):
    """Validate, apply the operation, commit and come back; or show the refusal on the form."""
    if not form.validate_on_submit():
        return _render_incident(incident, 422, **{form_name: form})
    try:
        operation()
    except Refused as error:
        return _refused(incident, form_name, form, error)
    flash(done, "success")
    return redirect(url_for("staff.incident", incident_id=incident.id))


@bp.post("/incidents/<incident_id>/resolve")
def resolve(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    form = f.ResolveForm(prefix="resolve")
    return _act(
        incident,
        "resolve_form",
        form,
        lambda: operations.resolve(
            db.session, incident, form.texts("body"), actor=actor(), now=app_now()
        ),
        _("Resolved: every affected service is back to operational."),
    )


@bp.post("/incidents/<incident_id>/reopen")
def reopen(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    form = f.ReopenForm(prefix="reopen")
    return _act(
        incident,
        "reopen_form",
        form,
        lambda: operations.reopen(
            db.session,
            incident,
            st.IncidentStatus(form.status.data),
            form.texts("body"),
            None,
            actor=actor(),
            now=app_now(),
        ),
        _("Incident reopened."),
    )


@bp.post("/incidents/<incident_id>/postmortem")
def postmortem(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    form = f.PostmortemForm(prefix="postmortem")
    return _act(
        incident,
        "postmortem_form",
        form,
        lambda: operations.publish_postmortem(
            db.session,
            incident,
            form.texts("body"),
            actor=actor(),
            now=app_now(),
            publish=form.publish.data,
        ),
        _("Postmortem saved."),
    )


@bp.post("/incidents/<incident_id>/edit")
def edit_incident(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    form = _edit_form(incident, formdata=request.form)
    return _act(
        incident,
        "edit_form",
        form,
        lambda: operations.edit_incident(
            db.session,
            incident,
            actor=actor(),
            now=app_now(),
            name=form.texts("name"),
            impact=st.Impact(form.impact.data),
            keywords=f.keywords_list(form.keywords.data),
        ),
        _("Saved."),
    )


@bp.post("/incidents/<incident_id>/extend")
def extend(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    form = f.ExtendForm(prefix="extend")
    return _act(
        incident,
        "extend_form",
        form,
        lambda: operations.extend_maintenance(
            db.session,
            incident,
            f.utc(form.until.data),
            form.texts("body"),
            actor=actor(),
            now=app_now(),
        ),
        _("Maintenance window extended."),
    )


@bp.route("/updates/<update_id>/edit", methods=["GET", "POST"])
def edit_update(update_id: str):
    update = db.get_or_404(IncidentUpdate, update_id)
    form = f.EditUpdateForm(data={"body_en": update.body_en, "body_fr": update.body_fr})
    status = 200
    if form.validate_on_submit():
        try:
            operations.edit_update_body(
                db.session, update, form.texts("body"), actor=actor(), now=app_now()
            )
        except Refused as error:
            status = on_form(form, error)
        else:
            flash(_("Update edited; the previous text is kept in the audit log."), "success")
            return redirect(url_for("staff.incident", incident_id=update.incident_id))
    elif request.method == "POST":
        status = 422
    return render_template("staff/edit_update.html", form=form, update=update), status
