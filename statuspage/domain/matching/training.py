"""Training the matcher's model from labelled scenarios (scikit-learn, offline only).

    make train-matcher    # fits on tests/data/*.json, writes statuspage/domain/matching/model.json

A scenario is *replayed live*: each request sees the incidents as they were published at its
time (an incident exists from its first update; only the updates published by then, its status
as of then; resolved only once its resolution is published). Every (request, active incident)
pair is an example, positive when the request is labelled with that incident. The model is
gradient-boosted trees over the features of `features.py`, then Platt-calibrated on scores
predicted for scenarios held out of the fit, so that a score reads as a probability; the
calibration also weighs the rare evidence against an incident that the trees cannot split on.

The running app never imports this module: it loads the artifact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from statuspage.domain.matching import Matcher
from statuspage.domain.matching.catalogue import Service
from statuspage.domain.matching.core import Incident, Request, Update
from statuspage.domain.matching.model import Intent, Model, Said, export_trees, intent_tokens
from statuspage.domain.matching.text import Background

CLOSING = ("resolved", "completed", "postmortem")


def when(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Example:
    scenario: str
    request_id: str
    lang: str
    expected: str | None
    request: Request
    incidents: tuple[Incident, ...]  #: as published at the request's time


def as_published(raw: dict[str, Any], at: datetime, ids: dict[str, str]) -> Incident | None:
    """The incident as the status page showed it at `at`, or None if not yet published."""
    updates = sorted(raw["updates"], key=lambda u: u["at"])
    visible = [u for u in updates if when(u["at"]) <= at]
    if not visible:
        return None
    closing = [u for u in visible if u["status"] in CLOSING]
    resolved = when(closing[0]["at"]) if closing else None
    start = when(raw["started_at"]) or when(visible[0]["at"])
    if raw["kind"] == "maintenance":
        start = None  # a maintenance counts inside its window, not from its announcement
    return Incident(
        id=raw["key"],
        name=raw["name"],
        kind=raw["kind"],
        started_at=start,
        resolved_at=resolved,
        scheduled_for=when(raw["scheduled_for"]),
        scheduled_until=when(raw["scheduled_until"]),
        closed=bool(closing),
        components=tuple(ids[name] for name in raw["components"] if name in ids),
        keywords=tuple(raw.get("keywords") or ()),
        updates=tuple(Update(when(u["at"]), u["body"]) for u in visible),
    )


def examples(paths: Iterable[Path], services: Sequence[Service]) -> list[Example]:
    ids = {s.names[0]: s.id for s in services}
    found = []
    for path in paths:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for scenario in data["scenarios"]:
            for raw in sorted(scenario["requests"], key=lambda r: r["at"]):
                at = when(raw["at"])
                shown = [as_published(i, at, ids) for i in scenario["incidents"]]
                request = Request(
                    subject=raw["subject"],
                    message=raw["message"],
                    at=at,
                    service_id=ids.get(raw["service"]) if raw["service"] else None,
                    domain=raw["domain"],
                    lang=raw["lang"],
                )
                found.append(
                    Example(
                        scenario["id"],
                        raw["id"],
                        raw["lang"],
                        raw["expected"],
                        request,
                        tuple(i for i in shown if i is not None),
                    )
                )
    return found


def background(items: Iterable[Example]) -> Background:
    """Ordinary tickets: every training request's text (labels are not read)."""
    return Background.from_texts(_text(e) for e in items)


def rows(matcher: Matcher, items: Iterable[Example], readings: dict[str, tuple] | None = None):
    """(example, incident id, features, explainable) for every active candidate of every example.

    Explainable: there is a reason the customer can read, without which nothing is proposed.
    `readings`: each request's intent and services said, by models that never saw its scenario.
    """
    for example in items:
        found = matcher.evidence(
            example.request,
            example.incidents,
            readings.get(example.request_id) if readings else None,
        )
        for incident, features, reasons in found:
            yield example, incident.id, features, any(r.for_customer for r in reasons)


def _text(example: Example) -> str:
    return f"{example.request.subject}\n{example.request.message}"


