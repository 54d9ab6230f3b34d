"""The share panel of an update: links and ready-to-post texts in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from babel.dates import format_time
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from statuspage import links
from statuspage.domain import status as st
from statuspage.domain.share import ShareParts, compose, first_sentence, next_update_in
from statuspage.domain.texts import LANGUAGES
from statuspage.filters import noted_text
from statuspage.i18n import LABELS, local_time, page_zone, zone_name
from statuspage.markup import plain_text
from statuspage.models import Incident, IncidentUpdate

#: the impact and the services, in words
IMPACT_ON = {
    st.Impact.NONE: _l("Services concerned: %(services)s."),
    st.Impact.MINOR: _l("Minor impact on %(services)s."),
    st.Impact.MAJOR: _l("Major impact on %(services)s."),
    st.Impact.CRITICAL: _l("Critical impact on %(services)s."),
    st.Impact.MAINTENANCE: _l("Maintenance of %(services)s."),
}


@dataclass(frozen=True)
class SharePanel:
    permalink: str
    shortlink: str
    texts: dict[str, str]  #: language -> text of at most 280 characters


def _services(incident: Incident, update: IncidentUpdate, lang: str) -> list[str]:
    """The services the update changes, else every service the incident affects."""
    changed = [c.component for c in update.changes]
    if not changed:
        held = st.impacted_components(incident.facts())
        named = {c.component_id: c.component for u in incident.updates for c in u.changes}
        changed = [named[i] for i in held if i in named]
    names: list[str] = []
    for component in changed:
        name = component.name(lang)
        if name not in names:
            names.append(name)
    return names


def _when(incident: Incident, update: IncidentUpdate) -> str:
    """When the next news is due: the next update the text announces, or a maintenance's
    window ("" when neither)."""
    if update.status in st.CLOSED_STATUSES:
        return ""
    if (
        incident.kind is st.IncidentKind.MAINTENANCE
        and update.status is st.IncidentStatus.SCHEDULED
    ):
        if incident.scheduled_for and incident.scheduled_until:
            end = format_time(
                incident.scheduled_until.astimezone(page_zone()), "short", locale=_lang()
            )
            end = " ".join((end, zone_name(incident.scheduled_until)))
            start = local_time(incident.scheduled_for, named=False)
            return gettext("From %(start)s to %(end)s.", start=start, end=end)
        return ""
    texts = update.texts("body")
    delta = next_update_in(texts[_lang()]) or next_update_in(" ".join(texts.values()))
    if delta is None:
        return ""
    due = update.display_at + delta
    time = format_time(due.astimezone(page_zone()), "short", locale=_lang())
    time = " ".join((time, zone_name(due)))
    return gettext("Next update by %(time)s.", time=time)


def _lang() -> str:
    from statuspage.i18n import current_language

    return current_language()


def parts(incident: Incident, update: IncidentUpdate, lang: str, link: str) -> ShareParts:
    """One language's pieces (call under `force_locale(lang)`)."""
    services = _services(incident, update, lang)
    impact = str(IMPACT_ON[incident.impact]) % {"services": ", ".join(services)} if services else ""
    own = update.texts("body")[lang]
    changed = first_sentence(plain_text(own)) if own.strip() else ""
    if changed and next_update_in(changed):  # the announcement of the next update: said below
        changed = ""
    return ShareParts(
        status=str(LABELS["incident"][update.status]),
        title=noted_text(incident.text("name", lang)),
        link=link,
        impact=impact,
        changed=changed,
        next_update=_when(incident, update),
    )


def panel(incident: Incident, update: IncidentUpdate) -> SharePanel:
    link = links.shortlink(incident.id)
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            texts[lang] = compose(parts(incident, update, lang, link))
    return SharePanel(links.permalink(update.incident_id, update.id), link, texts)
