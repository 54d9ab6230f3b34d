"""The console's lists at scale: a page costs the same number of SQL statements whatever the
number of incidents and requests on it (no query per row), and the queue's pager works without
counting the queue. Timings live in bench/scale.py; these are behaviour guards."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import event, func, select

from statuspage.domain import status as st
from statuspage.domain.requests import RequestState
from statuspage.extensions import db
from statuspage.models import Incident, RequestEvent, SupportRequest
from statuspage.services import deflection

from .conftest import new_incident

SERVICES = ("livedns", "webmail", "smtp-in", "payments", "ssl", "web-redirection", "secondary-dns")


def store(session, clock, components, n: int, service: str | None, **fields) -> SupportRequest:
    request = deflection.store(
        session,
        deflection.RequestInput(
            email=f"customer{n}@example.com",
            name="",
            service_id=components[service].id if service else None,
            domain=None,
            subject=fields.pop("subject", f"Request {n}"),
            message="Something is wrong.",
            lang="en",
        ),
        now=fields.pop("created_at", clock.now),
    )
    request.state = fields.pop("state", RequestState.QUEUED)
    for name, value in fields.items():
        setattr(request, name, value)
    return request


def seed(data, clock, components, incidents: int) -> list[str]:
    """`incidents` incidents, each with requests tied to it in every way the numbers count:
    attached, attached then still broken, declined, proposed, detached by staff, naming its
    service while it is active, plus a queued one naming no service."""
    ids = []
    for n in range(incidents):
        service = SERVICES[n % len(SERVICES)]
        begins = clock.now - timedelta(hours=2 * n + 1)
        iid = new_incident(
            data,
            clock,
            components,
            name=f"Outage {n}",
            component=service,
            status="major_outage",
            impact=st.Impact.MAJOR,
            started_at=begins,
        )
        ids.append(iid)
        at = begins + timedelta(minutes=5)
        later = clock.now + timedelta(minutes=1)
        with data() as session:
            number = 100 * n
            store(
                session,
                clock,
                components,
                number,
                service,
                created_at=at,  # after the
                state=RequestState.ATTACHED,
                incident_id=iid,
                attached_at=later,
            )  # update
            store(
                session,
                clock,
                components,
                number + 1,
                service,
                created_at=at,
                state=RequestState.QUEUED,
                incident_id=iid,
                attached_at=at,
                still_broken=True,
            )
            store(
                session,
                clock,
                components,
                number + 2,
                None,
                created_at=at,
                declined_incident_id=iid,
            )
            store(
                session,
                clock,
                components,
                number + 3,
                None,
                created_at=at,
                state=RequestState.PROPOSED,
                proposed_incident_id=iid,
                proposed_at=clock.now,
            )
            detached = store(
                session, clock, components, number + 4, None, created_at=at, detached_by_staff=True
            )
            session.add(
                RequestEvent(
                    request=detached,
                    at=at,
                    action="detached by staff",
                    actor="staff@example.com",
                    detail=iid,
                )
            )
            store(session, clock, components, number + 5, service, created_at=at)
            store(session, clock, components, number + 6, None, created_at=at)
    return ids


@contextmanager
def statements(app):
    """Counts the SQL statements sent while the block runs."""
    sent: list[str] = []

    def count(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cost(app, admin, url: str) -> int:
    admin.get(url)  # timers, caches: what a first view does once
    with statements(app) as sent:
        response = admin.get(url)
    assert response.status_code == 200
    return len(sent)


PAGES = (
    "/staff/tickets",
    "/staff/tickets?state=all&service={service}",
    "/staff/incidents",
    "/staff/",
)


def test_the_console_lists_cost_the_same_statements_for_7_or_21_incidents(
    app, admin, data, clock, components
):
    """The ticket list (master tickets, queue), its filtered page, the incident list and the
    dashboard: 3× the incidents and requests on the page (on the same services), not one
    statement more."""
    seed(data, clock, components, len(SERVICES))
    urls = [url.format(service=components["livedns"].id) for url in PAGES]
    small = {url: cost(app, admin, url) for url in urls}
    seed(data, clock, components, 2 * len(SERVICES))
    with data() as session:
        assert session.scalar(select(func.count(Incident.id))) == 3 * len(SERVICES)
    large = {url: cost(app, admin, url) for url in urls}
    assert large == small
    assert max(large.values()) <= 30, large


def test_the_numbers_of_a_page_are_those_of_each_incident_alone(app, data, clock, components):
    """Counted together in one query, each incident keeps its own numbers (issue 8's rules:
    a request naming no service counts only for the incident it is tied to, a still-broken one
    is not attached)."""
    ids = seed(data, clock, components, 5)
    with app.app_context():
        rows = deflection.master_tickets(db.session, now=clock.now)
        assert [row.incident.id for row in rows] == ids  # newest first
        for row in rows:
            numbers = (
                row.attached,
                row.still_broken,
                row.declined,
                row.detached_by_staff,
                row.received,
                row.new_since_update,
            )
            # attached, still broken, declined, detached, received: the first two, the
            # declined, proposed and detached ones, and the one naming the service then;
            # never the queued one naming no service.
            assert numbers == (1, 1, 1, 1, 6, 1), row.incident.name
            alone = deflection.stats(db.session, row.incident, now=clock.now)
            assert alone == row


def test_a_request_naming_the_service_of_two_concurrent_incidents_counts_once_for_each(
    app, data, clock, components
):
    first = new_incident(
        data,
        clock,
        components,
        name="DNS A",
        component="livedns",
        status="major_outage",
        impact=st.Impact.MAJOR,
        started_at=clock.now - timedelta(minutes=30),
    )
    second = new_incident(
        data,
        clock,
        components,
        name="DNS B",
        component="livedns",
        status="partial_outage",
        impact=st.Impact.MINOR,
        started_at=clock.now - timedelta(minutes=20),
    )
    with data() as session:
        store(session, clock, components, 1, "livedns")
        store(
            session,
            clock,
            components,
            2,
            "livedns",
            state=RequestState.ATTACHED,
            incident_id=first,
            attached_at=clock.now,
            proposed_incident_id=first,
        )
    with app.app_context():
        rows = {
            row.incident.id: row for row in deflection.master_tickets(db.session, now=clock.now)
        }
    assert (rows[first].received, rows[first].attached) == (2, 1)
    assert (rows[second].received, rows[second].attached) == (2, 0)


# -- the queue's pager ---------------------------------------------------------------------------


def queue(data, clock, components, count: int, service: str = "webmail") -> None:
    """`count` queued requests, one a minute, numbered from the oldest (0) to the newest."""
    with data() as session:
        for n in range(count):
            store(
                session,
                clock,
                components,
                n,
                service,
                subject=f"Queued {n:03d}",
                created_at=clock.now - timedelta(minutes=count - n),
            )


def subjects(html: str) -> list[str]:
    return re.findall(r"Queued (\d{3})", html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]+)">([^<]+)</a>', html)
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("lang", "newer", "older"), [("en", "Newer", "Older"), ("fr", "Plus récents", "Plus anciens")]
)
def test_the_queue_pages_newer_and_older_in_both_languages(
    admin, data, clock, components, lang, newer, older
):
    queue(data, clock, components, 120)
    first = admin.get(f"/staff/tickets?lang={lang}").get_data(as_text=True)
    assert subjects(first) == [f"{n:03d}" for n in range(119, 69, -1)]  # the 50 newest
    assert link(first, "prev") is None
    assert f"{older} →" in first
    second = admin.get(link(first, "next")).get_data(as_text=True)
    assert subjects(second) == [f"{n:03d}" for n in range(69, 19, -1)]
    assert f"← {newer}" in second
    last = admin.get(link(second, "next")).get_data(as_text=True)
    assert subjects(last) == [f"{n:03d}" for n in range(19, -1, -1)]  # the 20 oldest
    assert link(last, "next") is None  # nothing older
    back = admin.get(link(last, "prev")).get_data(as_text=True)
    assert subjects(back) == subjects(second)


def test_the_pager_keeps_the_filter_and_stops_at_a_full_last_page(admin, data, clock, components):
    queue(data, clock, components, 100, service="webmail")
    queue(data, clock, components, 7, service="payments")
    url = f"/staff/tickets?service={components['webmail'].id}&lang=en"
    first = admin.get(url).get_data(as_text=True)
    assert len(subjects(first)) == 50
    older = link(first, "next")
    assert f"service={components['webmail'].id}" in older
    second = admin.get(older).get_data(as_text=True)
    assert len(subjects(second)) == 50  # exactly the rest: no empty third page offered
    assert link(second, "next") is None
    assert f"service={components['webmail'].id}" in link(second, "prev")
    payments = admin.get(f"/staff/tickets?service={components['payments'].id}").get_data(
        as_text=True
    )
    assert len(subjects(payments)) == 7
    assert link(payments, "next") is None
    assert link(payments, "prev") is None
