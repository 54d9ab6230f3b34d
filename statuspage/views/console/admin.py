"""Administration: the audit log, staff accounts, API tokens, site settings, webhooks."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from statuspage.clock import app_now
from statuspage.domain.webhooks import UrlProblem
from statuspage.extensions import db
from statuspage.models import ApiToken, StaffRole, StaffUser, Webhook, WebhookDelivery
from statuspage.services import audit, backlog, notifications, settings, staff
from statuspage.views.console.base import actor, admin_required, bp
from statuspage.web import forms as f
from statuspage.web.errors import on_form
from statuspage.web.inputs import page_number


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
