"""The contact form that deflects requests onto incidents, and the customer's private page."""

from __future__ import annotations

import logging
import secrets
from contextlib import suppress

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound

from statuspage import links, reasons, spool
from statuspage.clock import app_now
from statuspage.content import pages_cached
from statuspage.database import DATABASE_ERRORS, bounded
from statuspage.domain import requests as rq
from statuspage.domain.domains import normalise as normalise_domain
from statuspage.domain.ids import is_public_id
from statuspage.extensions import db, limiter
from statuspage.i18n import current_language
from statuspage.models import Component, Incident, SupportRequest
from statuspage.services import deflection, intake
from statuspage.services import overview as ov
from statuspage.web import forms as f
from statuspage.web.errors import discard_refused, flash_refused
from statuspage.web.limits import submit_limit

bp = Blueprint("contact", __name__)
log = logging.getLogger(__name__)


def _catalogue() -> list[Component]:
    return list(db.session.execute(select(Component).order_by(Component.position)).scalars())


def request_input(form: f.ContactForm) -> deflection.RequestInput:
    domain = form.domain.data.strip() if form.domain.data else ""
    return deflection.RequestInput(
        email=form.email.data,
        name=form.name.data or "",
        service_id=form.service.data or None,
        domain=normalise_domain(domain)[0] if domain else None,
        subject=form.subject.data,
        message=form.message.data,
        lang=form.lang.data if form.lang.data in ("en", "fr") else current_language(),
    )


def _service_choices() -> list:
    """The form's services, from the last good read when the database does not answer."""
    lang = current_language()
    kept = current_app.extensions.setdefault("statuspage_service_choices", {})
    try:
        with bounded(db.session, current_app.config["INTAKE_TIMEOUT_MS"]):
            kept[lang] = f.service_choices(_catalogue(), lang, _("I don't know"))
    except DATABASE_ERRORS:
        db.session.rollback()
        log.warning("contact form: catalogue unreadable, using the last good one")
    return kept.get(lang) or f.service_choices([], lang, _("I don't know"))


def _active_incidents() -> list:
    try:
        with bounded(db.session, current_app.config["INTAKE_TIMEOUT_MS"]):
            return ov.active_incidents(db.session, now=app_now())
    except DATABASE_ERRORS:
        db.session.rollback()
        return []


def _contact_form() -> f.ContactForm:
    contact_form = f.ContactForm()
    contact_form.service.choices = _service_choices()
    return contact_form


def _render_form(contact_form: f.ContactForm, status: int):
    intro = pages_cached(current_app.config["CONTENT_DIR"]).get("contact-intro")
    return render_template(
        "contact/form.html",
        form=contact_form,
        active=_active_incidents(),
        intro=intro,
    ), status


@bp.errorhandler(RateLimitExceeded)
def _too_many(error: RateLimitExceeded):
    """Over the limit: say so, and give the customer back everything they typed."""
    message = _("Too many requests from your connection: wait a minute, then send again.")
    if request.endpoint == "contact.form":
        contact_form = _contact_form()
        contact_form.form_errors.append(message)
        return _render_form(contact_form, 429)
    if request.endpoint == "contact.affected":
        try:
            incident = db.session.get(Incident, request.view_args.get("incident_id", ""))
        except DATABASE_ERRORS:  # limited and the database down: the plain page says it all
            with suppress(*DATABASE_ERRORS):
                db.session.rollback()
            incident = None
        if incident is not None:
            affected_form = f.AffectedForm()
            affected_form.form_errors.append(message)
            view = ov.view_incident(incident, now=app_now())
            return render_template("contact/affected.html", form=affected_form, view=view), 429
    return render_template("errors/error.html", error=error), 429


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def form():
    lang = current_language()
    contact_form = _contact_form()
    if request.method == "GET":
        contact_form.lang.data = lang
        contact_form.submission_key.data = secrets.token_urlsafe(24)
        incident_id = request.args.get("incident", "")
        try:
            incident = db.session.get(Incident, incident_id) if is_public_id(incident_id) else None
        except DATABASE_ERRORS:
            db.session.rollback()
            incident = None
        if incident is not None:
            contact_form.subject.data = incident.name
    status = 200
    if contact_form.validate_on_submit():
        key = contact_form.submission_key.data or ""
        # The key is ours (set on the form); one that is not is dropped, never the request.
        receipt = intake.submit(
            db.session,
            request_input(contact_form),
            key if 0 < len(key) <= 64 else None,
            now=app_now(),
        )
        return redirect(links.request_path(receipt))
    if request.method == "POST":
        status = 422
    return _render_form(contact_form, status)


