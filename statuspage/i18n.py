"""Languages: `?lang=`, then the cookie, then the browser's `Accept-Language`."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from flask import Flask, current_app, request
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from statuspage.domain import backlog, localtime
from statuspage.domain import status as st
from statuspage.domain.helpdesk import HandoffReason
from statuspage.domain.requests import RequestState
from statuspage.domain.texts import LANGUAGES
from statuspage.extensions import babel

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def select_locale() -> str:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return request.accept_languages.best_match(
        LANGUAGES, default=current_app.config["DEFAULT_LANGUAGE"]
    )


def current_language() -> str:
    return str(get_locale() or "en")


def json_language() -> str:
    """What the JSON API and the feeds speak: `?lang=`, else the site's default language (not
    the browser's: machines read them, and one URL gives one answer)."""
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else current_app.config["DEFAULT_LANGUAGE"]


def page_zone() -> ZoneInfo:
    """The zone of the times people read and type (`STATUSPAGE_TIMEZONE`)."""
    return localtime.zone(current_app.config["TIMEZONE"])


def zone_name(moment: datetime | None = None) -> str:
    """ "Paris time" / "heure de Paris", with CET or CEST as `moment` requires; "UTC"."""
    place = page_zone()
    city = _city(place, current_language())
    if city is None:
        return "UTC"
    name = gettext("%(city)s time", city=city)
    if moment is None:
        return name
    return f"{name} ({localtime.abbreviation(moment, place)})"


def local_time(moment: datetime, *, named: bool = True) -> str:
    """A time as people read it: "15 janv. 2026, 14:00 heure de Paris (CET)"."""
    place = page_zone()
    locale = _locale(current_language())
    here = moment.astimezone(place)
    text = locale.datetime_formats["medium"].format(
        format_time(here, "short", locale=locale), format_date(here, "medium", locale=locale)
    )
    return f"{text} {zone_name(moment)}" if named else text


@cache
def _locale(lang: str) -> Locale:
    """Babel's locale, parsed once: a list of 50 requests shows 50 times (babel parses the
    name again on each call given a string)."""
    return Locale.parse(lang)


@cache
def _city(place: ZoneInfo, lang: str) -> str | None:
    return localtime.city(place, lang)


def local_date(moment: datetime) -> str:
    """The day of `moment` in the page's zone: "15 janvier 2026"."""
    return format_date(moment.astimezone(page_zone()), "long", locale=current_language())


def _remember_language(response):
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE,
            asked,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(_remember_language)

    app.jinja_env.globals.update(
        labels=LABELS,
        languages=LANGUAGES,
        request_states=REQUEST_STATES,
        event_labels=EVENT_LABELS,
        staff_request_states=STAFF_REQUEST_STATES,
        staff_event_labels=STAFF_EVENT_LABELS,
        handoff_reasons=HANDOFF_REASONS,
        language_names=LANGUAGE_NAMES,
        autonyms=AUTONYMS,
        backlog_reason=backlog_reason,
    )

    @app.context_processor
    def _language():
        return {"lang": current_language(), "zone_name": zone_name, "local_time": local_time}


LABELS = {
    "component": {
        st.ComponentStatus.OPERATIONAL: _l("Operational"),
        st.ComponentStatus.DEGRADED_PERFORMANCE: _l("Degraded performance"),
        st.ComponentStatus.PARTIAL_OUTAGE: _l("Partial outage"),
        st.ComponentStatus.MAJOR_OUTAGE: _l("Major outage"),
        st.ComponentStatus.UNDER_MAINTENANCE: _l("Under maintenance"),
    },
    "incident": {
        st.IncidentStatus.INVESTIGATING: _l("Investigating"),
        st.IncidentStatus.IDENTIFIED: _l("Identified"),
        st.IncidentStatus.MONITORING: _l("Monitoring"),
        st.IncidentStatus.RESOLVED: _l("Resolved"),
        st.IncidentStatus.POSTMORTEM: _l("Postmortem"),
        st.IncidentStatus.SCHEDULED: _l("Scheduled"),
        st.IncidentStatus.IN_PROGRESS: _l("In progress"),
        st.IncidentStatus.VERIFYING: _l("Verifying"),
        st.IncidentStatus.COMPLETED: _l("Completed"),
    },
    "impact": {
        st.Impact.NONE: _l("No impact"),
        st.Impact.MINOR: _l("Minor"),
        st.Impact.MAJOR: _l("Major"),
        st.Impact.CRITICAL: _l("Critical"),
        st.Impact.MAINTENANCE: _l("Maintenance"),
    },
    "indicator": {
        st.Indicator.NONE: _l("All Systems Operational"),
        st.Indicator.MINOR: _l("Minor Service Outage"),
        st.Indicator.MAJOR: _l("Partial System Outage"),
        st.Indicator.CRITICAL: _l("Major Service Outage"),
        st.Indicator.MAINTENANCE: _l("Service Under Maintenance"),
    },
}

