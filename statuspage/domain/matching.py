"""Is this contact request about one of the active incidents? Pure Python, explained in words.

How it decides, in words:

1. **Candidates** are the incidents and maintenances *active when the request was sent*: an
   incident from its start until it is resolved, a maintenance only inside its window. A resolved
   incident or a completed maintenance takes no new request. Only the updates published by then
   are read.
2. Each candidate gets **signals**, each explained in the result:
   - *service*: the customer picked an affected component, or the group that holds one; picking
     another service weighs a little against (customers often pick the wrong one);
   - *text*: the words the request shares with the incident (name, updates, keywords, and the
     names and aliases of its components in both languages), after accent folding, stop words,
     light stemming and a small bilingual vocabulary, each word weighed by how specific it is
     (inverse document frequency over the catalogue and the candidates);
   - *entities*: the TLD of the domain given or mentioned against the TLDs the incident names,
     datacenters, and error codes (`535`, `SERVFAIL`, `502`...) found in both;
   - *contradictions*: another datacenter or TLD than the incident's; a problem the customer says
     began well before the incident did ("since last week", "depuis 9h"); a setup outside our
     platform (their DNS at Cloudflare, their mail at Microsoft 365); a how-to question.
3. The signals are combined by a logistic model into a **score** in [0, 1]; its weights were fit
   on the labelled development set, scenario by scenario held out, and are fixed below.
4. The **proposal** is the best candidate if its score reaches the proposal threshold, else none.
   A proposal in the *high band* may be attached by itself if the customer never answers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

DEFAULT_PROPOSAL_THRESHOLD = 0.5
DEFAULT_HIGH_THRESHOLD = 0.8


# -- inputs and outputs ------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    """A catalogue entry, as the matcher reads it."""

    id: str
    names: tuple[str, ...]  #: in both languages
    aliases: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    group_id: str | None = None


@dataclass(frozen=True)
class Update:
    at: datetime
    body: str


@dataclass(frozen=True)
class Incident:
    id: str
    name: str
    kind: str  #: incident or maintenance
    started_at: datetime | None
    resolved_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    closed: bool = False  #: resolved, postmortem or completed
    components: tuple[str, ...] = ()  #: ids of the services it affects
    keywords: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()


@dataclass(frozen=True)
class Request:
    subject: str
    message: str
    at: datetime
    service_id: str | None = None
    domain: str | None = None
    lang: str = "en"


@dataclass(frozen=True)
class Match:
    incident_id: str
    name: str
    score: float
    reasons: tuple[str, ...]
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Result:
    matches: tuple[Match, ...]  #: best first
    proposal: Match | None
    high: bool  #: the proposal is in the high band

    @property
    def proposal_id(self) -> str | None:
        return self.proposal.incident_id if self.proposal else None


# -- text --------------------------------------------------------------------------------------

STOP_WORDS = frozenset(
    """
    a an and are as at be been but by can could did do does for from had has have hello hi how i
    if in into is it its me my no not of on or our please so that the their them then there these
    they this those to us was we were what when where which while who why will with would you your
    yours am any all also just get got still again very too about after before over only some same
    thanks thank regards best cheers dear team hey ok okay yes
    au aux avec ce ces cet cette ceci dans de des du elle en et est etre il ils je la le les leur
    leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son
    sur ta te tes toi ton tu un une vos votre vous y a ai as avons avez ont suis sommes etes sont
    ete fait faire plus tres bien tout tous toute toutes merci bonjour bonsoir cordialement
    salutations madame monsieur mme svp stp ca cela c j l d n s t qu quand comment pourquoi si
    deja encore aussi alors donc car chez depuis pendant
    """.split()
)

#: Words every support request uses; they say nothing about *which* problem.
GENERIC = frozenset(
    """
    problem problems issue issues help urgent asap work working works worked doesn stopped stop
    today morning afternoon evening yesterday since now time minute minutes hour hours day days
    week thing things anything something everything nothing still know need want try tried trying
    probleme problemes souci soucis aide urgent marche fonctionne fonctionner arrive arriver
    aujourd hui matin apres midi soir hier maintenant heure heures minute minutes jour jours
    semaine rien chose quelque besoin essaye essayer pouvez pourriez peux pouvons savoir
    error errors erreur erreurs page pages service services servic message messages see saw seen
    own new via logiciel software same meme toujours always cannot impossible impossib unable
    able normal normally normalement usual usually habitude look looks looking regarder voir
    vois vu thanks merci fine ok
    """.split()
)

#: A small bilingual vocabulary: French (and variant) stems to a shared concept.
CONCEPTS = {
    "envoi": "send",
    "envoy": "send",
    "envoie": "send",
    "envoye": "send",
    "sending": "send",
    "sent": "send",
    "recoi": "receiv",
    "recev": "receiv",
    "recu": "receiv",
    "reception": "receiv",
    "receiving": "receiv",
    "received": "receiv",
    "incoming": "receiv",
    "entrant": "receiv",
    "motdepasse": "password",
    "passe": "password",
    "passwd": "password",
    "connexion": "login",
    "identifiant": "login",
    "identifiants": "login",
    "log": "login",
    "logged": "login",
    "signin": "login",
    "sign": "login",
    "lent": "slow",
    "lenteur": "slow",
    "rame": "slow",
    "ramer": "slow",
    "slowly": "slow",
    "injoign": "unreach",
    "inaccessibl": "unreach",
    "unreachabl": "unreach",
    "joindr": "unreach",
    "down": "unreach",
    "offline": "unreach",
    "hs": "unreach",
    "publication": "publish",
    "publier": "publish",
    "publie": "publish",
    "paiement": "payment",
    "payer": "payment",
    "pay": "payment",
    "paid": "payment",
    "carte": "card",
    "cb": "card",
    "visa": "card",
    "mastercard": "card",
    "certificat": "certif",
    "certificate": "certif",
    "cert": "certif",
    "ssl": "certif",
    "tls": "certif",
    "https": "certif",
    "securis": "certif",
    "secur": "certif",
    "retard": "delay",
    "delayed": "delay",
    "late": "delay",
    "lateness": "delay",
    "boite": "mailbox",
    "mailboxe": "mailbox",
    "courriel": "mail",
    "email": "mail",
    "mails": "mail",
    "emails": "mail",
    "messag": "mail",
    "messagerie": "mail",
    "renouvel": "renew",
    "renouvellement": "renew",
    "renewal": "renew",
    "transfert": "transfer",
    "transfers": "transfer",
    "transf": "transfer",
    "servers": "server",
    "updat": "update",
    "updates": "update",
    "updated": "update",
    "certific": "certif",
    "pending": "pending",
    "pend": "pending",
    "queued": "pending",
    "queu": "pending",
    "attente": "pending",
    "attent": "pending",
    "stuck": "pending",
    "bloque": "pending",
    "bloqu": "pending",
    "facture": "invoic",
    "invoice": "invoic",
    "refus": "refus",
    "refuse": "refus",
    "rejet": "refus",
    "reject": "refus",
    "declin": "refus",
    "denied": "refus",
    "invalid": "refus",
    "invalide": "refus",
    "echec": "fail",
    "echou": "fail",
    "failed": "fail",
    "failure": "fail",
    "failing": "fail",
    "erreur": "error",
    "errors": "error",
    "serveur": "server",
    "nom": "name",
    "resolution": "resolv",
    "resoudr": "resolv",
    "resolve": "resolv",
    "resolving": "resolv",
    "lecture": "read",
    "ecrir": "write",
    "ecriture": "write",
    "writabl": "write",
    "written": "write",
    "seul": "only",
    "mise": "update",
    "miseajour": "update",
    "deconnect": "logout",
    "deconnexion": "logout",
    "logout": "logout",
    "logged out": "logout",
    "code": "code",
    "codes": "code",
    "authentification": "authent",
    "authentication": "authent",
    "authenticat": "authent",
    "authentifi": "authent",
    "auth": "authent",
    "2fa": "2fa",
    "totp": "2fa",
    "authy": "2fa",
    "doubl": "2fa",
    "verification": "2fa",
    "domaine": "domain",
    "nameserver": "nameserv",
    "nameservers": "nameserv",
    "serveurs de noms": "nameserv",
    "propagation": "propag",
    "instance": "instance",
    "vm": "server",
    "vps": "server",
    "ssh": "ssh",
    "perte": "loss",
    "paquet": "packet",
    "packets": "packet",
    "datacenter": "datacent",
    "salle": "datacent",
    "registre": "registry",
    "registr": "registry",
    "titulaire": "owner",
    "proprietair": "owner",
}

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
_ERROR_CODE = re.compile(
    r"\b(?:[1-5]\d\d(?:[ -][1-5]\.\d{1,3}\.\d{1,3})?|[1-5]\.\d{1,3}\.\d{1,3}|0x[0-9a-f]{8}|"
    r"servfail|nxdomain|refused|timeout|err_[a-z_]+|dns_probe_[a-z_]+)\b"
)
_TLD_MENTION = re.compile(r"(?<![\w-])\.([a-z]{2,12}(?:\.[a-z]{2})?)\b")
_DOMAIN = re.compile(r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,12})\b")
KNOWN_TLDS = frozenset(
    """com net org info biz fr de eu uk be ch lu at nl es it pt pl cz se no dk fi ie is gr
    ro hu sk si hr bg lt lv ee us ca mx br ar au nz jp cn kr sg hk in za io co me tv cc app dev
    ai xyz online site shop store tech cloud paris bzh alsace corsica""".split()
)
DATACENTERS = {
    "paris": ("paris", "fr-par", "par1", "par2"),
    "luxembourg": ("luxembourg", "lux", "lu-bi1", "bi1"),
}
_NOT_A_PLACE = re.compile(
    r"(?:\d{1,2}\s*[h:.]\s*\d{0,2}\s*(?:heure\s+de\s+|h\s+)?paris|paris\s+time|heure\s+de\s+paris|"
    r"paris\s+local|paris,\s+amsterdam|amsterdam)"
)


def fold(text: str) -> str:
    """Lowercase without accents, typographic quotes made plain."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return text.lower().replace("\u2019", "'").replace("\u00a0", " ")


