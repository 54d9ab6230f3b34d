"""The matcher applied to customer requests: the catalogue and the active incidents, read
once per data version, as `domain.matching` reads them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import (
    or_,
    select,
)
from sqlalchemy.orm import Session

from statuspage.content import catalogue_cached
from statuspage.database import bounded
from statuspage.domain import matching
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.models import (
    Component,
    Incident,
    with_timeline,
)
from statuspage.services.versioning import current_version


@dataclass(frozen=True)
class RequestInput:
    email: str
    name: str
    service_id: str | None
    domain: str | None
    subject: str
    message: str
    lang: str


def services(session: Session) -> list[matching.Service]:
    """The catalogue as the matcher reads it; dependencies come from `content/catalogue/`."""
    rows = list(session.execute(select(Component)).scalars())
    by_key = {c.key: c.id for c in rows}
    depends = {e.key: e.depends_on for e in catalogue_cached(current_app.config["CONTENT_DIR"])}
    return [
        matching.Service(
            id=c.id,
            names=(c.name_en, c.name_fr),
            aliases=tuple((c.aliases or {}).get("en", []) + (c.aliases or {}).get("fr", [])),
            descriptions=(c.description_en, c.description_fr),
            group_id=c.group_id,
            depends_on=tuple(by_key[k] for k in depends.get(c.key, ()) if k in by_key),
            key=c.key,
        )
        for c in rows
    ]


def service_names(session: Session) -> dict[str, Component]:
    """Components by id, to put a reason's service into the reader's language."""
    return {c.id: c for c in session.execute(select(Component)).scalars()}


def model() -> matching.Model:
    """The committed artifact, or the one a test or an evaluation fold sets in `MATCH_MODEL`."""
    chosen = current_app.config.get("MATCH_MODEL")
    if not chosen:
        return matching.default_model()
    if isinstance(chosen, matching.Model):
        return chosen
    return _model_from(str(chosen))


@cache
def _model_from(path: str) -> matching.Model:
    return matching.Model.load(path)


_building = threading.Lock()


def matcher(session: Session, version: int | None = None) -> matching.Matcher:
    """Built from the catalogue once per data version, not once per contact-form submission."""
    config = current_app.config
    chosen = model()
    key = (
        current_version(session) if version is None else version,
        config["MATCH_PROPOSAL_THRESHOLD"],
        config["MATCH_HIGH_THRESHOLD"],
        id(chosen),
    )
    cached = current_app.extensions.get("statuspage_matcher")
    if cached is not None and cached[0] == key:
        return cached[1]
    with _reading(session):  # outside the lock: a slow database holds no one else
        catalogue = services(session)
    with _building:  # the threads of a process starting together build it once
        cached = current_app.extensions.get("statuspage_matcher")
        if cached is not None and cached[0] == key:
            return cached[1]
        built = matching.Matcher(
            catalogue,
            proposal_threshold=config["MATCH_PROPOSAL_THRESHOLD"],
            high_threshold=config["MATCH_HIGH_THRESHOLD"],
            model=chosen,
        )
        current_app.extensions["statuspage_matcher"] = (key, built)
        return built


def as_candidate(incident: Incident) -> matching.Incident:
    """The matcher's view of an incident: its title and updates in both languages at once, so a
    request written in either language finds it."""
    affected = st.impacted_components(incident.facts())
    return matching.Incident(
        id=incident.id,
        name=tx.both(incident.texts("name"), " / "),
        kind=incident.kind.value,
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        scheduled_for=incident.scheduled_for,
        scheduled_until=incident.scheduled_until,
        closed=incident.status in st.CLOSED_STATUSES,
        components=tuple(affected),
        keywords=tuple(incident.keywords or ()),
        updates=tuple(
            matching.Update(u.display_at, tx.both(u.texts("body"))) for u in incident.updates
        ),
    )


def active_at(session: Session, at: datetime, until: datetime | None = None) -> list[Incident]:
    """Incidents and maintenances that may be active at `at` (the matcher has the last word);
    with `until`, at any moment from `at` to `until`."""
    begins = Incident.begins_at
    query = (
        select(Incident)
        .where(
            begins <= (until or at),
            or_(Incident.resolved_at.is_(None), Incident.resolved_at > at),
            or_(Incident.scheduled_until.is_(None), Incident.scheduled_until > at),
        )
        .options(with_timeline())
    )
    return list(session.execute(query).scalars())


#: The active incidents, as the matcher reads them, are loaded once per data version for a
#: window of time: a maintenance window opens without any change to the data, so a read is good
#: for this long at most.
CANDIDATES_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Candidates:
    version: int
    start: datetime
    end: datetime
    incidents: tuple[matching.Incident, ...]


def _data_version(session: Session) -> int:
    """The data version as the public pages read it (at most once a second per process; a
    change committed by this process at once); read in `session` when that read fails, so a
    database that does not answer fails the caller (which spools) instead of matching blind."""
    from statuspage.cache import version_reader  # the web layer's reader, shared by the pages

    version = version_reader().current()
    if version is not None:
        return version
    with _reading(session):
        return current_version(session)


def _reading(session: Session):
    """The reads of a match, when it must read, bounded as the intake is: a database that does
    not answer fails the request (which is spooled), it does not hold it. Nothing to bound
    when all is kept: the usual submission during an incident sends no statement to match."""
    return bounded(session, current_app.config["INTAKE_TIMEOUT_MS"])


def candidates(session: Session, at: datetime) -> tuple[int, tuple[matching.Incident, ...]]:
    """(data version, the incidents that may be active at `at`, prepared for the matcher).

    Read from the database once per data version and `CANDIDATES_WINDOW`, not once per
    submission: during an incident, every contact request is matched against the same few."""
    version = _data_version(session)
    kept: Candidates | None = current_app.extensions.get("statuspage_candidates")
    if kept is not None and kept.version == version and kept.start <= at <= kept.end:
        return version, kept.incidents
    until = at + CANDIDATES_WINDOW
    with _reading(session):
        incidents = tuple(as_candidate(i) for i in active_at(session, at, until))
    current_app.extensions["statuspage_candidates"] = Candidates(version, at, until, incidents)
    return version, incidents


def match(session: Session, data: RequestInput, at: datetime) -> matching.Result:
    """The matcher's answer for a request sent at `at`: only the request's own features are
    computed here; the incidents' are kept per data version (`candidates`, `matching.Matcher`)."""
    version, incidents = candidates(session, at)
    request = matching.Request(
        subject=data.subject,
        message=data.message,
        at=at,
        service_id=data.service_id,
        domain=data.domain,
        lang=data.lang,
    )
    return matcher(session, version).match(request, incidents)
