"""How long one match takes with 5 active incidents, as the contact form lives it.

    .venv/bin/python bench/matcher.py

The matcher is built once (as the app does, once per data version) and loads the committed
model once per process. Each of the labelled requests is matched against 5 active incidents
taken from the labelled sets, each with all its updates published; every request is timed on
its own. Prints the median, p95, p99 and max, and the time to load the model and build the
matcher.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import evaluation  # noqa: E402
from statuspage.domain.matching import Incident, Matcher, Model, Request, training  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = [DATA / "deflection-dev.json", DATA / "deflection-train.json"]


def main() -> None:
    started = time.perf_counter()
    model = Model.load()
    loaded = time.perf_counter() - started
    services = evaluation.services_of(str(ROOT / "content"))
    started = time.perf_counter()
    matcher = Matcher(services, model=model)
    built = time.perf_counter() - started
    examples = training.examples(SETS, services)
    # five incidents with many published updates, all active at the request's time
    pool: dict[str, Incident] = {}
    for example in examples:
        for incident in example.incidents:
            if incident.kind == "incident" and len(incident.updates) >= len(
                pool.get(incident.id, incident).updates
            ):
                pool[incident.id] = incident
    chosen = sorted(pool.values(), key=lambda i: -len(i.updates))[:5]
    timings = []
    for round_ in range(3):
        for example in examples:
            at = max(u.at for i in chosen for u in i.updates) + timedelta(minutes=10 + round_)
            active = [
                Incident(
                    **{
                        **i.__dict__,
                        "started_at": at - timedelta(hours=2),
                        "resolved_at": None,
                        "closed": False,
                    }
                )  # fmt: skip
                for i in chosen
            ]
            request = Request(**{**example.request.__dict__, "at": at})
            begin = time.perf_counter()
            matcher.match(request, active)
            timings.append((time.perf_counter() - begin) * 1000)
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]

    print(f"model load {loaded * 1000:.1f} ms, matcher build {built * 1000:.1f} ms")
    print(
        f"{len(timings)} matches against 5 active incidents: median "
        f"{statistics.median(timings):.2f} ms, p95 {pct(0.95):.2f} ms, p99 {pct(0.99):.2f} ms, "
        f"max {timings[-1]:.2f} ms"
    )


if __name__ == "__main__":
    main()
