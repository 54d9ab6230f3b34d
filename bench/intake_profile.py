"""Where one contact submission's time goes: `POST /api/v1/requests` in process (Flask's test
client, no HTTP), during a critical Webmail incident, against the one-row insert of
bench/minimal_app.py in the same database.

Prints, per submission: wall time, the SQL statements (by kind, and each distinct one with its
count), the commits, and with `--profile` the top functions by cumulative time (cProfile).

    .venv/bin/python bench/intake_profile.py                                # SQLite file
    tests/with-postgres.sh .venv/bin/python bench/intake_profile.py         # PostgreSQL
    .venv/bin/python bench/intake_profile.py --profile 40                   # cProfile
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statuspage import create_app  # noqa: E402
from statuspage.content import load_catalogue  # noqa: E402
from statuspage.domain import status as st  # noqa: E402
from statuspage.extensions import db  # noqa: E402
from statuspage.models import Component  # noqa: E402
from statuspage.services.catalogue import sync_catalogue  # noqa: E402
from statuspage.services.operations import IncidentInput, open_incident  # noqa: E402


def body(number: int) -> dict:
    lang = "fr" if number % 3 == 0 else "en"
    message = (
        "Je n'arrive plus à me connecter au webmail depuis 10h, erreur à la connexion."
        if lang == "fr"
        else "I cannot log in to webmail since 10:00, it says server error."
    )
    return {
        "email": f"customer{number}@example.com",
        "name": f"Customer {number}",
        "subject": "Webmail",
        "message": message,
        "lang": lang,
        "submission_key": f"profile-{number:06d}",
    }


def shape(statement: str) -> str:
    """A statement without its literals, on one line: what to count."""
    one = " ".join(statement.split())
    one = re.sub(r"\(\?(, \?)*\)", "(?…)", one)
    return one[:160]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many submissions")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="statuspage-intake-"))
    url = os.environ.get("STATUSPAGE_TEST_DATABASE_URL") or f"sqlite:///{work / 'intake.db'}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret",
            "BASE_URL": "http://127.0.0.1:8000",
            "RATELIMIT_ENABLED": False,
            "SPOOL_DIR": str(work / "spool"),
            "OUTBOX_DIR": str(work / "outbox"),
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        sync_catalogue(db.session, load_catalogue(ROOT / "content"), now=now)
        db.session.commit()
        webmail = db.session.execute(
            db.select(Component.id).where(Component.name_en == "Webmail")
        ).scalar_one()
        open_incident(
            db.session,
            IncidentInput(
                name="Webmail login failures",
                kind=st.IncidentKind.INCIDENT,
                status=st.IncidentStatus.INVESTIGATING,
                impact=st.Impact.CRITICAL,
                body="Customers cannot sign in to webmail: **server error** at login.",
                components={webmail: "major_outage"},
                keywords=("webmail", "login"),
            ),
            actor="bench",
            now=now,
        )
        db.session.commit()
        engine = db.engine
    statements: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    counting = [False]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        if counting[0]:
            statements[shape(statement)] += 1
            kinds[statement.split(None, 1)[0].upper()] += 1

    @event.listens_for(engine, "commit")
    def _commit(conn):
        if counting[0]:
            kinds["(commit)"] += 1

    client = app.test_client()
    for number in range(20):  # warm: the model, the matcher, the templates, the pool
        response = client.post("/api/v1/requests", json=body(10_000_000 + number))
        assert response.status_code == 201, response.get_data(as_text=True)
    proposed = 0
    times = []
    counting[0] = True
    for number in range(args.requests):
        started = time.perf_counter()
        response = client.post("/api/v1/requests", json=body(number))
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.get_data(as_text=True)
        proposed += json.loads(response.get_data())["proposal"] is not None
    counting[0] = False
    n = args.requests
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"## {database}: {n} submissions, {proposed} proposed the incident")
    print(f"median {statistics.median(times):.1f} ms, mean {statistics.mean(times):.1f} ms")
    print("per submission: " + ", ".join(f"{k} {v / n:.1f}" for k, v in kinds.most_common()))
    for statement, count in statements.most_common():
        print(f"  {count / n:4.1f}  {statement}")

    # the baseline: one row through the minimal app's route, same database
    os.environ["STATUSPAGE_DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT / "bench"))
    import minimal_app

    minimal_app.create()
    minimal = minimal_app.app.test_client()
    for _ in range(20):
        minimal.post("/insert", data=b"{}")
    base = []
    for number in range(n):
        started = time.perf_counter()
        minimal.post("/insert", data=json.dumps(body(number)).encode())
        base.append((time.perf_counter() - started) * 1000)
    print(f"minimal route: median {statistics.median(base):.1f} ms (one INSERT, one commit)")
    print(f"ratio of medians: {statistics.median(base) / statistics.median(times):.2f}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(args.profile):
            client.post("/api/v1/requests", json=body(20_000_000 + number))
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    with app.app_context():
        db.session.remove()
        if database == "PostgreSQL":
            db.drop_all()
        db.engine.dispose()


if __name__ == "__main__":
    main()
