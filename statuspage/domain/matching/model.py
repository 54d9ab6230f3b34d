"""The learned part: a calibrated model read from a small JSON artifact, in pure Python.

The artifact (`model.json`, written by `make train-matcher`) holds:

* `background`: how often each term appears in ordinary tickets (see `text.Background`);
* `intent`: a bag-of-terms logistic model of "this request reports a problem now", whose output
  is one feature among the others;
* `said`: a bag-of-terms model of the service the request's words describe (see `Said`);
* `trees`: gradient-boosted decision trees over the named features of a (request, incident) pair,
  each node with the mean output of the examples under it, so that a score can be split into the
  share of each feature along the path (what staff see next to each reason);
* `calibration`: Platt scaling fit on scores of scenarios held out of the fit, so that the final
  number reads as the probability that the request is about the incident; next to the trees'
  score it weighs, linearly, the evidence against an incident that is too rare for a tree to
  split on (`evidence`: a weight per feature, never positive).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from statuspage.domain.matching.text import Background, terms

MODEL_PATH = Path(__file__).with_name("model.json")


def intent_tokens(text: str, found: list[str] | None = None) -> list[str]:
    """Terms and pairs of neighbouring terms: what the intent model reads. `found`: the text's
    `terms`, when the caller has them already (a match reads them once for all its models)."""
    found = terms(text) if found is None else found
    return found + [f"{a}_{b}" for a, b in zip(found, found[1:], strict=False)]


class Intent:
    """Logistic regression over sublinear tf-idf of `intent_tokens`, l2-normalised."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.idf: dict[str, float] = data.get("idf", {})
        self.coef: dict[str, float] = data.get("coef", {})
        self.intercept = float(data.get("intercept", 0.0))

    def probability(self, text: str, found: list[str] | None = None) -> float:
        if not self.idf:
            return 0.5
        counted: dict[str, int] = {}
        for token in intent_tokens(text, found):
            if token in self.idf:
                counted[token] = counted.get(token, 0) + 1
        weights = {t: (1 + math.log(n)) * self.idf[t] for t, n in counted.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        z = self.intercept + sum(self.coef.get(t, 0.0) * w / norm for t, w in weights.items())
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


class Said:
    """Which service the request's words describe, whatever service was picked.

    A multinomial logistic regression over the same terms as `Intent`, fit on the catalogue's own
    texts and on requests labelled with the services of the incident they were about (or the
    service picked, for requests about no incident): "outlook recoit plus rien" reads as incoming
    mail, "code 2FA refusé" as the control panel.
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.idf: dict[str, float] = data.get("idf", {})
        self.classes: list[str] = data.get("classes", [])
        scale = float(data.get("scale", 1))
        #: per term, one coefficient per class (stored as integers)
        self.coef: dict[str, list[float]] = {
            t: [c / scale for c in row] for t, row in data.get("coef", {}).items()
        }
        self.intercept: list[float] = list(data.get("intercept", []))

    def probabilities(self, text: str, found: list[str] | None = None) -> dict[str, float]:
        if not self.classes:
            return {}
        counted: dict[str, int] = {}
        for token in intent_tokens(text, found):
            if token in self.idf:
                counted[token] = counted.get(token, 0) + 1
        weights = {t: (1 + math.log(n)) * self.idf[t] for t, n in counted.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        z = list(self.intercept)
        for token, weight in weights.items():
            row = self.coef.get(token)
            if row:
                share = weight / norm
                z = [a + c * share for a, c in zip(z, row, strict=True)]
        top = max(z)
        exp = [math.exp(v - top) for v in z]
        total = sum(exp)
        return {s: v / total for s, v in zip(self.classes, exp, strict=True)}


class Model:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.features: list[str] = list(data.get("features", []))
        self.trees: list[dict[str, list]] = data.get("trees", [])
        self.baseline = float(data.get("baseline", 0.0))
        calibration = data.get("calibration", {})
        self.scale = float(calibration.get("a", 1.0))
        self.shift = float(calibration.get("b", 0.0))
        #: evidence weighed next to the trees (log-odds per unit, after scaling)
        self.evidence: dict[str, float] = dict(calibration.get("evidence", {}))
        background = data.get("background", {"documents": 1, "frequencies": {}})
        self.background = Background(dict(background["frequencies"]), int(background["documents"]))
        self.intent = Intent(data.get("intent", {}))
        self.said = Said(data.get("said", {}))
        self.proposal_threshold = float(data.get("thresholds", {}).get("proposal", 0.5))
        self._index = {name: i for i, name in enumerate(self.features)}
        #: per tree: split feature (-1 at a leaf), threshold, children, mean output
        self._compiled = [
            (
                [f if left >= 0 else -1 for f, left in zip(t["f"], t["l"], strict=True)],
                t["t"],
                t["l"],
                t["r"],
                t["v"],
            )
            for t in self.trees
        ]

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> Model:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def _vector(self, features: dict[str, float]) -> list[float]:
        vector = [0.0] * len(self.features)
        for name, value in features.items():
            index = self._index.get(name)
            if index is not None:
                vector[index] = value
        return vector

    def explain(self, features: dict[str, float]) -> tuple[float, dict[str, float]]:
        """The raw score (log-odds) and each feature's share of it along the trees' paths."""
        x = self._vector(features)
        shares = [0.0] * len(self.features)
        total = self.baseline
        for feature, threshold, left, right, value in self._compiled:
            node = 0
            split = feature[0]
            while split >= 0:
                child = left[node] if x[split] <= threshold[node] else right[node]
                shares[split] += value[child] - value[node]
                node = child
                split = feature[node]
            total += value[node]
        found = {self.features[i]: s for i, s in enumerate(shares) if s}
        for name, weight in self.evidence.items():
            value_of = features.get(name)
            if value_of:
                share = weight * value_of / (self.scale or 1.0)
                total += share
                found[name] = found.get(name, 0.0) + share
        return total, found

    def logit(self, features: dict[str, float]) -> float:
        return self.explain(features)[0]

    def calibrate(self, logit: float) -> float:
        z = self.scale * logit + self.shift
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def probability(self, features: dict[str, float]) -> float:
        return self.calibrate(self.logit(features))


def _means(left: list[int], right: list[int], counts: list[int], value: list[float]) -> None:
    """Give each inner node the count-weighted mean output of its leaves (children first)."""
    order = []
    stack = [0]
    while stack:
        node = stack.pop()
        order.append(node)
        if left[node] >= 0:
            stack += [left[node], right[node]]
    for node in reversed(order):
        if left[node] >= 0:
            a, b = left[node], right[node]
            total = max(counts[a] + counts[b], 1)
            value[node] = (value[a] * counts[a] + value[b] * counts[b]) / total


def export_trees(predictors: Iterable) -> list[dict[str, list]]:
    """scikit-learn's histogram trees as plain lists, each node with its mean output."""
    exported = []
    for (predictor,) in predictors:
        nodes = predictor.nodes
        size = len(nodes)
        left = [int(nodes[i]["left"]) if not nodes[i]["is_leaf"] else -1 for i in range(size)]
        right = [int(nodes[i]["right"]) if not nodes[i]["is_leaf"] else -1 for i in range(size)]
        counts = [int(nodes[i]["count"]) for i in range(size)]
        value = [float(nodes[i]["value"]) for i in range(size)]
        _means(left, right, counts, value)
        exported.append(
            {
                "f": [int(nodes[i]["feature_idx"]) for i in range(size)],
                "t": [round(float(nodes[i]["num_threshold"]), 6) for i in range(size)],
                "l": left,
                "r": right,
                "v": [round(v, 6) for v in value],
            }
        )
    return exported
