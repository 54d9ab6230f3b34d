"""Fits and checks the matcher's logistic weights on a labelled deflection file.

    .venv/bin/python bench/train_matcher.py ../shared/data/deflection-dev.json

Prints, for the weights in `statuspage/domain/matching.py` and for freshly fit ones, the three
metrics with each scenario held out in turn (the fit never sees the scenario it is scored on), then
the weights fit on the whole file. The fit is plain L2-regularised logistic regression over the
(request, active incident) pairs; it only moves the weights of named signals, never rules.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from statuspage.content import load_catalogue  # noqa: E402
from statuspage.domain import matching as m  # noqa: E402


def when(value):
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def load(path):
    data = json.loads(Path(path).read_text())
    entries = load_catalogue(ROOT / "content")
    by_name = {e.names["en"]: e.key for e in entries}
    services = [
        m.Service(
            e.key,
            tuple(e.names.values()),
            tuple(e.aliases["en"] + e.aliases["fr"]),
            tuple(e.descriptions.values()),
            e.group,
        )
        for e in entries
    ]
    scenarios = []
    for scenario in data["scenarios"]:
        incidents = [
            m.Incident(
                id=i["key"],
                name=i["name"],
                kind=i["kind"],
                started_at=when(i["started_at"]),
                resolved_at=when(i["resolved_at"]),
                scheduled_for=when(i["scheduled_for"]),
                scheduled_until=when(i["scheduled_until"]),
                closed=i["status"] in ("resolved", "postmortem", "completed"),
                components=tuple(by_name[c] for c in i["components"]),
                keywords=tuple(i.get("keywords") or ()),
                updates=tuple(m.Update(when(u["at"]), u["body"]) for u in i["updates"]),
            )
            for i in scenario["incidents"]
        ]
        requests = [
            (
                m.Request(
                    r["subject"],
                    r["message"],
                    when(r["at"]),
                    by_name.get(r["service"]) if r["service"] else None,
                    r["domain"],
                    r["lang"],
                ),
                r["expected"],
                r["lang"],
                r["id"],
            )
            for r in scenario["requests"]
        ]
        scenarios.append((scenario["id"], incidents, requests))
    return services, scenarios


def metrics(outcomes):
    proposals = [o for o in outcomes if o[1] is not None]
    correct = [o for o in proposals if o[1] == o[0]]
    positives = [o for o in outcomes if o[0] is not None]
    negatives = [o for o in outcomes if o[0] is None]
    false = [o for o in negatives if o[1] is not None]
    precision = len(correct) / len(proposals) if proposals else 1.0
    recall = len(correct) / len(positives) if positives else 1.0
    fpr = len(false) / len(negatives) if negatives else 0.0
    return precision, recall, fpr, len(outcomes)


def pairs(matcher, scenarios):
    rows = []
    for _, incidents, requests in scenarios:
        for request, expected, _, _ in requests:
            result = matcher.match(request, incidents)
            for match in result.matches:
                rows.append((match.features, 1.0 if match.incident_id == expected else 0.0))
    return rows


#: Contradictions are rules, not evidence to weigh: their weights stay as set in the module.
FIXED = ("tld_conflict", "dc_conflict", "onset_before", "elsewhere", "howto")


def fit(rows, names, l2=0.001, steps=3000, rate=2.0):
    weights = dict.fromkeys(names, 0.0)
    weights["bias"] = 0.0
    weights.update({n: m.WEIGHTS[n] for n in FIXED})
    count = len(rows)
    for _ in range(steps):
        grad = dict.fromkeys(weights, 0.0)
        for features, label in rows:
            z = weights["bias"] + sum(weights[k] * v for k, v in features.items() if k in weights)
            p = 1 / (1 + math.exp(-max(min(z, 30), -30)))
            error = p - label
            grad["bias"] += error
            for k, v in features.items():
                if k in grad:
                    grad[k] += error * v
        for n in weights:
            if n in FIXED:
                continue
            penalty = 0.0 if n == "bias" else l2 * weights[n]
            weights[n] -= rate * (grad[n] / count + penalty)
    return weights


def evaluate(services, scenarios, weights):
    matcher = m.Matcher(services, weights=weights)
    outcomes = []
    for _, incidents, requests in scenarios:
        for request, expected, lang, rid in requests:
            result = matcher.match(request, incidents)
            outcomes.append((expected, result.proposal_id, lang, rid, result))
    return outcomes


def main():
    services, scenarios = load(sys.argv[1])
    names = [n for n in m.WEIGHTS if n != "bias"]
    base = m.Matcher(services)
    held_out_current, held_out_fit = [], []  # current weights: scored on every scenario
    for index in range(len(scenarios)):
        train = scenarios[:index] + scenarios[index + 1 :]
        test = [scenarios[index]]
        held_out_current += evaluate(services, test, m.WEIGHTS)
        weights = fit(pairs(base, train), names)
        held_out_fit += evaluate(services, test, weights)
    line = "P={:.3f} R={:.3f} FPR={:.3f} n={}"
    print(
        "weights of the module (in-sample if fit on this file):",
        line.format(*metrics(held_out_current)),
    )
    print(
        "refit without each scenario, scored on it (held out): ",
        line.format(*metrics(held_out_fit)),
    )
    weights = fit(pairs(base, scenarios), names)
    print("weights fit on the whole file:")
    print(json.dumps({k: round(v, 2) for k, v in weights.items()}, indent=1))
    if "-v" in sys.argv:
        for expected, proposal, _, rid, result in held_out_current:
            if expected != proposal:
                print(f"\n{rid} expected={expected} proposal={proposal}")
                for match in result.matches:
                    print(f"   {match.incident_id} {match.score:.2f} {'; '.join(match.reasons)}")


if __name__ == "__main__":
    main()