def stem(word: str) -> str:
    """A light stemmer for French and English: strip a plural or a common ending, then cut."""
    for suffix in (
        "ements",
        "ement",
        "ations",
        "ation",
        "ments",
        "ment",
        "ings",
        "ing",
        "ies",
        "ees",
        "ers",
        "er",
        "es",
        "ed",
        "ee",
        "s",
        "e",
        "x",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:8]


_PLACES = frozenset(stem(n) for names in DATACENTERS.values() for n in names)


#: Concepts reached by prefix (long keys only: a short one would swallow other words).
_PREFIXES = sorted((k for k in CONCEPTS if len(k) >= 6 and " " not in k), key=len, reverse=True)


def _concept(word: str) -> str:
    if word in CONCEPTS:
        return CONCEPTS[word]
    stemmed = stem(word)
    if stemmed in CONCEPTS:
        return CONCEPTS[stemmed]
    for prefix in _PREFIXES:
        if word.startswith(prefix):
            return CONCEPTS[prefix]
    return stemmed


#: Phrases that name one thing: error wordings of common tools, multi-word concepts.
PHRASES = (
    (re.compile(r"server\s+failed|status:\s*servfail"), " servfail "),
    (
        re.compile(
            r"dns_probe_finished_nxdomain|dns_probe_\w+|adresse\s+dns\s+introuvable|"
            r"impossible\s+de\s+trouver\s+l'adresse\s+ip|server\s+ip\s+address\s+could\s+"
            r"not\s+be\s+found|could\s+not\s+resolve|ne\s+parvient\s+pas\s+a\s+trouver"
        ),
        " nxdomain resolv ",
    ),
    (re.compile(r"mot\s+de\s+passe"), " motdepasse "),
    (re.compile(r"mise\s+a\s+jour"), " miseajour "),
    (re.compile(r"serveurs?\s+de\s+noms"), " nameservers "),
    (re.compile(r"3-?d\s*secure|3ds\b"), " 3dsecure "),
    (re.compile(r"let'?s\s*encrypt"), " letsencrypt "),
    (re.compile(r"read-only|lecture\s+seule"), " readonly "),
    (re.compile(r"double\s+authentification|two-factor|2-factor|2\s*fa\b"), " 2fa "),
)