#: The gradient-boosted trees: shallow, and constrained so that evidence against an incident can
#: only lower its score (and evidence for it only raise it), whatever the training set's quirks.
TREES = {"max_depth": 3, "learning_rate": 0.1, "max_iter": 100, "l2_regularization": 1.0}
MONOTONIC = {
    **dict.fromkeys(
        "svc_excluded named_excluded excluded_words tld_domain_conflict tld_text_conflict "
        "tld_excluded dc_service_conflict dc_text_conflict dc_excluded phone_conflict onset_days "
        "onset_gap cue_howto cue_sales cue_billing cue_gdpr cue_abuse cue_own_change "
        "cue_early_renewal change_before third_party other_exact other_named svc_other named_other "
        "codes_excluded third_party_excluded closer_excluded quote_unexplained".split(),
        -1,
    ),
    **dict.fromkeys(
        "svc_exact svc_group codes tld_domain_match tld_text_match dc_service_match phone_match "
        "specific alias named_affected intent best_text said_affected said_top quote_match".split(),
        1,
    ),
}
INTENT_C = 3.0
#: The model of the service a request's words describe (`Said`): on, its strength, and the
#: scale of its integer coefficients in the artifact.
SAID = True
SAID_C = 3.0
SAID_SCALE = 1000
FOLDS = 5
#: What a false proposal costs, counted in missed ones: the customer waits on the wrong incident
#: and their own problem is buried in a master ticket, where a missed proposal only sends them to
#: the support queue. With calibrated scores, proposing from p >= cost / (1 + cost) is the choice
#: of least expected cost: 1.5 gives 0.6, a proposal only when being right is 1.5 times as likely
#: as being wrong.
FALSE_PROPOSAL_COST = 1.5
#: Weight of the pairs of requests about no incident at all, in the trees' fit: what a false
#: proposal costs, so that the trees work as hard at turning those away. (The calibration is fit
#: unweighted: scores stay probabilities, and the threshold above stays the cost's.)
NULL_WEIGHT = FALSE_PROPOSAL_COST


def _fit_intent(items: Sequence[Example]) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=intent_tokens, min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform([_text(e) for e in items])
    y = [int(e.expected is not None) for e in items]
    model = LogisticRegression(C=INTENT_C, max_iter=5000).fit(x, y)
    vocabulary = vectorizer.vocabulary_
    return {
        "idf": {t: round(float(vectorizer.idf_[i]), 5) for t, i in sorted(vocabulary.items())},
        "coef": {
            t: round(float(model.coef_[0][i]), 5)
            for t, i in sorted(vocabulary.items())
            if abs(model.coef_[0][i]) >= 1e-4
        },
        "intercept": round(float(model.intercept_[0]), 5),
    }


def _groups(items: Sequence[Example]) -> list[list[int]]:
    """Indices of the examples split into FOLDS groups of whole scenarios."""
    scenarios = sorted({e.scenario for e in items})
    split: list[list[int]] = [[] for _ in range(min(FOLDS, len(scenarios)))]
    for index, example in enumerate(items):
        split[scenarios.index(example.scenario) % len(split)].append(index)
    return split


def _fit_said(items: Sequence[Example], services: Sequence[Service]) -> dict[str, Any]:
    """The service each text describes: the catalogue's own words, then the labelled requests
    (the services of the incident a request was about, or the one picked when about none)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    known = {s.id for s in services}
    texts, labels, weights = [], [], []
    for service in services:
        texts.append(" ".join((*service.names, *service.aliases, *service.descriptions)))
        labels.append(service.id)
        weights.append(1.0)
    for example in items:
        chosen: list[str] = []
        if example.expected is not None:
            for incident in example.incidents:
                if incident.id == example.expected:
                    chosen = [c for c in incident.components if c in known]
        elif example.request.service_id in known:
            chosen = [example.request.service_id]
        for service_id in chosen:
            texts.append(_text(example))
            labels.append(service_id)
            weights.append(1 / len(chosen))
    vectorizer = TfidfVectorizer(analyzer=intent_tokens, min_df=2, sublinear_tf=True)
    x = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=SAID_C, max_iter=5000).fit(x, labels, sample_weight=weights)
    classes = [str(c) for c in model.classes_]
    # one row of integers per term, in the order of `classes`: a thousandth is precise enough
    coef = {
        token: [round(float(model.coef_[k][column]) * SAID_SCALE) for k in range(len(classes))]
        for token, column in sorted(vectorizer.vocabulary_.items())
    }
    return {
        "idf": {t: round(float(vectorizer.idf_[i]), 4) for t, i in vectorizer.vocabulary_.items()},
        "classes": classes,
        "scale": SAID_SCALE,
        "coef": {t: row for t, row in coef.items() if any(row)},
        "intercept": [round(float(v), 4) for v in model.intercept_],
    }


def _table(items: Sequence[Example], services: Sequence[Service], back: Background, readings):
    matcher = Matcher(services, model=_partial_model(back, None))
    return list(rows(matcher, items, readings))


def _partial_model(back: Background, intent: dict[str, Any] | None) -> Model:
    return Model(
        {
            "background": {"documents": back.documents, "frequencies": back.frequencies},
            "intent": intent or {},
        }
    )


def _out_of_fold_readings(
    items: Sequence[Example], services: Sequence[Service]
) -> dict[str, tuple[float, dict[str, float]]]:
    """Each example's intent and services said, by models that never saw its scenario."""
    readings: dict[str, tuple[float, dict[str, float]]] = {}
    for held in _groups(items):
        kept = set(held)
        rest = [e for i, e in enumerate(items) if i not in kept]
        intent = Intent(_fit_intent(rest))
        said = Said(_fit_said(rest, services)) if SAID else None
        for i in held:
            text = _text(items[i])
            readings[items[i].request_id] = (
                intent.probability(text),
                said.probabilities(text) if said else {},
            )
    return readings