REQUEST_STATES = {
    RequestState.RECEIVED: _l("Received"),
    RequestState.PROPOSED: _l("Waiting for your answer"),
    RequestState.ATTACHED: _l("Attached to a known incident: we will tell you when it is fixed"),
    RequestState.AWAITING_CONFIRMATION: _l("Resolved: waiting for your confirmation"),
    RequestState.QUEUED: _l("In our support queue: we will answer you"),
    RequestState.CLOSED: _l("Closed"),
}

EVENT_LABELS = {
    "received": _l("Request received"),
    "proposed": _l("A known incident was proposed"),
    "attached": _l("Attached to the incident"),
    "attached by staff": _l("Attached to the incident by our team"),
    "declined": _l("You said your problem is different"),
    "detached": _l("You said your problem is different"),
    "detached by staff": _l("Our team moved it to the support queue"),
    "queued": _l("Placed in the support queue"),
    "resolved": _l("The incident was resolved"),
    "fixed": _l("You confirmed it is fixed"),
    "still broken": _l("You said it is still broken"),
    "confirmed": _l("You confirmed it is your problem"),
    "closed": _l("Closed"),
    "handed off": _l("Passed to our support team: they will answer you by email"),
}

#: What staff read: the state's name, not the sentence the customer reads.
STAFF_REQUEST_STATES = {
    RequestState.RECEIVED: _l("Received"),
    RequestState.PROPOSED: _l("Proposed"),
    RequestState.ATTACHED: _l("Attached"),
    RequestState.AWAITING_CONFIRMATION: _l("Awaiting confirmation"),
    RequestState.QUEUED: _l("Queued"),
    RequestState.CLOSED: _l("Closed"),
}

STAFF_EVENT_LABELS = {
    "received": _l("Received"),
    "proposed": _l("Proposed"),
    "attached": _l("Attached"),
    "attached by staff": _l("Attached by staff"),
    "declined": _l("Declined by the customer"),
    "detached": _l("Detached by the customer"),
    "detached by staff": _l("Detached by staff"),
    "queued": _l("Queued"),
    "resolved": _l("Incident resolved"),
    "fixed": _l("Fixed, confirmed by the customer"),
    "still broken": _l("Still broken, said the customer"),
    "confirmed": _l("Confirmed by the customer"),
    "closed": _l("Closed"),
    "handed off": _l("Handed off to the help desk"),
}

HANDOFF_REASONS = {
    HandoffReason.NO_MATCH: _l("No known incident matched the request."),
    HandoffReason.MATCHER_UNAVAILABLE: _l("The request could not be compared with the incidents."),
    HandoffReason.INTERRUPTED: _l("The request could not be compared with the incidents."),
    HandoffReason.DECLINED: _l("The customer said the proposed incident is not their problem."),
    HandoffReason.UNANSWERED: _l("The customer did not answer a doubtful proposal in time."),
    HandoffReason.INCIDENT_OVER: _l("The incident the customer chose was already over."),
    HandoffReason.DETACHED: _l("The customer left the incident: their problem is different."),
    HandoffReason.DETACHED_BY_STAFF: _l("Our team moved the request off the incident."),
    HandoffReason.STILL_BROKEN: _l("Still broken for the customer after the resolution."),
}

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French")}
#: Each language in itself, as a language switch or a language choice names it.
AUTONYMS = {"en": "English", "fr": "Français"}


def backlog_reason(text: str) -> str:
    """A Backlog Killer event's reason in the reader's language."""
    reason = backlog.read_reason(text)
    if reason.kind == "forced on":
        return gettext("forced on")
    if reason.kind == "forced off":
        return gettext("forced off")
    if reason.kind == "not triggered":
        return gettext("no active incident of a triggering impact")
    if reason.kind == "triggered":
        impacts = " / ".join(str(LABELS["impact"][i]).lower() for i in reason.impacts)
        return ngettext(
            "%(num)d active incident of impact %(impacts)s",
            "%(num)d active incidents of impact %(impacts)s",
            reason.count,
            impacts=impacts,
        )
    return reason.text
