"""Every piece of evidence about one (request, incident) pair, as numbers and as reasons.

The numbers feed the model; the reasons say the same thing in data, for the customer and staff.
Nothing here decides: contradictions are features with learned weights, not vetoes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from statuspage.domain.matching import entities, intent
from statuspage.domain.matching.catalogue import Catalogue, Relation
from statuspage.domain.matching.core import Incident, Reason, Request
from statuspage.domain.matching.onset import Onset, changed_at, onset
from statuspage.domain.matching.text import Background, counts, fold, terms, worded_terms

_PLACES = {"paris", "luxembou", "lux"}
_TOKEN = re.compile(r"[\w'’.-]+")
#: Words the text module joins from a phrase, as a customer would write them.
_DISPLAY = {
    "motdepasse": "mot de passe",
    "miseajour": "mise à jour",
    "3dsecure": "3-D Secure",
    "letsencrypt": "Let's Encrypt",
    "readonly": "read-only",
    "nameservers": "nameservers",
    "iowait": "I/O wait",
    "webmail": "webmail",
    "panel": "panel",
}


@dataclass
class Doc:
    """An incident as the matcher reads it at the request's time."""

    incident: Incident
    terms: dict[str, int]
    name_terms: set[str]
    service_terms: set[str]
    scope: entities.Scope
    affected: set[str]
    groups: set[str]
    related: set[str]
    excluded_services: set[str]
    text: str  #: folded, for third parties the incident itself names
    start: datetime | None
    published: datetime | None


def is_candidate(incident: Incident, at: datetime) -> bool:
    """Active when the request was sent: started, not yet resolved, inside a maintenance window."""
    if incident.kind == "maintenance":
        start = incident.started_at or incident.scheduled_for
        end = incident.scheduled_until
        if incident.resolved_at is not None and (end is None or incident.resolved_at < end):
            end = incident.resolved_at
        return start is not None and start <= at and (end is None or at < end)
    if incident.started_at is None or incident.started_at > at:
        return False
    return incident.resolved_at is None or at < incident.resolved_at


def document(incident: Incident, at: datetime, catalogue: Catalogue) -> Doc:
    visible = [u.body for u in incident.updates if u.at <= at]
    affected = {c for c in incident.components if c in catalogue.services}
    service_text = []
    for component_id in affected:
        service = catalogue.services[component_id]
        service_text += [*service.names, *service.aliases]
    bodies = [*visible, *incident.translations]
    text = " ".join([incident.name, incident.name, *bodies, " ".join(incident.keywords)])
    found_scope = entities.scope(incident.name, bodies, incident.keywords)
    groups = catalogue.groups_of(affected)
    excluded = catalogue.excluded(found_scope.excluded_sentences) - affected - groups
    for sid in list(excluded):
        if set(catalogue.services[sid].depends_on) & affected:
            excluded.discard(sid)
    found_scope.datacenters |= entities.datacenters(" ".join(service_text))
    published = min((u.at for u in incident.updates), default=None)
    return Doc(
        incident=incident,
        terms=counts([*found_scope.included_terms, *terms(" ".join(incident.keywords))]),
        name_terms=set(terms(incident.name)),
        service_terms=set(terms(" ".join(service_text))),
        scope=found_scope,
        affected=affected,
        groups=groups,
        related=catalogue.related(affected),
        excluded_services=excluded,
        text=fold(text),
        start=incident.started_at or incident.scheduled_for,
        published=published,
    )


@dataclass
class RequestFacts:
    """What the request says, read once for all its candidates."""

    text: str
    terms: list[str]
    surface: dict[str, str]  #: a term and the customer's own word for it
    codes: set[str]
    tlds: set[str]
    domain_tlds: set[str]  #: the extension of the domain the customer gave
    datacenters: set[str]
    phones: set[str]
    named: set[str]  #: services its words name
    onset: Onset
    changed: datetime | None  #: when a change of the customer's own was made, if it says
    cues: dict[str, intent.Cue]
    third_parties: dict[str, str]  #: provider and its role: host, target or named
    together: bool = False  #: websites and mail named together: what a DNS failure looks like
    quoted: list[set[str]] = field(default_factory=list)  #: terms of each message quoted


