"""Cost of the public home page: rendered once per data change, then served from memory.

Seeds the catalogue and `--years` of history (incidents every ~2 days, 3 updates each, and a
maintenance every 15 incidents that completes by its window alone), then
measures with Flask's test client on a SQLite file:
- a render (cache emptied before each request): must not grow with years of history;
- a cached request (what every reload costs during an outage).

    .venv/bin/python bench/public_pages.py --years 1
    .venv/bin/python bench/public_pages.py --years 10
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from statuspage import create_app
from statuspage.cache import page_cache
from statuspage.content import load_catalogue
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.incidents import create_incident, post_update

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def seed(years: int) -> int:
    sync_catalogue(
        db.session, load_catalogue(ROOT / "content"), now=NOW - timedelta(days=365 * years)
    )
    leaves = [c.id for c in db.session.execute(db.select(Component)).scalars() if not c.is_group]
    rng = random.Random(1)
    count = 0
    moment = NOW - timedelta(days=365 * years)
    while moment < NOW - timedelta(hours=6):
        component = rng.choice(leaves)
        incident = create_incident(
            db.session,
            name=f"Incident {count}",
            kind=st.IncidentKind.INCIDENT,
            status=st.IncidentStatus.INVESTIGATING,
            impact=st.Impact.MINOR,
            body="Looking.",
            components={component: st.ComponentStatus.PARTIAL_OUTAGE},
            now=moment,
        )
        post_update(
            db.session,
            incident,
            status=st.IncidentStatus.IDENTIFIED,
            body="Found.",
            components=None,
            now=moment + timedelta(minutes=20),
        )
        post_update(
            db.session,
            incident,
            status=st.IncidentStatus.RESOLVED,
            body="Fixed.",
            components=None,
            now=moment + timedelta(minutes=75),
        )
        count += 1
        if count % 15 == 0:  # and a maintenance now and then, completed by its window alone
            create_incident(
                db.session,
                name=f"Maintenance {count}",
                kind=st.IncidentKind.MAINTENANCE,
                status=st.IncidentStatus.SCHEDULED,
                impact=st.Impact.MAINTENANCE,
                body="Planned work.",
                components={component: st.ComponentStatus.UNDER_MAINTENANCE},
                now=moment - timedelta(days=7),
                scheduled_for=moment + timedelta(hours=3),
                scheduled_until=moment + timedelta(hours=5),
            )
        if count % 200 == 0:
            db.session.commit()
        moment += timedelta(hours=rng.randrange(24, 72))
    db.session.commit()
    return count


PATHS = ("/?lang=en", "/api/v2/summary.json", "/history.atom")


def measure(client, app, runs: int, cached: bool, path: str = "/?lang=en") -> float:
    timings = []
    with app.app_context():
        cache = page_cache()
    for _ in range(runs):
        if not cached:
            cache.clear()
        start = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                "SECRET_KEY": "bench",
                "CLOCK": lambda: NOW,
            }
        )
        with app.app_context():
            db.create_all()
            incidents = seed(args.years)
        client = app.test_client()
        for path in PATHS:
            client.get(path)
            render = measure(client, app, args.runs, cached=False, path=path)
            cached = measure(client, app, args.runs * 10, cached=True, path=path)
            print(
                f"{path} years={args.years} incidents={incidents} render_ms={render:.1f} "
                f"cached_ms={cached:.2f} ratio={render / cached:.0f}x"
            )


if __name__ == "__main__":
    main()