def normalise(text: str) -> str:
    folded = fold(text)
    for pattern, replacement in PHRASES:
        folded = pattern.sub(replacement, folded)
    return folded


_WEB = re.compile(r"\b(?:site|sites|website|websites|site\s+web|vitrine)\b")
_MAIL = re.compile(r"\b(?:mail|mails|email|emails|e-mail|courriel|courriels|boites?)\b")


def terms(text: str) -> list[str]:
    """The meaningful terms of a text: folded, stop words and generic words out, stemmed.

    Websites and mail of a domain failing together is what a DNS failure looks like to a
    customer: such a text also carries the term `dns`.
    """
    folded = normalise(text)
    if _WEB.search(folded) and _MAIL.search(folded):
        folded += " dns"
    result = []
    for word in _WORD.findall(folded):
        word = word.strip("'.")
        if "'" in word:
            word = word.split("'", 1)[1]
        if len(word) < 2 or word in STOP_WORDS or word in GENERIC:
            continue
        if word.isdigit() and len(word) != 3:
            continue
        result.append(_concept(word))
    return [t for t in result if t and t not in GENERIC]


def error_codes(text: str) -> set[str]:
    """Error codes, each part on its own: `535 5.7.8` gives `535` and `5.7.8`."""
    return {
        part
        for found in _ERROR_CODE.findall(normalise(text))
        for part in re.split(r"[ -]", found)
        if part
    }


