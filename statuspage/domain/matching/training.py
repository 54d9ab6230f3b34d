"""Training the matcher's model from labelled scenarios (scikit-learn, offline only).

    make train-matcher    # fits on tests/data/*.json, writes statuspage/domain/matching/model.json

A scenario is *replayed live*: each request sees the incidents as they were published at its
time (an incident exists from its first update; only the updates published by then, its status
as of then; resolved only once its resolution is published). Every (request, active incident)
pair is an example, positive when the request is labelled with that incident. The model is
gradient-boosted trees over the features of `features.py`, then Platt-calibrated on scores
predicted for scenarios held out of the fit, so that a score reads as a probability.

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
from statuspage.domain.matching.model import Intent, Model, export_trees, intent_tokens
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


def rows(matcher: Matcher, items: Iterable[Example]):
    """(example, incident id, features, explainable) for every active candidate of every example.

    Explainable: there is a reason the customer can read, without which nothing is proposed.
    """
    for example in items:
        for incident, features, reasons in matcher.evidence(example.request, example.incidents):
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
        "cue_early_renewal third_party other_exact other_named svc_other named_other "
        "codes_excluded third_party_excluded closer_excluded".split(),
        -1,
    ),
    **dict.fromkeys(
        "svc_exact svc_group codes tld_domain_match tld_text_match dc_service_match phone_match "
        "specific alias named_affected intent best_text".split(),
        1,
    ),
}
INTENT_C = 3.0
#: Weight of the pairs of requests about no incident at all: a false proposal costs more than a
#: missed one (it asks a customer with another problem to wait on the wrong incident).
NULL_WEIGHT = 1.0
FOLDS = 5
#: The proposal threshold is chosen at training among these (see `choose_threshold`).
THRESHOLDS = tuple(round(0.4 + 0.05 * i, 2) for i in range(9))
RECALL_FLOOR = 0.85
DEFAULT_THRESHOLD = 0.5


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


def _table(items: Sequence[Example], services: Sequence[Service], back: Background, intent):
    matcher = Matcher(services, model=_partial_model(back, intent))
    return list(rows(matcher, items))


def _partial_model(back: Background, intent: dict[str, Any] | None) -> Model:
    return Model(
        {
            "background": {"documents": back.documents, "frequencies": back.frequencies},
            "intent": intent or {},
        }
    )


def _out_of_fold_intent(items: Sequence[Example]) -> dict[str, float]:
    """Each example's intent score from a model that never saw its scenario."""
    scores: dict[str, float] = {}
    for held in _groups(items):
        kept = set(held)
        model = Intent(_fit_intent([e for i, e in enumerate(items) if i not in kept]))
        for i in held:
            scores[items[i].request_id] = model.probability(_text(items[i]))
    return scores


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
    from sklearn.linear_model import LogisticRegression

    back = background(items)
    oof_intent = _out_of_fold_intent(items)
    table = _table(items, services, back, None)
    for example, _, features, _ in table:
        features["intent"] = oof_intent[example.request_id]
    names = sorted({name for _, _, features, _ in table for name in features})
    x = np.array([[features.get(n, 0.0) for n in names] for _, _, features, _ in table])
    y = np.array([1 if example.expected == iid else 0 for example, iid, _, _ in table])
    scenario = [example.scenario for example, _, _, _ in table]
    weight = np.array([NULL_WEIGHT if e.expected is None else 1.0 for e, _, _, _ in table])
    constraints = [MONOTONIC.get(n, 0) for n in names]

    def trees():
        return HistGradientBoostingClassifier(random_state=0, monotonic_cst=constraints, **TREES)

    scale, shift = 1.0, 0.0
    if calibrate and len(set(scenario)) > 2:
        logits = np.zeros(len(y))
        scenarios = sorted(set(scenario))
        for k in range(min(FOLDS, len(scenarios))):
            held = {s for j, s in enumerate(scenarios) if j % FOLDS == k}
            test = np.array([s in held for s in scenario])
            fitted = trees().fit(x[~test], y[~test], sample_weight=weight[~test])
            logits[test] = fitted.decision_function(x[test])
        platt = LogisticRegression(C=1e6, max_iter=5000).fit(logits.reshape(-1, 1), y)
        scale, shift = float(platt.coef_[0][0]), float(platt.intercept_[0])
        if threshold is None:
            held_out = 1 / (1 + np.exp(-(scale * logits + shift)))
            threshold = choose_threshold(items, table, held_out)
    if threshold is None:
        threshold = DEFAULT_THRESHOLD
    final = trees().fit(x, y, sample_weight=weight)
    return Model(
        {
            "version": 2,
            "features": names,
            "baseline": round(float(final._baseline_prediction.ravel()[0]), 6),
            "trees": export_trees(final._predictors),
            "calibration": {"a": round(scale, 5), "b": round(shift, 5)},
            "thresholds": {"proposal": round(float(threshold), 2)},
            "intent": _fit_intent(items),
            "background": {"documents": back.documents, "frequencies": back.frequencies},
        }
    )


def choose_threshold(items: Sequence[Example], table: list, scores) -> float:
    """The highest proposal threshold whose held-out recall stays at RECALL_FLOOR or more.

    A false proposal costs more than a missed one (the customer waits on the wrong incident), so
    precision is bought with recall down to the recall we promise, no further. Each example is
    decided as the matcher decides: its best explainable candidate, if its score reaches the
    threshold.
    """
    best: dict[str, tuple[float, str]] = {}
    for (example, iid, _, explainable), score in zip(table, scores, strict=True):
        if explainable and score > best.get(example.request_id, (-1.0, ""))[0]:
            best[example.request_id] = (float(score), iid)
    positives = sum(1 for e in items if e.expected is not None)
    chosen = THRESHOLDS[0]
    for threshold in THRESHOLDS:
        right = sum(
            1
            for e in items
            if e.expected is not None
            and best.get(e.request_id, (0.0, ""))[0] >= threshold
            and best[e.request_id][1] == e.expected
        )
        if positives and right / positives >= RECALL_FLOOR:
            chosen = threshold
    return chosen


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
