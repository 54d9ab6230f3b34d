"""What a visitor waits for while the database is locked: pages and contact requests.

On a SQLite file, with Flask's test client (no HTTP), the app warmed once, then:
- `/` served N times with the database free, then N times while another process holds an
  exclusive lock (the last good render is served; the version is read at most once a second,
  with a 250 ms timeout);
- M contact requests through `POST /api/v1/requests` while locked: each waits
  `INTAKE_TIMEOUT_MS`, then is spooled (fsync) and acknowledged; then one worker round ingests
  them all.

    .venv/bin/python bench/outage.py
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from statuspage import create_app
from statuspage.content import load_catalogue
from statuspage.extensions import db
from statuspage.models import SupportRequest
from statuspage.services import intake
from statuspage.services.catalogue import sync_catalogue

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def locked(path: Path):
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def timed(call, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name}: n={len(times)} median {statistics.median(times):.2f} ms, "
        f"p99 {p99:.2f} ms, max {max(times):.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{path}",
                "SECRET_KEY": "bench",
                "SPOOL_DIR": str(Path(folder) / "spool"),
                "OUTBOX_DIR": str(Path(folder) / "outbox"),
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.create_all()
            sync_catalogue(db.session, load_catalogue(ROOT / "content"), now=NOW)
            db.session.commit()
        client = app.test_client()
        assert client.get("/?lang=en").status_code == 200

        def page() -> None:
            assert client.get("/?lang=en").status_code == 200

        print(summary("/ database free  ", timed(page, args.pages)))
        with locked(path):
            print(summary("/ database locked", timed(page, args.pages)))
            stale = app.extensions["statuspage_page_cache"].stale_served
            reads = app.extensions["statuspage_version_reader"].reads
            print(f"  served stale: {stale}; version reads in all: {reads}")

            def request() -> None:
                response = client.post(
                    "/api/v1/requests",
                    json={"email": "a@example.com", "subject": "DNS", "message": "SERVFAIL"},
                )
                assert response.status_code == 202, response.status_code

            print(summary("contact request, locked (spooled)", timed(request, args.requests)))
        with app.app_context():
            start = time.perf_counter()
            ingested = intake.ingest(db.session, now=NOW)
            elapsed = (time.perf_counter() - start) * 1000
            stored = db.session.execute(db.select(db.func.count(SupportRequest.id))).scalar()
        print(f"ingested {ingested} in {elapsed:.0f} ms; stored {stored} of {args.requests}")


if __name__ == "__main__":
    main()
