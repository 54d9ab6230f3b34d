"""Email subscriptions: double opt-in, preferences by signed link, one-click unsubscribe."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from statuspage.clock import app_now
from statuspage.extensions import csrf, db, limiter
from statuspage.i18n import current_language
from statuspage.models import Component, Subscriber
from statuspage.services import notifications
from statuspage.web import forms as f
from statuspage.web.limits import submit_limit

bp = Blueprint("subscriptions", __name__)


def _choices():
    lang = current_language()
    rows = db.session.execute(
        select(Component).where(Component.hidden.is_(False)).order_by(Component.position)
    ).scalars()
    return [c for c in f.service_choices(rows, lang, "") if c.value]


def _components(form) -> list[str] | None:
    if form.everything.data or not form.components.data:
        return None
    allowed = {c.value for c in form.components.choices}
    return [c for c in form.components.data if c in allowed]


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def subscribe():
    form = f.SubscribeForm()
    form.components.choices = _choices()
    if request.method == "GET":
        form.lang.data = current_language()
    status = 200
    if form.validate_on_submit():
        notifications.subscribe(
            db.session, form.email.data, form.lang.data, _components(form), now=app_now()
        )
        return render_template("subscriptions/sent.html", email=form.email.data)
    if request.method == "POST":
        status = 422
    return render_template("subscriptions/subscribe.html", form=form), status


def _subscriber(token: str, action: str) -> Subscriber:
    """The link's subscriber; a link too old is a 410 (`ExpiredLink`, shown by `errors`)."""
    subscriber = notifications.read_token(db.session, token, action)
    if subscriber is None:
        abort(404)
    return subscriber


@bp.route("/subscriptions/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """A page with a button: a mail scanner opening the link confirms nothing."""
    subscriber = _subscriber(token, "confirm")
    form = f.ConfirmForm()
    if form.validate_on_submit():
        notifications.confirm(subscriber, token, now=app_now())
        flash(_("Your subscription is confirmed."), "success")
        return redirect(notifications.link(subscriber, "manage"))
    return render_template("subscriptions/confirm.html", form=form, subscriber=subscriber)


@bp.route("/subscriptions/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    subscriber = _subscriber(token, "manage")
    form = f.ManageSubscriptionForm(
        data={
            "lang": subscriber.lang,
            "everything": subscriber.components is None,
            "components": subscriber.components or [],
        }
    )
    form.components.choices = _choices()
    if form.validate_on_submit():
        subscriber.lang = form.lang.data
        subscriber.components = _components(form)
        flash(_("Your preferences are saved."), "success")
        return redirect(request.path)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "subscriptions/manage.html",
        form=form,
        subscriber=subscriber,
        unsubscribe=url_for(
            "subscriptions.unsubscribe", token=notifications.token(subscriber, "unsubscribe")
        ),
    ), status


@bp.route("/subscriptions/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST here with no form; the signed token authenticates
def unsubscribe(token: str):
    subscriber = _subscriber(token, "unsubscribe")
    if request.method == "POST":
        if subscriber.unsubscribed_at is None:
            subscriber.unsubscribed_at = app_now()
        return render_template("subscriptions/unsubscribed.html", subscriber=subscriber)
    return render_template("subscriptions/unsubscribe.html", subscriber=subscriber)