def tlds(text: str) -> set[str]:
    folded = fold(text)
    found = {m for m in _TLD_MENTION.findall(folded) if m.split(".")[-1] in KNOWN_TLDS}
    for match in _DOMAIN.finditer(folded):
        if match.group(1) in KNOWN_TLDS and "@" not in folded[max(0, match.start() - 1)]:
            found.add(match.group(1))
    return {t.split(".")[-1] for t in found}


def datacenters(text: str) -> set[str]:
    folded = _NOT_A_PLACE.sub(" ", fold(text))
    words = set(_WORD.findall(folded)) | set(re.findall(r"[a-z]+-[a-z0-9]+", folded))
    return {dc for dc, names in DATACENTERS.items() if words & set(names)}


# -- onset: when the customer says the problem began ------------------------------------------

_DAYS_BEFORE = re.compile(
    r"\b(?:(?:depuis|since)\s+(?:hier|yesterday|avant-hier|last\s+\w+|la\s+semaine\s+derniere|"
    r"le\s+mois\s+dernier|(?:quelques|plusieurs|\d+)\s+(?:jours|semaines|mois|days|weeks)|"
    r"(?:a\s+few|several)\s+(?:days|weeks)|des\s+jours|des\s+semaines|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|(?:le|ce|the)\s+week-?end|le\s+\d{1,2}(?:er)?\b)|"
    r"for\s+(?:a\s+few|several|\d+|two|three|many)\s+(?:days|weeks|months)|for\s+days|"
    r"(?:a\s+few|several|\d+)\s+days\s+ago|il\s+y\s+a\s+(?:\d+|quelques|plusieurs)\s+jours|"
    r"pending\s+for\s+\d+\s+days|depuis\s+la\s+semaine\s+derniere|days\s+old)\b"
)
_CLOCK = re.compile(
    r"(?:depuis|since|from|vers|around|about|a|at|~|environ|starting|started|begun|began|des)"
    r"\s*(?:environ\s+|about\s+|around\s+|~\s*|ce\s+matin\s+|this\s+morning\s+)?"
    r"(\d{1,2})\s*(?:h|:|\.)\s*(\d{2})?\s*(am|pm)?\s*(utc|gmt|cet|cest|sgt|paris|heure\s+de\s+paris)?"
    r"|(?:depuis|since|from|around|about|at|~)\s*(?:around\s+|about\s+)?(\d{1,2})\s*(am|pm)\s*"
    r"(utc|gmt|cet|cest|sgt|paris)?"
)
#: Parts of the day, at their latest plausible hour (local time): "since this morning" contradicts
#: only an incident that began in the afternoon.
_PARTS_OF_DAY = (
    (re.compile(r"\b(?:depuis|since)\s+(?:ce\s+)?midi\b|\bsince\s+noon\b"), 12),
    (re.compile(r"\b(?:depuis\s+ce\s+matin|since\s+this\s+morning|since\s+early\s+morning)\b"), 11),
)
_OFFSETS = {"utc": 0, "gmt": 0, "cet": 1, "cest": 2, "sgt": 8}