def fit(
    items: Sequence[Example],
    services: Sequence[Service],
    calibrate: bool = True,
    threshold: float | None = None,
) -> Model:
    """A model trained on these examples only (the held-out scores inside are nested)."""
    from threadpoolctl import threadpool_limits

    # one thread: the trees are small, and OpenMP threads only wait on each other here
    with threadpool_limits(1):
        return _fit(list(items), services, calibrate, threshold)


def _fit(
    items: list[Example], services: Sequence[Service], calibrate: bool, threshold: float | None
) -> Model:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    back = background(items)
    table = _table(items, services, back, _out_of_fold_readings(items, services))
    names = sorted({name for _, _, features, _ in table for name in features})
    x = np.array([[features.get(n, 0.0) for n in names] for _, _, features, _ in table])
    y = np.array([1 if example.expected == iid else 0 for example, iid, _, _ in table])
    scenario = [example.scenario for example, _, _, _ in table]
    weight = np.array([NULL_WEIGHT if e.expected is None else 1.0 for e, _, _, _ in table])
    constraints = [MONOTONIC.get(n, 0) for n in names]

    def trees():
        return HistGradientBoostingClassifier(random_state=0, monotonic_cst=constraints, **TREES)

    scale, shift, evidence = 1.0, 0.0, {}
    if calibrate and len(set(scenario)) > 2:
        logits = np.zeros(len(y))
        scenarios = sorted(set(scenario))
        for k in range(min(FOLDS, len(scenarios))):
            held = {s for j, s in enumerate(scenarios) if j % FOLDS == k}
            test = np.array([s in held for s in scenario])
            fitted = trees().fit(x[~test], y[~test], sample_weight=weight[~test])
            logits[test] = fitted.decision_function(x[test])
        scale, shift, evidence = _calibration(logits, x, y, names)
    if threshold is None:
        threshold = FALSE_PROPOSAL_COST / (1 + FALSE_PROPOSAL_COST)
    final = trees().fit(x, y, sample_weight=weight)
    return Model(
        {
            "version": 2,
            "features": names,
            "baseline": round(float(final._baseline_prediction.ravel()[0]), 6),
            "trees": export_trees(final._predictors),
            "calibration": {"a": round(scale, 5), "b": round(shift, 5), "evidence": evidence},
            "thresholds": {"proposal": round(float(threshold), 2)},
            "intent": _fit_intent(items),
            "said": _fit_said(items, services) if SAID else {},
            "background": {"documents": back.documents, "frequencies": back.frequencies},
        }
    )


#: Evidence against an incident that few scenarios hold (a phone country outside the scope, a
#: change the customer made the day before): too rare for a tree to split on (a leaf holds at
#: least 20 pairs), so the calibration weighs it linearly next to the trees' score, each weight
#: learned on held-out scores, shrunk by `EVIDENCE_C` and never for the incident.
EVIDENCE = tuple(name for name, sign in MONOTONIC.items() if sign < 0)
EVIDENCE_C = 2.0


def _calibration(logits, x, y, names: list[str]) -> tuple[float, float, dict[str, float]]:
    """Platt scaling of held-out tree scores, with the rare evidence against as extra inputs."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    if EVIDENCE_C is None:
        platt = LogisticRegression(C=1e6, max_iter=5000).fit(logits.reshape(-1, 1), y)
        return float(platt.coef_[0][0]), float(platt.intercept_[0]), {}
    kept = [n for n in EVIDENCE if n in names and x[:, names.index(n)].any()]
    while True:
        columns = np.column_stack([logits, *(x[:, names.index(n)] for n in kept)])
        fitted = LogisticRegression(C=EVIDENCE_C, max_iter=5000).fit(columns, y)
        weights = fitted.coef_[0]
        wrong = [n for n, w in zip(kept, weights[1:], strict=True) if w > 0]
        if not wrong:
            break
        kept = [n for n in kept if n not in wrong]
    evidence = {n: round(float(w), 5) for n, w in zip(kept, weights[1:], strict=True) if w < 0}
    return float(weights[0]), float(fitted.intercept_[0]), evidence


def write(model: Model, path: Path, sources: Sequence[str]) -> None:
    data = dict(model.data)
    data["trained_on"] = list(sources)
    frequencies = data["background"]["frequencies"]
    data["background"] = {
        "documents": data["background"]["documents"],
        "frequencies": dict(sorted(frequencies.items())),
    }
    Path(path).write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
        encoding="utf-8",
    )
