"""Is this contact request about one of the active incidents? Pure Python, explained in words.

How it decides:

1. **Candidates** are the incidents and maintenances *active and published when the request was
   sent*: an incident from its start until it is resolved, a maintenance only inside its window.
   Only the updates published by then are read.
2. For each candidate, one module per kind of evidence reads the pair:
   `text` (words shared with the incident, weighed by how unusual they are in ordinary tickets:
   the *background*), `entities` (error codes, domain extensions, datacenters, phone countries,
   and the incident's own scope: what its updates say is and is not affected), `onset` (when the
   customer says it began, in their time zone), `intent` (how-to, sales, billing, GDPR, abuse,
   precaution, own change, third party; or a report of something failing) and `catalogue` (the
   service picked and the services named, through groups and dependencies).
3. A **model** (`model.json`, logistic regression trained by `make train-matcher`, then
   calibrated) weighs the evidence into a **score**: the probability that the request is about
   that incident. No piece of evidence is a veto: each has a learned weight.
4. The **proposal** is the best candidate if its score reaches the proposal threshold and there
   is something to tell the customer about it (a reason in plain words: the service they chose,
   an error code, their domain's extension...). When a second candidate is close, both are
   shown and the customer picks. A proposal in the *high
   band* may be attached by itself if the customer never answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from statuspage.domain.matching.catalogue import Catalogue, Service
from statuspage.domain.matching.core import Incident, Match, Reason, Request, Result, Update
from statuspage.domain.matching.features import (
    document,
    idf,
    is_candidate,
    pair,
    read_request,
    said_evidence,
)
from statuspage.domain.matching.model import MODEL_PATH, Model

__all__ = [
    "Incident",
    "Match",
    "Matcher",
    "Model",
    "Reason",
    "Request",
    "Result",
    "Service",
    "Update",
    "is_candidate",
]

DEFAULT_PROPOSAL_THRESHOLD = 0.5
DEFAULT_HIGH_THRESHOLD = 0.8
#: Two candidates are both shown when the second is at least this likely and this close.
SECOND_FLOOR = 0.2
SECOND_GAP = 0.35


_reading = threading.Lock()


@cache
def _committed_model() -> Model:
    return Model.load(MODEL_PATH)


def default_model() -> Model:
    """The committed artifact, read once per process: the threads of a process just started
    (a gunicorn worker's first requests) wait for the one reading it instead of each parsing
    their own copy."""
    with _reading:
        return _committed_model()


class Matcher:
    """Built once per catalogue; `match` is then cheap enough for each submission."""

    def __init__(
        self,
        services: Sequence[Service],
        proposal_threshold: float | None = None,
        high_threshold: float = DEFAULT_HIGH_THRESHOLD,
        model: Model | None = None,
    ) -> None:
        self.catalogue = Catalogue(services)
        self.model = model or default_model()
        self.proposal_threshold = (
            self.model.proposal_threshold if proposal_threshold is None else proposal_threshold
        )
        self.high_threshold = high_threshold
        self._documents: dict[tuple, tuple[Incident, Any]] = {}
        self._weights: dict[tuple, tuple[dict[str, float], list]] = {}

    def evidence(self, request: Request, incidents: Iterable[Incident], readings=None):
        """(incident, features, reasons) for each active candidate: what the model weighs.

        `readings` (intent, services said) replace the model's own reading of the request: the
        training gives scores from models that never saw the request's scenario.
        """
        active = [i for i in incidents if is_candidate(i, request.at)]
        if not active:
            return []
        docs = [self._document(i, request.at) for i in active]
        weights = self._idf(docs)
        facts = read_request(request, self.catalogue)
        if readings is None:
            readings = (
                self.model.intent.probability(facts.text, facts.terms),
                self.model.said.probabilities(facts.text, facts.terms),
            )
        intent, said_by_key = readings
        by_key = self.catalogue.by_key
        said = {by_key[k]: p for k, p in said_by_key.items() if k in by_key}
        found = []
        for doc in docs:
            features, reasons = pair(
                request, facts, doc, docs, weights, self.catalogue, self.model.background
            )
            features["intent"] = intent
            if said:
                reasons += said_evidence(features, said, doc, request, self.catalogue)
            found.append((doc.incident, features, reasons))
        return found

    def _document(self, incident: Incident, at):
        """An incident's reading changes only with its published updates: kept per version."""
        visible = sum(1 for u in incident.updates if u.at <= at)
        key = (incident.id, visible, incident.started_at, incident.resolved_at)
        found = self._documents.get(key)
        if found is None or found[0] != incident:
            if len(self._documents) > 512:
                self._documents.clear()
            found = (incident, document(incident, at, self.catalogue))
            self._documents[key] = found
        return found[1]

    def _idf(self, docs):
        """Word weights over the catalogue and these documents: the same set, the same weights.

        Documents are kept (`_document`), so their ids stay theirs while the entry lives.
        """
        key = tuple(id(d) for d in docs)
        if key not in self._weights:
            if len(self._weights) > 256:
                self._weights.clear()
            self._weights[key] = (idf(docs, self.catalogue), docs)
        return self._weights[key][0]

    def match(self, request: Request, incidents: Iterable[Incident]) -> Result:
        matches = []
        for incident, features, reasons in self.evidence(request, incidents):
            logit, shares = self.model.explain(features)
            weighed = tuple(
                Reason(r.code, r.params, r.for_customer, self._weight(r, shares)) for r in reasons
            )
            score = self.model.calibrate(logit)
            matches.append(Match(incident.id, incident.name, round(score, 4), weighed, features))
        if not matches:
            return Result((), None, False, ())
        matches.sort(key=lambda m: -m.score)
        # a proposal must be explainable: with nothing to tell the customer, it is not made
        offered = [m for m in matches if any(r.for_customer for r in m.reasons)]
        best = offered[0] if offered else None
        proposal = best if best and best.score >= self.proposal_threshold else None
        shown: tuple[Match, ...] = ()
        if proposal is not None:
            shown = (proposal,)
            if len(offered) > 1:
                second = offered[1]
                if second.score >= SECOND_FLOOR and proposal.score - second.score <= SECOND_GAP:
                    shown = (proposal, second)
        return Result(
            tuple(matches),
            proposal,
            bool(proposal and proposal.score >= self.high_threshold),
            shown,
        )

    def _weight(self, reason: Reason, shares: dict[str, float]) -> float:
        """The reason's share of the score (log-odds): that of the features it stands for."""
        names = _REASON_FEATURES.get(reason.code, (reason.code,))
        return round(sum(shares.get(n, 0.0) for n in names), 2)


_REASON_FEATURES = {
    "service_affected": ("svc_exact",),
    "service_group": ("svc_group",),
    "service_related": ("svc_related",),
    "service_other": ("svc_other",),
    "service_excluded": ("svc_excluded",),
    "names_service": ("named_affected",),
    "names_excluded_service": ("named_excluded",),
    "shared_words": ("text", "text_share", "specific", "best_text", "margin"),
    "sites_and_mail": ("text", "text_share", "specific"),
    "codes": ("codes",),
    "tld": ("tld_domain_match", "tld_text_match"),
    "tld_conflict": ("tld_domain_conflict", "tld_text_conflict"),
    "datacenter": ("dc_service_match", "dc_text_match"),
    "datacenter_conflict": ("dc_service_conflict", "dc_text_conflict"),
    "onset_before": ("onset_days", "onset_gap", "onset_vague_gap"),
    "onset_match": ("onset_after", "age"),
    "reads_as_service": ("said_affected", "said_top"),
    "quote_explained": ("quote_match",),
    "quote_unexplained": ("quote_match", "quote_unexplained"),
    "third_party": ("third_party",),
    "cue_howto": ("cue_howto", "intent"),
    "cue_sales": ("cue_sales", "intent"),
    "cue_billing": ("cue_billing", "intent"),
    "cue_gdpr": ("cue_gdpr", "intent"),
    "cue_abuse": ("cue_abuse", "intent"),
    "cue_own_change": ("cue_own_change", "change_before", "intent"),
    "cue_precaution": ("cue_precaution", "intent"),
    "cue_recovered": ("cue_recovered", "intent"),
    "cue_early_renewal": ("cue_early_renewal", "intent"),
}
