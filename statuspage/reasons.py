"""The matcher's reasons in the reader's words: plain sentences for customers, more for staff.

The matcher gives reasons as data (a code and its facts); this module is the only place that puts
them into words, in the reader's language. Customers see the reasons that speak *for* the
incident, never stems or scores; staff also see the evidence against it and each reason's share
of the score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

TEXTS = {
    # for the customer
    "service_affected": _l("You chose %(service)s, which this incident affects."),
    "service_group": _l("You chose %(service)s, which includes a service this incident affects."),
    "names_service": _l("Your message speaks of %(service)s, which this incident affects."),
    "shared_words": _l("Your message mentions %(words)s, as our updates do."),
    "codes": _l("Your message mentions %(codes)s, as our updates do."),
    "tld": _l("Your domain ends in %(tld)s, which this incident concerns."),
    "datacenter": _l("You mention %(datacenter)s, where this incident is."),
    "sites_and_mail": _l("Your websites and mail fail together, as in this incident."),
    "service_related": _l(
        "You chose %(service)s, which works with a service this incident affects."
    ),
    "onset_match": _l("You say it began “%(words)s”, at the time of this incident."),
    "reads_as_service": _l("What you describe concerns %(service)s, which this incident affects."),
    "quote_explained": _l("The message you quote is one our updates describe."),
    # for staff only
    "service_other": _l("Picked %(service)s, which this incident does not affect."),
    "service_excluded": _l("Picked %(service)s, which the updates say is not affected."),
    "names_excluded_service": _l("Names %(service)s, which the updates say is not affected."),
    "tld_conflict": _l("The extension %(tld)s is outside the incident's scope."),
    "datacenter_conflict": _l("Names %(datacenter)s, not the incident's datacenter."),
    "onset_before": _l("Says it began “%(words)s”, before the incident."),
    "third_party": _l("Names %(words)s, outside our platform."),
    "cue_howto": _l("Reads like a how-to question (“%(words)s”)."),
    "cue_sales": _l("Reads like a sales question (“%(words)s”)."),
    "cue_billing": _l("Reads like a billing request (“%(words)s”)."),
    "cue_gdpr": _l("Reads like a personal-data request (“%(words)s”)."),
    "cue_abuse": _l("Reads like an abuse report (“%(words)s”)."),
    "cue_early_renewal": _l("Asks about renewing early (“%(words)s”)."),
    "cue_precaution": _l("Asks as a precaution, or says it works (“%(words)s”)."),
    "cue_recovered": _l("Says it works again (“%(words)s”)."),
    "quote_unexplained": _l("Quotes a message our updates do not explain."),
    "cue_own_change": _l("Follows a change of the customer's own (“%(words)s”)."),
}
DATACENTERS = {"paris": "Paris", "luxembourg": "Luxembourg"}


def _as_data(reason: Any) -> dict[str, Any]:
    """Stored reasons are dicts; older rows hold plain English sentences."""
    if isinstance(reason, Mapping):
        return dict(reason)
    if isinstance(reason, str):
        return {"code": "", "text": reason, "params": {}, "customer": False, "weight": 0.0}
    return reason.as_data()


def sentence(reason: Any, service_name: Callable[[str], str]) -> str:
    data = _as_data(reason)
    if "text" in data:
        return data["text"]
    template = TEXTS.get(data["code"])
    if template is None:
        return data["code"]
    params = dict(data.get("params") or {})
    if "service" in params:
        params["service"] = service_name(params["service"])
    if "datacenter" in params:
        params["datacenter"] = DATACENTERS.get(params["datacenter"], params["datacenter"])
    return str(template) % params


def service_namer(components: Mapping[str, Any], lang: str) -> Callable[[str], str]:
    """A service id as the reader calls it, from components by id (`deflection.service_names`)."""

    def name(service_id: str) -> str:
        component = components.get(service_id)
        return component.name(lang) if component is not None else service_id

    return name


def for_customer(reasons: Iterable[Any], service_name: Callable[[str], str]) -> list[str]:
    """The reasons a customer reads: those that speak for the incident, strongest first."""
    chosen = [r for r in map(_as_data, reasons) if r.get("customer")]
    chosen.sort(key=lambda r: -float(r.get("weight") or 0.0))
    return [sentence(r, service_name) for r in chosen[:3]]


def for_staff(
    reasons: Iterable[Any], service_name: Callable[[str], str]
) -> list[tuple[str, float]]:
    """Every reason with its share of the score (log-odds), largest first."""
    found = [
        (sentence(r, service_name), float(r.get("weight") or 0.0)) for r in map(_as_data, reasons)
    ]
    return sorted(found, key=lambda item: -abs(item[1]))
