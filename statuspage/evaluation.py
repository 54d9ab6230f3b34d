"""Replays a labelled deflection file through the product and measures the matcher.

Each scenario runs in a throwaway database: its incidents are created through the staff API (with
each update dated as in the file), then each request is matched at its `at` time through the
public match endpoint, the code path of the contact form.

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


def replay_scenario(app, clock: _Clock, scenario: dict[str, Any]) -> list[Outcome]:
    from statuspage.content import load_catalogue
    from statuspage.extensions import db
    from statuspage.models import Component
    from statuspage.services.catalogue import sync_catalogue
    from statuspage.services.staff import create_token

    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_catalogue(db.session, load_catalogue(Path(app.config["CONTENT_DIR"])), clock.now)
        _, token = create_token(db.session, "evaluate", StaffRole.RESPONDER, "evaluate", clock.now)
        db.session.commit()
        ids = {c.name_en: c.id for c in db.session.execute(db.select(Component)).scalars()}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    calls = []  # (time, order, incident key, payload or update)
    for order, incident in enumerate(scenario["incidents"]):
        updates = sorted(incident["updates"], key=lambda u: u["at"])
        calls.append((updates[0]["at"], order, incident, None))
        calls += [(u["at"], order, incident, u) for u in updates[1:]]
    created: dict[str, str] = {}
    for at, _, incident, update in sorted(calls, key=lambda c: (c[0], c[1])):
        clock.now = max(_when(at), _when(incident["started_at"] or at))
        if update is None:
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
            response = client.post("/api/v1/incidents", json=payload, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"{incident['key']}: {response.get_json()}")
            created[incident["key"]] = response.get_json()["id"]
            continue
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
    keys = {v: k for k, v in created.items()}

    outcomes = []
    for request in sorted(scenario["requests"], key=lambda r: r["at"]):
        clock.now = _when(request["at"])
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
        outcomes.append(
            Outcome(
                scenario=scenario["id"],
                request_id=request["id"],
                lang=request["lang"],
                expected=request["expected"],
                proposal=keys.get(result["proposal"]) if result["proposal"] else None,
                matches=[
                    {**m, "incident_id": keys.get(m["incident_id"], m["incident_id"])}
                    for m in result["matches"]
                ],
            )
        )
    return outcomes


def evaluate(path: Path, base_config: dict[str, Any]) -> list[Outcome]:
    from statuspage import create_app

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    clock = _Clock()
    with tempfile.TemporaryDirectory(prefix="statuspage-evaluate-") as folder:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder}/evaluate.db",
                "SECRET_KEY": secrets.token_hex(16),
                "CLOCK": clock,
                "RATELIMIT_ENABLED": False,
                "CONTENT_DIR": base_config["CONTENT_DIR"],
                "MATCH_PROPOSAL_THRESHOLD": base_config["MATCH_PROPOSAL_THRESHOLD"],
                "MATCH_HIGH_THRESHOLD": base_config["MATCH_HIGH_THRESHOLD"],
                "OUTBOX_DIR": f"{folder}/outbox",
            }
        )
        outcomes = []
        for scenario in data["scenarios"]:
            outcomes += replay_scenario(app, clock, scenario)
        with app.app_context():
            from statuspage.extensions import db

            db.engine.dispose()
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    lines = [f"overall      {metrics(outcomes)}"]
    for lang in sorted({o.lang for o in outcomes}):
        lines.append(f"lang {lang:7} {metrics(o for o in outcomes if o.lang == lang)}")
    for scenario in dict.fromkeys(o.scenario for o in outcomes):
        lines.append(f"{scenario:12} {metrics(o for o in outcomes if o.scenario == scenario)}")
    misses = [o for o in outcomes if not o.correct]
    lines.append("")
    lines.append(f"misses: {len(misses)}")
    for miss in misses:
        lines.append(
            f"- {miss.request_id} ({miss.lang}): expected {miss.expected}, proposed {miss.proposal}"
        )
        for match in miss.matches[:3]:
            lines.append(
                f"    {match['incident_id']} {match['score']:.2f}: " + "; ".join(match["reasons"])
            )
    return "\n".join(lines)