def _load(reference: str, token: str) -> SupportRequest:
    if not links.token_ok(reference, token):
        abort(404)
    stored = db.session.execute(
        select(SupportRequest).where(SupportRequest.reference == reference)
    ).scalar_one_or_none()
    if stored is None:
        abort(404)
    return stored


@bp.get("/requests/<reference>")
def request_page(reference: str):
    """The customer's private page. A GET never changes the request (mail scanners follow links):
    `?answer=` only brings forward the form of the answer chosen in a mail."""
    token = request.args.get("t", "")
    if not links.token_ok(reference, token):
        abort(404)
    try:
        with bounded(db.session, current_app.config["INTAKE_TIMEOUT_MS"]):
            stored = _load(reference, token)
    except (NotFound, *DATABASE_ERRORS) as error:
        if isinstance(error, DATABASE_ERRORS):
            db.session.rollback()
        waiting = spool.find(reference)
        if waiting is None:
            raise
        return render_template("contact/spooled.html", stored=waiting)
    if stored.state is rq.RequestState.PROPOSED:
        try:
            deflection.expire_proposal(
                db.session, stored, current_app.config["MATCH_HIGH_THRESHOLD"], now=app_now()
            )
            db.session.flush()  # a move made at the same moment shows here, not at the commit
        except StaleDataError:  # the worker's timer moved it at the same moment: show that
            db.session.rollback()
            stored = _load(reference, token)
    answer = request.args.get("answer")
    return _render_request(stored, answer=answer if answer in deflection.ANSWERS else None)


def _render_request(
    stored: SupportRequest,
    *,
    answer: str | None = None,
    broken_form: f.StillBrokenForm | None = None,
    error: str | None = None,
    status: int = 200,
):
    token = links.token_for(stored.reference)
    incident, relation = deflection.shown_incident(db.session, stored)
    view = ov.incident_page(db.session, incident.id, now=app_now()) if incident else None
    unanswered = time_left = None
    choices: list[tuple[ov.IncidentView, list[str]]] = []
    if stored.state is rq.RequestState.PROPOSED:
        high = current_app.config["MATCH_HIGH_THRESHOLD"]
        unanswered = deflection.unanswered_outcome(stored, high)
        time_left = rq.proposal_time_left(stored.proposed_at, app_now())
        name = reasons.service_namer(deflection.service_names(db.session), current_language())
        for incident_id, offered_reasons in deflection.offered(stored):
            shown = ov.incident_page(db.session, incident_id, now=app_now())
            if shown is not None:
                choices.append((shown, reasons.for_customer(offered_reasons, name)))
    return render_template(
        "contact/request.html",
        stored=stored,
        view=view,
        relation=relation,
        form=f.RequestActionForm(t=token),
        broken_form=broken_form or f.StillBrokenForm(t=token),
        answer=answer,
        unanswered=unanswered,
        time_left=time_left,
        choices=choices,
        error=error,
    ), status


ACTIONS = {
    "confirm": deflection.confirm,
    "decline": deflection.decline,
    "fixed": deflection.fixed,
}