def _local_to_utc(day: datetime, hour: int, minute: int, zone: str | None, lang: str) -> datetime:
    if zone in _OFFSETS:
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
        return moment - timedelta(hours=_OFFSETS[zone])
    local_day = day.astimezone(PARIS)
    local = datetime(local_day.year, local_day.month, local_day.day, hour, minute, tzinfo=PARIS)
    return local.astimezone(UTC)


def onset(text: str, at: datetime, lang: str) -> tuple[datetime | None, str]:
    """The earliest time the customer gives for the start of the problem, and the words."""
    folded = fold(text)
    days = _DAYS_BEFORE.search(folded)
    if days:
        return at - timedelta(days=1), days.group(0)
    earliest: tuple[datetime | None, str] = (None, "")
    for match in _CLOCK.finditer(folded):
        if match.group(1) is not None:
            hour, minute = int(match.group(1)), int(match.group(2) or 0)
            meridiem, zone = match.group(3), match.group(4)
        else:
            hour, minute, meridiem, zone = int(match.group(5)), 0, match.group(6), match.group(7)
        if meridiem == "pm" and hour < 12:
            hour += 12
        if meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            continue
        if zone and zone.startswith(("paris", "heure")):
            zone = None
        moment = _local_to_utc(at, hour, minute, zone, lang)
        if moment > at + timedelta(minutes=5):
            continue  # a time in the future: another day, or a zone we cannot tell
        if earliest[0] is None or moment < earliest[0]:
            earliest = (moment, match.group(0).strip())
    if earliest[0] is not None:
        return earliest
    for pattern, hour in _PARTS_OF_DAY:
        found = pattern.search(folded)
        if found:
            moment = _local_to_utc(at, hour, 0, None, lang)
            if moment <= at:
                return moment, found.group(0)
    return None, ""


# -- other cues --------------------------------------------------------------------------------