#: A quoted message is explained by an incident whose text has this share of its words.
QUOTE_EXPLAINED = 0.34


def read_request(request: Request, catalogue: Catalogue) -> RequestFacts:
    text = f"{request.subject}\n{request.message}"
    worded = worded_terms(text)
    found_terms = [term for term, _ in worded]
    originals: dict[str, str] = {}
    for token in _TOKEN.findall(text):
        token = token.strip("'’.-")
        originals.setdefault(fold(token), token)
    surface: dict[str, str] = {}
    for term, word in worded:
        surface.setdefault(term, _DISPLAY.get(word) or originals.get(word, word))
    together = "dns" in surface and "dns" not in originals  # sites and mail failing together
    if together:
        surface["dns"] = "sites et mails" if request.lang == "fr" else "websites and mail"
    domain_tlds = entities.tlds(request.domain) if request.domain else set()
    tld = sorted(domain_tlds)[0] if domain_tlds else None
    cues = intent.cues(text)
    return RequestFacts(
        text=text,
        terms=found_terms,
        surface=surface,
        codes=entities.error_codes(text),
        tlds=entities.tlds(text) | domain_tlds,
        domain_tlds=domain_tlds,
        datacenters=entities.datacenters(text),
        phones=entities.phone_countries(text),
        named=catalogue.named_in(text),
        onset=onset(text, request.at, tld),
        changed=changed_at(text, cues["own_change"].words, request.at, tld)
        if "own_change" in cues
        else None,
        cues=cues,
        third_parties=intent.third_parties(text),
        together=together,
        quoted=[q for q in (set(terms(quote)) for quote in entities.quotes(text)) if len(q) >= 2],
    )