@bp.post(
    "/requests/<reference>/<any(accept, confirm, decline, different, fixed, 'still-broken'):action>"
)
def request_action(reference: str, action: str):
    forms = {"still-broken": f.StillBrokenForm, "accept": f.AcceptForm}
    action_form = forms.get(action, f.RequestActionForm)()
    stored = _load(reference, action_form.t.data or "")
    if not action_form.validate_on_submit():
        if action == "still-broken":  # what the customer wrote comes back with the error
            return _render_request(
                stored, answer="still-broken", broken_form=action_form, status=422
            )
        abort(400)
    moment = app_now()
    try:
        if action == "different":
            deflection.detach(db.session, stored, now=moment, actor=stored.email, by_staff=False)
        elif action == "still-broken":
            deflection.still_broken(db.session, stored, action_form.details.data or "", now=moment)
        elif action == "accept":
            deflection.accept(db.session, stored, action_form.incident.data or None, now=moment)
        else:
            ACTIONS[action](db.session, stored, now=moment)
    except rq.NotOfferedError:
        discard_refused()
        message = _(
            "This incident was not offered for your request: choose one of those shown, "
            "or tell us your problem is different."
        )
        return _render_request(stored, error=message, status=422)
    except rq.TransitionError as error:
        flash_refused(error, _("This was already done; here is where your request stands."))
    else:
        flash(
            {
                "accept": _("Done: we will tell you as soon as it is fixed."),
                "confirm": _("Done: we will tell you as soon as it is fixed."),
                "decline": _("Understood: your request is in our queue, we will answer it."),
                "different": _("Understood: your request is in our queue, we will answer it."),
                "fixed": _("Thank you for telling us. Your request is closed."),
                "still-broken": _(
                    "Thank you: your request is back in our queue, with its "
                    "history. We will answer it."
                ),
            }[action],
            "success",
        )
    return redirect(links.request_path(stored))


@bp.route("/incidents/<incident_id>/affected", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def affected(incident_id: str):
    """ "I'm affected too": an email, no ticket to write."""
    if not is_public_id(incident_id):
        abort(404)
    if request.method == "GET":
        affected_form = f.AffectedForm()
        affected_form.lang.data = current_language()
        view = ov.view_incident(_incident_or_404(incident_id), now=app_now())
        return render_template("contact/affected.html", form=affected_form, view=view)
    try:
        return _record_affected(incident_id)
    except DATABASE_ERRORS as error:
        with suppress(*DATABASE_ERRORS):
            db.session.rollback()
        log.warning("database cannot take an 'affected too' (%s): asked to send again", error)
        return _affected_unavailable(incident_id)


def _incident_or_404(incident_id: str) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        abort(404)
    return incident


def _record_affected(incident_id: str):
    moment = app_now()
    affected_form = f.AffectedForm()
    try:
        # a locked or slow database makes the customer wait this long at most
        with bounded(db.session, current_app.config["INTAKE_TIMEOUT_MS"]):
            view = ov.view_incident(_incident_or_404(incident_id), now=moment)
            if not view.active or not affected_form.validate_on_submit():
                status = 422 if view.active else 409
                return render_template(
                    "contact/affected.html", form=affected_form, view=view
                ), status
            stored = deflection.affected_too(
                db.session,
                view.incident,
                affected_form.email.data,
                affected_form.lang.data,
                now=moment,
            )
            deflection.acknowledge(db.session, stored, now=moment)
    except rq.TransitionError:
        discard_refused()
        return render_template("contact/affected.html", form=affected_form, view=view), 409
    # written now, inside `affected`'s guard: a database that cannot take it gets the page that
    # gives the address back; the request's commit (`database.init_app`) then has nothing to wait on
    db.session.flush()
    # Never the private link here: anyone can type an address, and the one who follows this
    # incident with it already has that link by mail. Whether it was new or not looks the same,
    # so the answer tells nobody who follows which incident.
    flash(
        _(
            "Done: we will tell you as soon as it is fixed. The link to follow it is in the mail "
            "we sent you."
        ),
        "success",
    )
    return redirect(url_for("contact.affected", incident_id=incident_id))


def _affected_unavailable(incident_id: str):
    """The database cannot take the address: a 503 that says so in the visitor's language and
    gives back what they typed, to send again (unlike a ticket, an address is not spooled: the
    worker could not tell the customer anything more than this page does)."""
    affected_form = f.AffectedForm()
    affected_form.validate()  # the field errors too, without the database
    affected_form.form_errors.append(
        _(
            "We could not record your address: our database is not answering at the moment. "
            "Nothing was saved: send the form again in a few minutes, your address is still "
            "filled in below."
        )
    )
    page = render_template(
        "contact/affected_unavailable.html", form=affected_form, incident_id=incident_id
    )
    return page, 503, {"Retry-After": "30"}
