"""Replays a labelled deflection file through the product and measures the matcher.

Each scenario runs in a throwaway database and is *replayed live*: events in time order, each at
its own time on the app's clock. An incident is opened through the staff API at its first
published update, each later update is posted at its own time, and each request is matched at its
`at` time through the public match endpoint (the contact form's code path), so it sees only what
was published by then. With folds (leave one scenario out), each scenario is scored by a model
trained on all the others: the figure that counts.

Metrics, defined the same everywhere:
  precision = correct proposals / all proposals
  recall = correct proposals / requests whose `expected` is not null
  false-proposal rate = proposals on requests whose `expected` is null / such requests
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from statuspage.models import StaffRole


@dataclass
class Outcome:
    scenario: str
    request_id: str
    lang: str
    expected: str | None
    proposal: str | None
    shown: list[str] = field(default_factory=list)  #: incidents offered to the customer
    matches: list[dict[str, Any]] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.expected == self.proposal


@dataclass(frozen=True)
class Metrics:
    precision: float
    recall: float
    false_proposal_rate: float
    requests: int
    proposals: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f}  recall {self.recall:.3f}  "
            f"false-proposal rate {self.false_proposal_rate:.3f}  "
            f"({self.requests} requests, {self.proposals} proposals)"
        )


def metrics(outcomes: Iterable[Outcome]) -> Metrics:
    outcomes = list(outcomes)
    proposals = [o for o in outcomes if o.proposal is not None]
    correct = [o for o in proposals if o.proposal == o.expected]
    positives = [o for o in outcomes if o.expected is not None]
    negatives = [o for o in outcomes if o.expected is None]
    false = [o for o in negatives if o.proposal is not None]
    return Metrics(
        precision=len(correct) / len(proposals) if proposals else 1.0,
        recall=len(correct) / len(positives) if positives else 1.0,
        false_proposal_rate=len(false) / len(negatives) if negatives else 0.0,
        requests=len(outcomes),
        proposals=len(proposals),
    )


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _component_status(kind: str, status: str) -> str:
    """The file gives each component's final status; a resolved incident did affect it."""
    if status != "operational":
        return status
    return "under_maintenance" if kind == "maintenance" else "partial_outage"


