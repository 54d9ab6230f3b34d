"""The staff console: thin views over `services.operations`; every route needs a signed-in user."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from statuspage import forms as f
from statuspage import reasons
from statuspage.clock import app_now
from statuspage.content import load_incident_templates
from statuspage.domain import lifecycle
from statuspage.domain import requests as rq
from statuspage.domain import status as st
from statuspage.domain.backlog import Mode, is_overdue
from statuspage.domain.errors import Refused
from statuspage.domain.texts import LANGUAGES
from statuspage.domain.webhooks import UrlProblem
from statuspage.errors import flash_refused, on_form
from statuspage.extensions import db, login_manager
from statuspage.i18n import current_language, page_zone
from statuspage.inputs import page_number
from statuspage.markup import render_markdown
from statuspage.models import (
    ApiToken,
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    StaffRole,
    StaffUser,
    SupportRequest,
    Webhook,
    WebhookDelivery,
    catalogue_order,
    leaf_components,
    still_open,
)
from statuspage.services import (
    audit,
    backlog,
    deflection,
    notifications,
    operations,
    settings,
    staff,
)
from statuspage.services import overview as ov
from statuspage.sharing import panel

bp = Blueprint("staff", __name__, url_prefix="/staff")
#: Where sign-in may lead: a console path, nothing that could leave the site or split a header.
SAFE_NEXT = re.compile(r"/staff/[A-Za-z0-9/_.~%?=&+-]*")


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    return staff.load_user(db.session, user_id)


@bp.before_request
def _require_login():
    """Every console route needs a signed-in user, except the sign-in page itself."""
    if request.endpoint == "staff.login":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def admin_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapper.admin_only = True  # type: ignore[attr-defined] - read by the authorization test
    return wrapper


def actor() -> str:
    return current_user.email


def _components() -> list[Component]:
    return sorted(db.session.execute(leaf_components()).scalars(), key=catalogue_order)


# -- sign-in ---------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = f.LoginForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        attempt = staff.begin_sign_in(db.session, form.email.data, address, app_now())
        # Committed at once, not at the end of the request: the attempt must be seen by every
        # attempt made in parallel (on any instance), or a burst of guesses passes the throttle.
        db.session.commit()
        try:
            user = staff.authenticate(
                db.session, form.email.data, form.password.data, address, app_now(), attempt
            )
        except staff.StaffError as error:
            db.session.commit()  # the failure counts for the throttle, though the answer is a 4xx
            if error.code == "throttled":
                form.form_errors.append(_("Too many failed sign-ins. Wait 15 minutes."))
                status = 429
            else:
                form.form_errors.append(_("Wrong email or password."))
                status = 401
        else:
            session.permanent = True
            login_user(user)
            target = request.args.get("next", "")
            if not SAFE_NEXT.fullmatch(target):
                target = url_for("staff.dashboard")
            return redirect(target)
    elif request.method == "POST":
        status = 422
    return render_template("staff/login.html", form=form), status


@bp.post("/logout")
def logout():
    form = f.ConfirmForm()
    if form.validate_on_submit():
        staff.end_sessions(current_user)  # a copy of the cookie stops working too
        logout_user()
        session.clear()
    return redirect(url_for("staff.login"))


# -- dashboard -------------------------------------------------------------------------------


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
        templates=_templates(),
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


# -- incidents -------------------------------------------------------------------------------


def _templates():
    return load_incident_templates(Path(current_app.config["CONTENT_DIR"]))


def _templates_of(kind: st.IncidentKind):
    return {key: t for key, t in _templates().items() if t.kind is kind}


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
    begins = func.coalesce(Incident.started_at, Incident.scheduled_for)
    listed = (
        select(Incident)
        .order_by(begins.desc(), Incident.id.desc())
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
        views=[ov.view_incident(i, now) for i in pagination.items],
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

    return _open(form, to_input, _("Incident opened and published."), "incident", _templates())


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
    current = operations.current_status(incident, now)
    if current is st.IncidentStatus.COMPLETED and incident.status is not current:
        allowed = (st.IncidentStatus.COMPLETED,)
    elif current in st.CLOSED_STATUSES:
        allowed = ()
    else:
        allowed = lifecycle.allowed_next(incident.kind, current)
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
    view = ov.view_incident(incident, now)
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
        deflection.sweep_candidates(db.session, incident, now)
        if view.active and incident.kind is st.IncidentKind.INCIDENT
        else []
    )
    return render_template(
        "staff/incident.html",
        incident=incident,
        view=view,
        sweep_rows=sweep_rows,
        sweep_form=f.SweepForm(),
        ticket=deflection.stats(db.session, incident, now),
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


# -- admin -----------------------------------------------------------------------------------


@bp.get("/audit")
@admin_required
def audit_log():
    page = page_number()
    pagination = db.paginate(
        audit.latest(request.args.get("action") or None), page=page, per_page=50, error_out=False
    )
    return render_template("staff/audit.html", pagination=pagination)


@bp.route("/accounts", methods=["GET", "POST"])
@admin_required
def accounts():
    form = f.StaffForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            user, password = staff.create_staff(
                db.session, form.email.data, StaffRole(form.role.data), now=app_now(), actor=actor()
            )
        except staff.StaffError as error:
            status = on_form(form, error)
        else:
            created = (user.email, password)
            form = f.StaffForm(formdata=None)
    elif request.method == "POST":
        status = 422
    users = db.session.execute(select(StaffUser).order_by(StaffUser.email)).scalars()
    return render_template(
        "staff/accounts.html",
        form=form,
        users=list(users),
        created=created,
        confirm=f.ConfirmForm(),
    ), status


@bp.post("/accounts/<int:user_id>/<any(activate, deactivate):action>")
@admin_required
def account_active(user_id: int, action: str):
    user = db.get_or_404(StaffUser, user_id)
    form = f.ConfirmForm()
    if form.validate_on_submit():
        if user.id == current_user.id:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            staff.set_active(db.session, user, action == "activate", actor=actor(), now=app_now())
    return redirect(url_for("staff.accounts"))


@bp.route("/tokens", methods=["GET", "POST"])
@admin_required
def tokens():
    form = f.TokenForm()
    created = None
    status = 200
    if form.validate_on_submit():
        try:
            token, secret = staff.create_token(
                db.session, form.name.data, StaffRole(form.role.data), actor=actor(), now=app_now()
            )
        except staff.StaffError as error:
            status = on_form(form, error)
        else:
            created = (token.name, secret)
            form = f.TokenForm(formdata=None)
    elif request.method == "POST":
        status = 422
    rows = db.session.execute(select(ApiToken).order_by(ApiToken.created_at.desc())).scalars()
    return render_template(
        "staff/tokens.html",
        form=form,
        tokens=list(rows),
        created=created,
        confirm=f.ConfirmForm(),
    ), status


@bp.post("/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if f.ConfirmForm().validate_on_submit():
        staff.revoke_token(db.session, token, actor=actor(), now=app_now())
        flash(_("Token revoked."), "success")
    return redirect(url_for("staff.tokens"))


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def site_settings():
    values = settings.get_all(db.session)
    form = f.SettingsForm(data=values)
    status = 200
    if form.validate_on_submit():
        changes = {
            "chat_snippet": (form.chat_snippet.data or "").strip(),
            "overdue_minutes": form.overdue_minutes.data,
            "backlog_trigger": list(form.backlog_trigger.data or []),
        }
        settings.change(db.session, changes, actor=actor(), now=app_now())
        backlog.refresh(db.session, now=app_now(), actor=actor())
        flash(_("Settings saved."), "success")
        return redirect(url_for("staff.site_settings"))
    if request.method == "POST":
        status = 422
    return render_template("staff/settings.html", form=form), status


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"


# -- the support backlog -----------------------------------------------------------------------


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
    deflection.run_timers(db.session, now)
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
        masters=deflection.master_tickets(db.session, now),
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
                deflection.detach(db.session, stored, now, actor(), by_staff=True)
            else:
                deflection.close_by_staff(db.session, stored, now=now, actor=actor())
    except rq.TransitionError as error:
        flash_refused(error)
    else:
        audit.record(
            db.session,
            actor=actor(),
            action=f"request.{action}",
            now=now,
            target_type="request",
            target_id=stored.reference,
            after={"state": stored.state.value, "incident": stored.incident_id},
        )
        flash(_("Request updated."), "success")
    return redirect(url_for("staff.support_request", request_id=stored.id))


@bp.post("/incidents/<incident_id>/sweep")
def sweep(incident_id: str):
    incident = db.get_or_404(Incident, incident_id)
    now = app_now()
    form = f.SweepForm()
    form.requests.choices = [
        f.SelectChoice(str(r.id), r.reference)
        for r, _ in deflection.sweep_candidates(db.session, incident, now)
    ]
    if form.validate_on_submit():
        chosen = {int(v) for v in form.requests.data or []}
        allowed = {int(c.value) for c in form.requests.choices}
        rows = [db.session.get(SupportRequest, i) for i in sorted(chosen & allowed)]
        count = deflection.bulk_attach(db.session, incident, rows, now=now, actor=actor())
        audit.record(
            db.session,
            actor=actor(),
            action="incident.sweep",
            now=now,
            target_type="incident",
            target_id=incident.id,
            after={"attached": [r.reference for r in rows]},
        )
        flash(
            ngettext(
                "%(num)d request attached to the incident.",
                "%(num)d requests attached to the incident.",
                count,
            ),
            "success",
        )
    return redirect(url_for("staff.incident", incident_id=incident.id) + "#sweep")


# -- webhooks ----------------------------------------------------------------------------------


WEBHOOK_PROBLEMS = {
    UrlProblem.SYNTAX: _l(
        "This is not a valid http or https address (no spaces, a host name or an address)."
    ),
    UrlProblem.CREDENTIALS: _l(
        "No user name or password in the address: the signature authenticates us."
    ),
    UrlProblem.PRIVATE: _l(
        "This address leads to our own or a private network: webhooks go to public addresses."
    ),
    UrlProblem.UNRESOLVED: _l("This host name has no address (DNS)."),
}


@bp.route("/webhooks", methods=["GET", "POST"])
@admin_required
def webhooks():
    form = f.WebhookForm()
    created = None
    status = 200
    if form.validate_on_submit():
        problem = notifications.webhook_target_problem(form.url.data.strip())
        if problem is not None:
            form.url.errors = [*form.url.errors, str(WEBHOOK_PROBLEMS[problem])]
        else:
            created = notifications.add_webhook(
                db.session, form.url.data, actor=actor(), now=app_now()
            )
            form = f.WebhookForm(formdata=None)
    if request.method == "POST" and created is None:
        status = 422
    hooks = db.session.execute(select(Webhook).order_by(Webhook.id)).scalars().all()
    deliveries = (
        db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(50))
        .scalars()
        .all()
    )
    return render_template(
        "staff/webhooks.html",
        form=form,
        hooks=hooks,
        deliveries=deliveries,
        created=created,
        confirm=f.ConfirmForm(),
    ), status


@bp.post("/webhooks/<int:webhook_id>/remove")
@admin_required
def remove_webhook(webhook_id: int):
    hook = db.get_or_404(Webhook, webhook_id)
    if f.ConfirmForm().validate_on_submit():
        notifications.remove_webhook(db.session, hook, actor=actor(), now=app_now())
        flash(_("Webhook removed."), "success")
    return redirect(url_for("staff.webhooks"))
