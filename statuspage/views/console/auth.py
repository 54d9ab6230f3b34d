"""Signing in and out of the console."""

from __future__ import annotations

import re

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from statuspage.clock import app_now
from statuspage.extensions import db
from statuspage.services import staff
from statuspage.views.console.base import bp
from statuspage.web import forms as f

#: Where sign-in may lead: a console path, nothing that could leave the site or split a header.
SAFE_NEXT = re.compile(r"/staff/[A-Za-z0-9/_.~%?=&+-]*")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("staff.dashboard"))
    form = f.LoginForm()
    status = 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        attempt = staff.begin_sign_in(db.session, form.email.data, address, now=app_now())
        # Committed at once, not at the end of the request: the attempt must be seen by every
        # attempt made in parallel (on any instance), or a burst of guesses passes the throttle.
        db.session.commit()
        try:
            user = staff.authenticate(
                db.session, form.email.data, form.password.data, address, attempt, now=app_now()
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