def _incident_payload(incident: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    first = min(incident["updates"], key=lambda u: u["at"])
    payload = {
        "name": incident["name"],
        "kind": incident["kind"],
        "status": first["status"],
        "impact": incident["impact"],
        "body": first["body"],
        "display_at": first["at"],
        "components": {
            ids[name]: _component_status(incident["kind"], status)
            for name, status in incident["components"].items()
        },
        "keywords": incident.get("keywords") or [],
    }
    if incident["kind"] == "maintenance":
        payload["scheduled_for"] = incident["scheduled_for"]
        payload["scheduled_until"] = incident["scheduled_until"]
    else:
        payload["started_at"] = incident["started_at"]
    return payload


def events(scenario: dict[str, Any]) -> list[tuple[str, int, str, Any]]:
    """Everything that happens in a scenario, in time order, each at its own time.

    An incident exists from its first published update (the form cannot know it before, even
    when its `started_at` is earlier); each later update is posted at its own time; a request is
    matched at its own time against what is published by then. At the same minute, what staff
    published comes first.
    """
    found: list[tuple[str, int, str, Any]] = []
    for incident in scenario["incidents"]:
        updates = sorted(incident["updates"], key=lambda u: u["at"])
        found.append((updates[0]["at"], 0, "open", incident))
        found += [(u["at"], 0, "update", (incident, u)) for u in updates[1:]]
    found += [(r["at"], 1, "request", r) for r in scenario["requests"]]
    return sorted(found, key=lambda e: (_when(e[0]), e[1]))


def replay_scenario(app, clock: _Clock, scenario: dict[str, Any]) -> list[Outcome]:
    """One scenario lived through the product: staff API calls and match calls, in time order."""
    from statuspage.content import load_catalogue
    from statuspage.extensions import db
    from statuspage.models import Component
    from statuspage.services.catalogue import sync_catalogue
    from statuspage.services.staff import create_token

    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_catalogue(db.session, load_catalogue(Path(app.config["CONTENT_DIR"])), now=clock.now)
        _, token = create_token(
            db.session, "evaluate", StaffRole.RESPONDER, actor="evaluate", now=clock.now
        )
        db.session.commit()
        ids = {c.name_en: c.id for c in db.session.execute(db.select(Component)).scalars()}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created: dict[str, str] = {}
    outcomes = []
    for at, _, kind, item in events(scenario):
        clock.now = _when(at)
        if kind == "open":
            response = client.post(
                "/api/v1/incidents", json=_incident_payload(item, ids), headers=headers
            )
            if response.status_code != 201:
                raise RuntimeError(f"{item['key']}: {response.get_json()}")
            created[item["key"]] = response.get_json()["id"]
        elif kind == "update":
            incident, update = item
            url = f"/api/v1/incidents/{created[incident['key']]}"
            if update["status"] in ("resolved", "completed"):
                response = client.post(
                    f"{url}/resolve",
                    json={"body": update["body"], "display_at": update["at"]},
                    headers=headers,
                )
            else:
                response = client.post(
                    f"{url}/updates",
                    json={
                        "status": update["status"],
                        "body": update["body"],
                        "display_at": update["at"],
                    },
                    headers=headers,
                )
            if response.status_code >= 300:
                raise RuntimeError(f"{incident['key']}: {response.get_json()}")
        else:
            outcomes.append(_match(client, scenario["id"], item, ids, created))
    return outcomes


def _match(client, scenario_id, request, ids, created) -> Outcome:
    keys = {v: k for k, v in created.items()}
    payload = {
        "service": ids.get(request["service"]) if request["service"] else None,
        "subject": request["subject"],
        "message": request["message"],
        "domain": request["domain"],
        "lang": request["lang"],
        "at": request["at"],
    }
    response = client.post("/api/v1/requests/match", json=payload)
    if response.status_code != 200:
        raise RuntimeError(f"{request['id']}: {response.get_json()}")
    result = response.get_json()
    return Outcome(
        scenario=scenario_id,
        request_id=request["id"],
        lang=request["lang"],
        expected=request["expected"],
        proposal=keys.get(result["proposal"]) if result["proposal"] else None,
        shown=[keys.get(i, i) for i in result.get("shown", [])],
        matches=[
            {**m, "incident_id": keys.get(m["incident_id"], m["incident_id"])}
            for m in result["matches"]
        ],
    )


def services_of(content_dir: str):
    from statuspage.content import load_catalogue
    from statuspage.domain.matching import Service

    return [
        Service(
            e.key,
            (e.names["en"], e.names["fr"]),
            tuple(e.aliases["en"] + e.aliases["fr"]),
            tuple(e.descriptions.values()),
            e.group,
            e.depends_on,
        )
        for e in load_catalogue(Path(content_dir))
    ]


def evaluate(
    paths: Iterable[Path], base_config: dict[str, Any], folds: bool = False
) -> list[Outcome]:
    """Every scenario replayed live; with `folds`, each scored by a model trained without it."""
    from statuspage import create_app

    datasets = [json.loads(Path(p).read_text(encoding="utf-8")) for p in paths]
    scenarios = [s for data in datasets for s in data["scenarios"]]
    clock = _Clock()
    examples: list = []
    services = services_of(base_config["CONTENT_DIR"])
    if folds:
        from statuspage.domain.matching import training

        examples = training.examples(list(paths), services)
    with tempfile.TemporaryDirectory(prefix="statuspage-evaluate-") as folder:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/evaluate.db",
                "SECRET_KEY": secrets.token_hex(16),
                "CLOCK": clock,
                "RATELIMIT_ENABLED": False,
                "CONTENT_DIR": base_config["CONTENT_DIR"],
                "MATCH_MODEL": base_config.get("MATCH_MODEL") or "",
                "MATCH_PROPOSAL_THRESHOLD": base_config["MATCH_PROPOSAL_THRESHOLD"],
                "MATCH_HIGH_THRESHOLD": base_config["MATCH_HIGH_THRESHOLD"],
                "OUTBOX_DIR": f"{folder}/outbox",
            }
        )
        outcomes = []
        for scenario in scenarios:
            if folds:
                kept = [e for e in examples if e.scenario != scenario["id"]]
                app.config["MATCH_MODEL"] = training.fit(kept, services)
            outcomes += replay_scenario(app, clock, scenario)
        with app.app_context():
            from statuspage.extensions import db

            db.engine.dispose()
    return outcomes


def shown_rate(outcomes: Iterable[Outcome]) -> tuple[int, int]:
    """Among requests about an active incident: how often it is among those shown."""
    positives = [o for o in outcomes if o.expected is not None]
    return sum(1 for o in positives if o.expected in o.shown), len(positives)


def report(outcomes: list[Outcome]) -> str:
    lines = [f"overall      {metrics(outcomes)}"]
    hit, total = shown_rate(outcomes)
    two = sum(1 for o in outcomes if len(o.shown) > 1)
    lines.append(
        f"shown        the right incident is among those shown for {hit} of {total} requests "
        f"about one ({hit / max(total, 1):.3f}); two incidents offered {two} times"
    )
    for lang in sorted({o.lang for o in outcomes}):
        lines.append(f"lang {lang:7} {metrics(o for o in outcomes if o.lang == lang)}")
    for scenario in dict.fromkeys(o.scenario for o in outcomes):
        lines.append(f"{scenario:12} {metrics(o for o in outcomes if o.scenario == scenario)}")
    misses = [o for o in outcomes if not o.correct]
    false = sum(1 for o in misses if o.expected is None)
    wrong = sum(1 for o in misses if o.expected is not None and o.proposal is not None)
    missed = sum(1 for o in misses if o.expected is not None and o.proposal is None)
    lines.append("")
    lines.append(
        f"misses: {len(misses)} ({false} proposals where none was expected, {wrong} proposals of "
        f"the wrong incident, {missed} requests about an incident not offered it)"
    )
    for miss in misses:
        lines.append(
            f"- {miss.request_id} ({miss.lang}): expected {miss.expected}, proposed {miss.proposal}"
        )
        for match in miss.matches[:3]:
            reasons = "; ".join(
                f"{r['code']}({', '.join(f'{k}={v}' for k, v in r['params'].items())}) "
                f"{r['weight']:+.2f}"
                for r in match["reasons"]
            )
            lines.append(f"    {match['incident_id']} {match['score']:.2f}: {reasons}")
    return "\n".join(lines)