_HOWTO = re.compile(
    r"\b(?:how\s+(?:do|can|to|should)|is\s+it\s+possible|can\s+i\b|could\s+you\s+(?:tell|explain)|"
    r"where\s+(?:can|do|is)|which\s+ip|do\s+you\s+support|what\s+is\s+the\s+(?:price|cost)|"
    r"comment\s+(?:faire|puis|je|on|creer|installer|changer|ajouter|modifier|mettre)|"
    r"est-il\s+possible|est-ce\s+possible|pouvez-vous\s+m'expliquer|ou\s+trouver|"
    r"est\s+ce\s+que\s+\w+\s+(?:gere|supporte|permet)|je\s+voudrais\s+(?:savoir|faire|changer|"
    r"ajouter|creer)|i\s+would\s+like\s+to|i'd\s+like\s+to|quel\s+(?:est\s+le\s+)?(?:tarif|prix))"
)
_OWN_CHANGE = re.compile(
    r"\b(?:(?:since|after)\s+(?:i|we)\s+(?:updated|upgraded|changed|switched|installed|moved|"
    r"migrated|deployed|modified|added|enabled|disabled)|"
    r"(?:depuis|apres)\s+(?:que\s+)?(?:j'ai|nous\s+avons|on\s+a)\s+(?:mis\s+a\s+jour|change|"
    r"installe|modifie|ajoute|active|desactive|migre|deplace|bascule)|"
    r"(?:depuis|apres)\s+(?:la|ma|notre|une)\s+(?:mise\s+a\s+jour|migration|modification)|"
    r"after\s+(?:my|our|the)\s+(?:own\s+)?(?:update|upgrade|change|migration|deploy)|"
    r"locked\s+myself\s+out|je\s+me\s+suis\s+bloque)"
)
_ELSEWHERE = re.compile(
    r"\b(?:cloudflare|wix|squarespace|shopify|microsoft\s*365|office\s*365|office365|"
    r"outlook\.com|google\s+workspace|gmail\s+workspace|g\s*suite|ovh|gandi|godaddy|ionos|"
    r"hostinger|my\s+own\s+(?:server|bind|master)|our\s+own\s+(?:server|bind|"
    r"master)|notre\s+propre\s+serveur|mon\s+propre\s+serveur|loopia|netlify|vercel)\b"
)


# -- the model ---------------------------------------------------------------------------------

#: Logistic weights, fit on the development set by bench/train_matcher.py (L2 0.001). The
#: contradictions (`*_conflict`, `onset_before`, `elsewhere`) are rules set by hand, strong
#: enough to veto a proposal; `howto` is a hand-set cue.
WEIGHTS: dict[str, float] = {
    "bias": -3.46,
    "text": 2.58,
    "text_share": 1.24,
    "specific": 0.6,
    "specific_share": 0.1,
    "alias_share": 0.79,
    "name_hits": 1.19,
    "best_text": 1.48,
    "service_exact": -0.79,
    "service_group": 1.24,
    "service_none": 0.5,
    "service_other": -0.99,
    "text_service": 1.0,
    "codes": 1.93,
    "tld_match": 1.12,
    "tld_conflict": -8.0,
    "dc_match": -1.63,
    "dc_conflict": -8.0,
    "onset_before": -8.0,
    "elsewhere": -8.0,
    "howto": -2.0,
    "own_change": -1.25,
}


@dataclass
class _Doc:
    incident: Incident
    terms: dict[str, float]  #: the incident's own words: name, updates, keywords
    service_terms: set[str]  #: names and aliases of the components it affects
    name_terms: set[str]
    codes: set[str]
    tlds: set[str]
    datacenters: set[str]
    services: set[str]
    groups: set[str]


def is_candidate(incident: Incident, at: datetime) -> bool:
    """Active when the request was sent: started, not yet resolved, inside a maintenance window."""
    if incident.kind == "maintenance":
        start = incident.started_at or incident.scheduled_for
        end = incident.resolved_at if incident.closed else incident.scheduled_until
        if incident.resolved_at is not None and (end is None or incident.resolved_at < end):
            end = incident.resolved_at
        return start is not None and start <= at and (end is None or at < end)
    if incident.started_at is None or incident.started_at > at:
        return False
    return incident.resolved_at is None or at < incident.resolved_at


