"""Scale on PostgreSQL: 10 years, 10,000 incidents, then 10k, 100k and 1M support requests.

The data is made set-based: one incident (with its updates and component changes) and one
request are written through the app's own services, then copied by `INSERT ... SELECT ...
FROM generate_series` with new ids and dates spread over 10 years (minutes, not hours). At each
size, in process (Flask's test client: server time, no HTTP), median of the runs:
- the console's ticket list, first page and a filtered page (state and service, a page of 50
  queued requests), signed in, with the SQL statements each sends; the incident list;
- one match (`POST /api/v1/requests/match`) against 5 active incidents;
- a render of `/` and `/history` (the page cache emptied before each);
- the peak memory (max RSS) of one `flask worker --once` round.

    tests/with-postgres.sh .venv/bin/python bench/scale.py
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, func, select, text

from statuspage import create_app
from statuspage.cache import page_cache
from statuspage.content import load_catalogue
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component, Incident, StaffRole, SupportRequest
from statuspage.services import deflection
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.operations import IncidentInput, add_update, open_incident, resolve
from statuspage.services.staff import create_staff

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
YEARS = 10
PASSWORD = "bench password for the console"


def columns(table: str) -> list[str]:
    return [c.name for c in db.metadata.tables[table].columns]


def copy_rows(table: str, where: str, series: tuple[int, int], replace: dict[str, str]) -> int:
    """INSERT ... SELECT the rows of `table` matching `where` once per g in the series,
    each column copied unless `replace` gives its SQL expression (of `t.*` and `g`)."""
    names = columns(table)
    values = ", ".join(replace.get(name, f"t.{name}") for name in names)
    statement = text(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {values} "  # noqa: S608 (our names)
        f"FROM {table} t CROSS JOIN generate_series(CAST(:first AS integer), "
        f"CAST(:last AS integer)) AS g WHERE {where}"
    )
    result = db.session.execute(statement, {"first": series[0], "last": series[1]})
    return result.rowcount


def seed_incidents(count: int, components: list[str]) -> None:
    """One resolved incident through the services, then `count - 1` copies over 10 years."""
    start = NOW - timedelta(days=365 * YEARS)
    template = open_incident(
        db.session,
        IncidentInput(
            name="Template outage",
            kind=st.IncidentKind.INCIDENT,
            status=st.IncidentStatus.INVESTIGATING,
            impact=st.Impact.MAJOR,
            body="Some customers cannot reach the service.",
            components={components[0]: "partial_outage"},
            started_at=start,
        ),
        actor="bench",
        now=start,
    )
    add_update(
        db.session,
        template,
        status=st.IncidentStatus.IDENTIFIED,
        body="Found: a faulty switch.",
        components=None,
        actor="bench",
        now=start + timedelta(minutes=20),
    )
    resolve(db.session, template, "Fixed.", actor="bench", now=start + timedelta(minutes=75))
    db.session.flush()
    step = int(YEARS * 365 * 24 * 60 / count)  # minutes between two incidents
    new_id = "substr(md5('i' || g), 1, 12)"
    shift = f"make_interval(mins => g * {step})"
    where = f"t.id = '{template.id}'"
    copy_rows(
        "incident",
        where,
        (1, count - 1),
        {
            "id": new_id,
            "name": "'Outage ' || g",
            "impact": "(ARRAY['minor', 'major', 'critical'])[1 + g % 3]",
            **{
                name: f"t.{name} + {shift}"
                for name in ("started_at", "monitoring_at", "resolved_at", "created_at")
            },
            "updated_at": f"t.updated_at + {shift}",
        },
    )
    copy_rows(
        "incident_update",
        f"t.incident_id = '{template.id}'",
        (1, count - 1),
        {
            "id": "substr(md5(t.id || g), 1, 12)",
            "incident_id": new_id,
            "display_at": f"t.display_at + {shift}",
            "created_at": f"t.created_at + {shift}",
            "updated_at": f"t.updated_at + {shift}",
        },
    )
    names = columns("component_change")
    component_pick = "(ARRAY[" + ", ".join(f"'{c}'" for c in components) + "])"
    db.session.execute(
        text(
            f"INSERT INTO component_change ({', '.join(n for n in names if n != 'id')}) "  # noqa: S608
            "SELECT "
            + ", ".join(
                {
                    "update_id": "substr(md5(c.update_id || g), 1, 12)",
                    "component_id": f"{component_pick}[1 + g % {len(components)}]",
                }.get(n, f"c.{n}")
                for n in names
                if n != "id"
            )
            + " FROM component_change c JOIN incident_update u ON u.id = c.update_id "
            "CROSS JOIN generate_series(1, CAST(:last AS integer)) AS g "
            "WHERE u.incident_id = :template"
        ),
        {"last": count - 1, "template": template.id},
    )


def seed_requests(
    first: int, last: int, components: list[str], template_id: int, incidents: int
) -> None:
    """Copies of the template request, numbered first..last, spread over 10 years."""
    step = int(YEARS * 365 * 24 * 3600 / 1_000_000)  # seconds: 1M requests over 10 years
    states = "(ARRAY['closed', 'closed', 'closed', 'attached', 'queued', 'queued'])"
    component_pick = "(ARRAY[" + ", ".join(f"'{c}'" for c in components) + "])"
    copy_rows(
        "support_request",
        f"t.id = {template_id}",
        (first, last),
        {
            "id": "t.id + g",
            "reference": "'B-' || lpad(g::text, 8, '0')",
            "email": "'customer' || (g % 200000) || '@example.com'",
            "state": f"{states}[1 + g % 6]",
            "service_id": f"{component_pick}[1 + g % {len(components)}]",
            "incident_id": (
                f"CASE WHEN g % 6 = 3 THEN substr(md5('i' || (1 + g % {incidents - 1})), 1, 12) END"
            ),
            "created_at": f"t.created_at - make_interval(secs => g * {step})",
            "updated_at": f"t.created_at - make_interval(secs => g * {step})",
            "submission_key": "NULL",
        },
    )


def timings_ms(call, runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def median_ms(call, runs: int) -> float:
    return statistics.median(timings_ms(call, runs))


def statements(app, call) -> list[tuple[str, object]]:
    """The SQL statements (and parameters) one call sends."""
    sent = []

    def keep(conn, cursor, statement, parameters, *_):
        sent.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return sent


def cost_ms(app, call, runs: int) -> tuple[float, float]:
    """What a page costs the machine, less its waits for a CPU on a shared machine: the median
    CPU time of the process serving it, and the database's own time for its statements (the
    planning and execution times PostgreSQL reports for each, run again under EXPLAIN
    ANALYZE), median of `runs`."""
    cpu = []
    for _ in range(runs):
        started = time.process_time()
        call()
        cpu.append((time.process_time() - started) * 1000)
    sent = [(sql, p) for sql, p in statements(app, call) if sql.lstrip().startswith("SELECT")]
    database = []
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            for _ in range(runs):
                total = 0.0
                for sql, parameters in sent:
                    cursor.execute(f"EXPLAIN (ANALYZE, SUMMARY) {sql}", parameters)
                    for (line,) in cursor.fetchall():
                        if line.startswith(("Planning Time:", "Execution Time:")):
                            total += float(line.split(":")[1].split()[0])
                database.append(total)
            connection.rollback()
        finally:
            connection.close()
    return statistics.median(cpu), statistics.median(database)


def worker_memory_mb(url: str) -> float:
    env = {**os.environ, "STATUSPAGE_DATABASE_URL": url, "STATUSPAGE_SECRET_KEY": "bench"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--once"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("STATUSPAGE_TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("run under tests/with-postgres.sh (PostgreSQL)")
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "CLOCK": lambda: NOW,
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    load = os.getloadavg()[0]
    started = time.monotonic()
    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_catalogue(db.session, load_catalogue(ROOT / "content"), now=NOW - timedelta(days=3700))
        leaves = [
            c.id
            for c in db.session.execute(select(Component).order_by(Component.position)).scalars()
            if not c.is_group
        ]
        webmail = db.session.execute(
            select(Component.id).where(Component.key == "webmail")
        ).scalar_one()
        seed_incidents(args.incidents, leaves)
        for number, key in enumerate(("webmail", "livedns", "smtp-in", "web-hosting-paris", "ssl")):
            component = (
                db.session.execute(
                    select(Component.id).where(Component.key == key)
                ).scalar_one_or_none()
                or leaves[number]
            )
            open_incident(
                db.session,
                IncidentInput(
                    name=f"Active {key} incident",
                    kind=st.IncidentKind.INCIDENT,
                    status=st.IncidentStatus.INVESTIGATING,
                    impact=st.Impact.MAJOR,
                    body=f"Customers report errors with {key}.",
                    components={component: "major_outage"},
                    started_at=NOW - timedelta(minutes=30 + number),
                ),
                actor="bench",
                now=NOW - timedelta(minutes=30 + number),
            )
        request = deflection.store(
            db.session,
            deflection.RequestInput(
                email="template@example.com",
                name="Template",
                service_id=webmail,
                domain=None,
                subject="Webmail",
                message="I cannot read my mail since this morning.",
                lang="en",
            ),
            now=NOW,
        )
        create_staff(db.session, "admin@example.com", StaffRole.ADMIN, now=NOW, password=PASSWORD)
        db.session.commit()
        template_id = request.id
        incidents = db.session.execute(select(func.count(Incident.id))).scalar()
    seeded = time.monotonic() - started

    client = app.test_client()
    login = client.post("/staff/login", data={"email": "admin@example.com", "password": PASSWORD})
    assert login.status_code == 302, login.status_code
    rows = []
    done = 1
    # request g names leaves[g % n] and is queued when g % 6 is 4 or 5: a full page of them
    filtered = f"/staff/tickets?state=queued&service={leaves[4 % len(leaves)]}"
    for size in (int(s) for s in args.sizes.split(",")):
        fill = time.monotonic()
        with app.app_context():
            seed_requests(done, size - 1, leaves, template_id, args.incidents)
            db.session.commit()
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            total = db.session.execute(select(func.count(SupportRequest.id))).scalar()
            cache = page_cache()
        fill = time.monotonic() - fill
        done = size

        def get(path: str) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        def render(path: str, cache=cache) -> None:
            cache.clear()
            get(path)

        def match() -> None:
            response = client.post(
                "/api/v1/requests/match",
                json={
                    "subject": "Webmail",
                    "message": "Webmail says server error when I log in since 11:40.",
                    "service": webmail,
                    "lang": "en",
                },
            )
            assert response.status_code == 200, response.data

        get("/staff/tickets")  # warm
        rows.append(
            {
                "requests": total,
                "fill": fill,
                "tickets": timings_ms(lambda: get("/staff/tickets"), args.runs),
                "filtered": timings_ms(lambda: get(filtered), args.runs),
                "statements": len(statements(app, lambda: get("/staff/tickets"))),
                "filtered statements": len(statements(app, lambda: get(filtered))),
                "cost": cost_ms(app, lambda: get("/staff/tickets"), args.runs),
                "filtered cost": cost_ms(app, lambda: get(filtered), args.runs),
                "incidents": median_ms(lambda: get("/staff/incidents"), args.runs),
                "second": median_ms(lambda: get("/staff/tickets?page=2000"), args.runs),
                "match": median_ms(match, args.runs * 3),
                "home": median_ms(lambda: render("/?lang=en"), args.runs),
                "history": median_ms(lambda: render("/history?lang=en"), args.runs),
                "worker": worker_memory_mb(url),
            }
        )
        print(rows[-1], file=sys.stderr, flush=True)

    print(f"### Scale on PostgreSQL: `bench/scale.py` ({time.strftime('%Y-%m-%d')})\n")
    print(
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{incidents:,} incidents over {YEARS} years (each with 3 updates), seeded in "
        f"{seeded:.0f} s; 5 incidents active. Server time in process (Flask's test client), "
        f"median of {args.runs} (matches: {args.runs * 3}); load average before the run "
        f"{load:.1f}, after {os.getloadavg()[0]:.1f}.\n"
    )
    print(
        "| requests | added in | ticket list, page 1 | filtered (state, service) | page 2000 "
        "| incident list | one match | `/` render | `/history` render | worker round, max RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['requests']:,} | {row['fill']:.0f} s "
            f"| {statistics.median(row['tickets']):.1f} ms (best {min(row['tickets']):.1f}; "
            f"{row['statements']} statements) "
            f"| {statistics.median(row['filtered']):.1f} ms (best {min(row['filtered']):.1f}; "
            f"{row['filtered statements']} statements) "
            f"| {row['second']:.1f} ms | {row['incidents']:.1f} ms | {row['match']:.1f} ms "
            f"| {row['home']:.1f} ms | {row['history']:.1f} ms | {row['worker']:.0f} MB |"
        )
    print(
        "\nThe console's two pages without the waits for a CPU: the app's CPU time and the "
        "database's own (planning + execution) time, medians:\n"
    )
    print("| requests | ticket list, page 1 | filtered (state, service) |")
    print("|---|---|---|")
    for row in rows:
        print(
            f"| {row['requests']:,} "
            f"| {sum(row['cost']):.1f} ms (CPU {row['cost'][0]:.1f} + database "
            f"{row['cost'][1]:.1f}) "
            f"| {sum(row['filtered cost']):.1f} ms (CPU {row['filtered cost'][0]:.1f} + "
            f"database {row['filtered cost'][1]:.1f}) |"
        )


if __name__ == "__main__":
    main()
