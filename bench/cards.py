"""Cost of an incident's og:image card: drawn once per content and language, then from memory.

Three costs with Flask's test client on a SQLite file, for one incident with five services:
- drawn: both caches emptied (what the first crawler after a change costs);
- page cache missed, card kept: the data changed elsewhere, the card is the same PNG (what every
  other change of the site costs a card);
- cached: what every later crawler costs.

    .venv/bin/python bench/cards.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from statuspage import create_app
from statuspage.cache import page_cache
from statuspage.content import load_catalogue
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.incidents import create_incident

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def seed() -> str:
    sync_catalogue(db.session, load_catalogue(ROOT / "content"), now=NOW)
    leaves = [c.id for c in db.session.execute(db.select(Component)).scalars() if not c.is_group]
    incident = create_incident(
        db.session,
        name="Delays in receiving email on mailboxes hosted in Paris and Luxembourg",
        kind=st.IncidentKind.INCIDENT,
        status=st.IncidentStatus.IDENTIFIED,
        impact=st.Impact.MAJOR,
        body="Queues are growing.",
        components=dict.fromkeys(leaves[:5], st.ComponentStatus.PARTIAL_OUTAGE),
        now=NOW,
    )
    db.session.commit()
    return incident.id


def measure(client, app, path: str, runs: int, empty: tuple[bool, bool]) -> float:
    with app.app_context():
        pages = page_cache()
    _fonts, cards = app.extensions["statuspage_cards"]
    timings = []
    for _ in range(runs):
        if empty[0]:
            pages.clear()
        if empty[1]:
            cards._entries.clear()
        start = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200
        assert response.mimetype == "image/png"
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
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
            incident = seed()
        client = app.test_client()
        path = f"/incidents/{incident}/card.png?lang=fr"
        size = len(client.get(path).data)
        drawn = measure(client, app, path, args.runs, (True, True))
        kept = measure(client, app, path, args.runs, (True, False))
        cached = measure(client, app, path, args.runs * 10, (False, False))
        print(
            f"card bytes={size} drawn_ms={drawn:.1f} page_missed_card_kept_ms={kept:.1f} "
            f"cached_ms={cached:.2f} ratio={drawn / cached:.0f}x"
        )


if __name__ == "__main__":
    main()