def _weights(items: Iterable[str]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


class Matcher:
    """Built once per catalogue; `match` is then cheap enough for each keystroke of the form."""

    def __init__(
        self,
        services: Sequence[Service],
        proposal_threshold: float = DEFAULT_PROPOSAL_THRESHOLD,
        high_threshold: float = DEFAULT_HIGH_THRESHOLD,
        weights: dict[str, float] | None = None,
    ) -> None:
        self.services = {s.id: s for s in services}
        self.proposal_threshold = proposal_threshold
        self.high_threshold = high_threshold
        self.weights = dict(WEIGHTS if weights is None else weights)
        self.service_terms = {
            s.id: set(terms(" ".join((*s.names, *s.aliases, *s.descriptions)))) for s in services
        }
        self.background = list(self.service_terms.values())

    # documents

    def _doc(self, incident: Incident, at: datetime) -> _Doc:
        visible = [u.body for u in incident.updates if u.at <= at]
        service_text = []
        groups = set()
        for component_id in incident.components:
            service = self.services.get(component_id)
            if service is None:
                continue
            service_text += [*service.names, *service.aliases]
            if service.group_id:
                groups.add(service.group_id)
        text_parts = [incident.name, incident.name, *visible, " ".join(incident.keywords)]
        all_text = " ".join(text_parts)
        return _Doc(
            incident=incident,
            terms=_weights(terms(all_text)),
            service_terms=set(terms(" ".join(service_text))),
            name_terms=set(terms(incident.name)),
            codes=error_codes(all_text) | {k.lower() for k in incident.keywords if k.isdigit()},
            tlds=tlds(" ".join([incident.name, *visible]))
            | {k.lower().lstrip(".") for k in incident.keywords if k.startswith(".")},
            datacenters=datacenters(" ".join([incident.name, " ".join(service_text)])),
            services=set(incident.components),
            groups=groups,
        )

    def _idf(self, docs: list[_Doc]) -> dict[str, float]:
        corpus = self.background + [set(d.terms) | d.service_terms for d in docs]
        size = len(corpus)
        frequency: dict[str, int] = {}
        for doc in corpus:
            for term in doc:
                frequency[term] = frequency.get(term, 0) + 1
        return {t: math.log(1 + (size - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    # signals

    def _signals(
        self,
        request: Request,
        doc: _Doc,
        idf: dict[str, float],
        best_other: float,
        request_terms: list[str],
        request_text: str,
    ) -> tuple[dict[str, float], list[str]]:
        features: dict[str, float] = {}
        reasons: list[str] = []
        incident = doc.incident
        unique = set(request_terms)

        shared = sorted(unique & set(doc.terms), key=lambda t: -idf.get(t, 0))
        mass = sum(idf.get(t, 0) for t in shared)
        total = sum(idf.get(t, 1.0) for t in unique) or 1.0
        # words of this incident beyond what any request about the service would say
        specific = [t for t in shared if t not in doc.service_terms and t not in _PLACES]
        specific_mass = sum(idf.get(t, 0) for t in specific)
        features["text"] = math.log1p(mass) / 3
        features["text_share"] = mass / total
        features["specific"] = math.log1p(specific_mass) / 3
        features["specific_share"] = specific_mass / total
        features["name_hits"] = float(len(unique & doc.name_terms))
        features["best_text"] = 1.0 if mass >= best_other and mass > 0 else 0.0
        if shared:
            reasons.append("text: shares " + ", ".join(shared[:6]))
        else:
            reasons.append("text: no word in common with the incident")
        aliases = sorted((unique & doc.service_terms) - set(shared), key=lambda t: -idf.get(t, 0))
        features["alias_share"] = sum(idf.get(t, 0) for t in aliases) / total
        if aliases:
            reasons.append("text: names the affected service (" + ", ".join(aliases[:4]) + ")")

        service = self.services.get(request.service_id or "")
        if service is None:
            features["service_none"] = 1.0
            reasons.append("service: none chosen")
        elif service.id in doc.services:
            features["service_exact"] = 1.0
            reasons.append(f"service: {service.names[0]} is affected")
        elif service.id in doc.groups:
            features["service_group"] = 1.0
            reasons.append(f"service: {service.names[0]} holds an affected component")
        else:
            features["service_other"] = 1.0
            reasons.append(f"service: {service.names[0]} is not affected")

        # which service does the text itself point to?
        scores = {
            sid: sum(idf.get(t, 0) for t in unique & words)
            for sid, words in self.service_terms.items()
        }
        if scores:
            top = max(scores.values())
            if top > 0:
                pointed = {sid for sid, s in scores.items() if s >= top * 0.8}
                hit = pointed & (doc.services | doc.groups)
                if hit:
                    features["text_service"] = 1.0
                    name = self.services[sorted(hit)[0]].names[0]
                    reasons.append(f"text: speaks of {name}")

        request_codes = error_codes(request_text)
        common_codes = request_codes & doc.codes
        if common_codes:
            features["codes"] = float(min(len(common_codes), 2))
            reasons.append("entities: same error code " + ", ".join(sorted(common_codes)))

        request_tlds = tlds(request_text)
        if request.domain:
            request_tlds |= tlds(request.domain)
        if doc.tlds:
            if request_tlds & doc.tlds:
                features["tld_match"] = 1.0
                reasons.append("entities: TLD ." + ", .".join(sorted(request_tlds & doc.tlds)))
            elif request_tlds:
                features["tld_conflict"] = 1.0
                reasons.append(
                    "contradiction: the customer's TLD ."
                    + ", .".join(sorted(request_tlds))
                    + " is not the incident's ."
                    + ", .".join(sorted(doc.tlds))
                )

        service_dc = datacenters(" ".join(service.names)) if service else set()
        request_dcs = service_dc or datacenters(request_text)
        if doc.datacenters and request_dcs:
            if request_dcs & doc.datacenters:
                features["dc_match"] = 1.0
                reasons.append("entities: datacenter " + ", ".join(sorted(doc.datacenters)))
            else:
                features["dc_conflict"] = 1.0
                reasons.append(
                    "contradiction: the customer names "
                    + ", ".join(sorted(request_dcs))
                    + ", the incident concerns "
                    + ", ".join(sorted(doc.datacenters))
                )

        start = incident.started_at or incident.scheduled_for
        began, words = onset(request_text, request.at, request.lang)
        if began is not None and start is not None and began < start - timedelta(minutes=45):
            features["onset_before"] = 1.0
            reasons.append(
                f"contradiction: the customer says it began {words!r}, before the incident "
                f"({start:%H:%M} UTC)"
            )

        elsewhere = _ELSEWHERE.search(fold(request_text))
        if elsewhere:
            features["elsewhere"] = 1.0
            reasons.append(f"contradiction: mentions {elsewhere.group(0)}, outside our platform")

        change = _OWN_CHANGE.search(fold(request_text))
        if change:
            features["own_change"] = 1.0
            reasons.append(f"cue: follows a change of the customer's own ({change.group(0)!r})")

        howto = _HOWTO.search(fold(request_text))
        if howto:
            features["howto"] = 1.0
            reasons.append(f"cue: reads like a how-to question ({howto.group(0)!r})")
        return features, reasons

    def score(self, features: dict[str, float]) -> float:
        total = self.weights.get("bias", 0.0)
        for name, value in features.items():
            total += self.weights.get(name, 0.0) * value
        return 1 / (1 + math.exp(-total))

    def match(self, request: Request, incidents: Iterable[Incident]) -> Result:
        active = [i for i in incidents if is_candidate(i, request.at)]
        if not active:
            return Result((), None, False)
        docs = [self._doc(i, request.at) for i in active]
        idf = self._idf(docs)
        request_text = f"{request.subject}\n{request.message}"
        request_terms = terms(request_text)
        masses = [
            sum(idf.get(t, 0) for t in set(request_terms) & (set(d.terms) | d.service_terms))
            for d in docs
        ]
        matches = []
        for index, doc in enumerate(docs):
            others = [m for j, m in enumerate(masses) if j != index]
            features, reasons = self._signals(
                request, doc, idf, max(others, default=0.0), request_terms, request_text
            )
            score = self.score(features)
            matches.append(
                Match(doc.incident.id, doc.incident.name, round(score, 4), tuple(reasons), features)
            )
        matches.sort(key=lambda m: -m.score)
        best = matches[0]
        proposal = best if best.score >= self.proposal_threshold else None
        return Result(
            tuple(matches), proposal, bool(proposal and best.score >= self.high_threshold)
        )