def idf(docs: list[Doc], catalogue: Catalogue) -> dict[str, float]:
    corpus = list(catalogue.vocabulary.values()) + [set(d.terms) | d.service_terms for d in docs]
    size = len(corpus)
    frequency: dict[str, int] = {}
    for doc in corpus:
        for term in doc:
            frequency[term] = frequency.get(term, 0) + 1
    return {t: math.log(1 + (size - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}


def _r(code: str, customer: bool = False, **params: str) -> Reason:
    return Reason(code, tuple(sorted(params.items())), customer)


def pair(
    request: Request,
    facts: RequestFacts,
    doc: Doc,
    docs: list[Doc],
    weights: dict[str, float],
    catalogue: Catalogue,
    background: Background,
) -> tuple[dict[str, float], list[Reason]]:
    """The features of one candidate, and the reasons behind each."""
    f: dict[str, float] = {}
    reasons: list[Reason] = []
    unique = set(facts.terms)

    # -- catalogue ---------------------------------------------------------------------------
    relation = catalogue.relation(request.service_id, doc.affected)
    f["svc_" + relation] = 1.0
    picked = request.service_id or ""
    if relation == Relation.EXACT:
        reasons.append(_r("service_affected", True, service=picked))
    elif relation == Relation.GROUP:
        reasons.append(_r("service_group", True, service=picked))
    elif relation == Relation.RELATED:
        reasons.append(_r("service_related", True, service=picked))
    elif relation == Relation.OTHER:
        reasons.append(_r("service_other", False, service=picked))
    if picked in doc.excluded_services:
        f["svc_excluded"] = 1.0
        reasons.append(_r("service_excluded", False, service=picked))
    named_affected = facts.named & (doc.affected | doc.groups)
    named_specific = facts.named & doc.affected
    named_excluded = facts.named & doc.excluded_services
    if named_specific:
        f["named_affected"] = 1.0
        reasons.append(_r("names_service", True, service=sorted(named_specific)[0]))
    elif named_affected:
        f["named_group"] = 1.0
    if named_excluded and not named_specific:
        f["named_excluded"] = 1.0
        reasons.append(_r("names_excluded_service", False, service=sorted(named_excluded)[0]))
    if facts.named and not (facts.named & (doc.affected | doc.groups | doc.related)):
        f["named_other"] = 1.0

    # -- text --------------------------------------------------------------------------------
    scope = doc.scope
    shared = sorted(unique & set(doc.terms), key=lambda t: -weights.get(t, 0))
    total = sum(weights.get(t, 1.0) for t in unique) or 1.0
    mass = sum(weights.get(t, 0) for t in shared)
    specific = [t for t in shared if t not in doc.service_terms and t not in _PLACES]
    rare = sum(weights.get(t, 0) * background.rarity(t) for t in specific)
    ordinary = sum(weights.get(t, 0) * (1 - background.rarity(t)) for t in shared)
    f["text"] = math.log1p(mass) / 3
    f["text_share"] = mass / total
    f["specific"] = math.log1p(rare) / 3
    f["ordinary"] = math.log1p(ordinary) / 3
    f["name_hits"] = min(float(len(unique & doc.name_terms)), 3.0) / 3
    others = [
        sum(weights.get(t, 0) * background.rarity(t) for t in unique & set(d.terms))
        for d in docs
        if d is not doc
    ]
    best_other = max(others, default=0.0)
    if rare > 0 and rare >= best_other:
        f["best_text"] = 1.0
    f["margin"] = max(-1.0, min(1.0, (rare - best_other) / 4))
    aliases = (unique & doc.service_terms) - set(shared)
    alias_mass = sum(weights.get(t, 0) * background.rarity(t) for t in aliases)
    if alias_mass:
        f["alias"] = math.log1p(alias_mass) / 3
    excluded_mass = sum(
        weights.get(t, 0) for t in unique & doc.scope.excluded_terms if t not in doc.service_terms
    )
    if excluded_mass:
        f["excluded_words"] = math.log1p(excluded_mass) / 3
    # the sentence of the incident closest to the request: one that says "not affected" counts
    # against it, one that says what is affected for it
    rarest = max(weights.values(), default=1.0)  # a word no incident text uses elsewhere

    def closeness(sentence: set[str]) -> float:
        return sum(
            weights.get(t, rarest) * background.rarity(t)
            for t in unique & sentence
            if t not in doc.service_terms
        )

    near_in = max(map(closeness, scope.included_sentences), default=0.0)
    near_out = max(map(closeness, scope.excluded_sentences), default=0.0)
    if near_out:
        f["near_excluded"] = math.log1p(near_out) / 3
        if near_out > near_in:
            f["closer_excluded"] = min((near_out - near_in) / 4, 1.0)
    top = sorted(specific, key=lambda t: -weights.get(t, 0) * background.rarity(t))
    if "dns" in shared and facts.together:
        reasons.append(_r("sites_and_mail", True))
    shown = [t for t in top if background.rarity(t) >= 0.5]
    if shown and rare >= 0.6:
        words = [facts.surface.get(t, t) for t in shown[:3]]
        reasons.append(_r("shared_words", True, words=", ".join(words)))

    # a message the customer quotes (an error, a log line) that the incident's text explains
    if facts.quoted:
        told = set(doc.terms)
        best = max(len(q & told) / len(q) for q in facts.quoted)
        f["quote_match"] = best
        if best >= 2 * QUOTE_EXPLAINED:
            reasons.append(_r("quote_explained", True))
        elif best < QUOTE_EXPLAINED:
            f["quote_unexplained"] = 1.0
            reasons.append(_r("quote_unexplained"))

    # -- entities and scope ------------------------------------------------------------------
    common = facts.codes & scope.codes
    if common:
        f["codes"] = min(len(common), 2) / 2
        reasons.append(_r("codes", True, codes=", ".join(sorted(common)).upper()))
    elif facts.codes and scope.codes:
        f["codes_other"] = 1.0
    if facts.codes & scope.excluded_codes:
        f["codes_excluded"] = 1.0
    covered = set(scope.tlds)
    if scope.generic_tlds:
        covered |= entities.GENERIC_TLDS
    for source, found_tlds in (
        ("domain", facts.domain_tlds),
        ("text", facts.tlds - facts.domain_tlds),
    ):
        if not covered or not found_tlds:
            continue
        inside = found_tlds & covered
        if inside:
            f[f"tld_{source}_match"] = 1.0
            reasons.append(_r("tld", True, tld="." + sorted(inside)[0]))
        else:
            f[f"tld_{source}_conflict"] = 1.0
            reasons.append(_r("tld_conflict", tld="." + sorted(found_tlds)[0]))
    if facts.domain_tlds and facts.domain_tlds <= scope.excluded_tlds:
        f["tld_excluded"] = 1.0
    service_dcs = (
        entities.datacenters(" ".join(catalogue.services[picked].names))
        if picked in catalogue.services
        else set()
    )
    if scope.datacenters:
        for source, found_dcs in (("service", service_dcs), ("text", facts.datacenters)):
            if not found_dcs:
                continue
            if found_dcs & scope.datacenters:
                f[f"dc_{source}_match"] = 1.0
                if len(found_dcs) > 1:
                    f["dc_both"] = 1.0
                dc = sorted(found_dcs & scope.datacenters)[0]
                reasons.append(_r("datacenter", True, datacenter=dc))
            else:
                f[f"dc_{source}_conflict"] = 1.0
                reasons.append(_r("datacenter_conflict", datacenter=sorted(found_dcs)[0]))
    if (facts.datacenters | service_dcs) & scope.excluded_datacenters:
        f["dc_excluded"] = 1.0
    if scope.phone_countries and facts.phones:
        if facts.phones & scope.phone_countries:
            f["phone_match"] = 1.0
        else:
            f["phone_conflict"] = 1.0

    # -- onset and time ----------------------------------------------------------------------
    began = facts.onset
    if doc.start is not None:
        since = (request.at - doc.start).total_seconds() / 3600
        f["age"] = math.log1p(max(since, 0.0)) / 3
        if began.days_before:
            f["onset_days"] = 1.0
            reasons.append(_r("onset_before", words=began.words))
        elif began.began is not None:
            gap = (doc.start - began.began) / timedelta(hours=1)
            if gap > 0.75:
                f["onset_vague_gap" if began.vague else "onset_gap"] = min(math.log1p(gap), 2.5)
                reasons.append(_r("onset_before", words=began.words))
            else:
                f["onset_after"] = 1.0
                if not began.vague and gap >= -6:
                    reasons.append(_r("onset_match", True, words=began.words))
        changed = facts.changed
        if changed is not None and (doc.start - changed) / timedelta(hours=1) > 0.75:
            f["change_before"] = 1.0
    if doc.incident.kind == "maintenance":
        f["maintenance"] = 1.0

    # -- intent ------------------------------------------------------------------------------
    for name, cue in facts.cues.items():
        f["cue_" + name] = 1.0
        if name not in ("failure", "incident_ref", "safety"):
            reasons.append(_r("cue_" + name, words=cue.words))
    f.pop("cue_third_party", None)
    for party, role in sorted(facts.third_parties.items()):
        if party in doc.scope.excluded_text:
            f["third_party_excluded"] = 1.0
            continue
        if party in doc.text:
            f["third_party_in_incident"] = 1.0
            continue
        f["third_party" if role == "host" else f"third_party_{role}"] = 1.0
        if role == "host":
            reasons.append(_r("third_party", words=party))
    f["candidates"] = (len(docs) - 1) / 2
    others = [d for d in docs if d is not doc]
    if relation not in (Relation.EXACT,) and any(
        catalogue.relation(request.service_id, d.affected) == Relation.EXACT for d in others
    ):
        f["other_exact"] = 1.0
    if not named_specific and any(facts.named & d.affected for d in others):
        f["other_named"] = 1.0
    return f, reasons


#: From this probability, the service a request's words describe is told to the customer.
SAID_SHOWN = 0.5


def said_evidence(
    f: dict[str, float],
    said: dict[str, float],
    doc: Doc,
    request: Request,
    catalogue: Catalogue,
) -> list[Reason]:
    """How much the service the words describe is one this incident affects (or is close to)."""
    affected = sum(said.get(s, 0.0) for s in doc.affected | doc.groups)
    related = sum(said.get(s, 0.0) for s in doc.related)
    f["said_affected"] = affected
    f["said_related"] = related
    top = max(said, key=said.__getitem__)
    if top in doc.affected | doc.groups:
        f["said_top"] = 1.0
    best = max(doc.affected, key=lambda s: said.get(s, 0.0), default=None)
    if best and affected >= SAID_SHOWN and request.service_id not in doc.affected:
        return [_r("reads_as_service", True, service=best)]
    return []
