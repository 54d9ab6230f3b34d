"""Text evidence: the words a request shares with an incident, in either language.

Words are folded (no accents, lower case), common phrases are joined into one term, stop words
and words every request uses are dropped, and the rest is stemmed and mapped onto a small
bilingual vocabulary of concepts, so that "envoi" meets "sending" and "certificat" meets "SSL".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

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
    one two three first second other others another each every both many much more most less
    few several such own than here out up down off under again further once should shall may
    might must let lets being having doing yet even ever never often really quite rather maybe
    perhaps though although because since until unless whether either neither via per among
    within without around across along against between through during upon onto its itself
    myself ourselves yourself themselves he she him her his hers they're we're i'm i've i'd
    you're it's isn aren wasn weren hasn haven hadn don didn won wouldn couldn shouldn
    un deux trois premier premiere second seconde autre autres chaque plusieurs beaucoup peu
    moins tant trop assez certains certaines meme memes quel quelle quels quelles lequel
    laquelle dont ou sans sous vers entre contre selon avant apres comme ainsi puis ensuite
    enfin parce lorsque lorsqu puisque tandis quoi celui celle ceux celles celui-ci cela
    ici voici voila peut peuvent doit doivent pourrait serait sera seront etait etaient avait
    avaient avoir aurait aura eu fois jamais souvent vraiment peut-etre non oui
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
    vois vu thanks merci fine ok client clients customer customers
    """.split()
)

#: French (and variant) stems onto one shared concept.
# fmt: off
CONCEPTS = {
    "envoi": "send", "envoy": "send", "envoie": "send", "envoye": "send", "sending": "send",
    "sent": "send", "recoi": "receiv", "recev": "receiv", "recu": "receiv",
    "reception": "receiv", "receiving": "receiv", "received": "receiv", "incoming": "receiv",
    "entrant": "receiv", "motdepasse": "password", "passe": "password", "passwd": "password",
    "mdp": "password", "connexion": "login", "identifiant": "login", "identifiants": "login",
    "log": "login", "logged": "login", "signin": "login", "sign": "login", "connect": "login",
    "lent": "slow", "lenteur": "slow", "rame": "slow", "ramer": "slow", "slowly": "slow",
    "injoign": "unreach", "inaccessibl": "unreach", "unreachabl": "unreach", "joindr": "unreach",
    "down": "unreach", "offline": "unreach", "hs": "unreach", "ko": "unreach", "panne": "unreach",
    "publication": "publish", "publier": "publish", "publie": "publish", "paiement": "payment",
    "payer": "payment", "pay": "payment", "paid": "payment", "carte": "card", "cb": "card",
    "visa": "card", "mastercard": "card", "bancair": "card", "certificat": "certif",
    "certificate": "certif", "cert": "certif", "ssl": "certif", "tls": "certif",
    "https": "certif", "securis": "certif", "secur": "certif", "cadenas": "certif",
    "retard": "delay", "delayed": "delay", "late": "delay", "lateness": "delay",
    "boite": "mailbox", "mailboxe": "mailbox", "courriel": "mail", "email": "mail",
    "mails": "mail", "emails": "mail", "messag": "mail", "messagerie": "mail",
    "renouvel": "renew", "renouvellement": "renew", "renewal": "renew", "transfert": "transfer",
    "transfers": "transfer", "transf": "transfer", "servers": "server", "updat": "update",
    "updates": "update", "updated": "update", "certific": "certif", "pending": "pending",
    "pend": "pending", "queued": "pending", "queu": "pending", "attente": "pending",
    "attent": "pending", "stuck": "pending", "bloque": "pending", "bloqu": "pending",
    "cours": "pending", "facture": "invoic", "invoice": "invoic", "refus": "refus",
    "refuse": "refus", "rejet": "refus", "reject": "refus", "declin": "refus", "denied": "refus",
    "invalid": "refus", "invalide": "refus", "echec": "fail", "echou": "fail", "failed": "fail",
    "failure": "fail", "failing": "fail", "erreur": "error", "errors": "error",
    "serveur": "server", "nom": "name", "resolution": "resolv", "resoudr": "resolv",
    "resolve": "resolv", "resolving": "resolv", "lecture": "read", "ecrir": "write",
    "ecriture": "write", "writabl": "write", "written": "write", "seul": "only",
    "mise": "update", "miseajour": "update", "deconnect": "logout", "deconnexion": "logout",
    "logout": "logout", "code": "code", "codes": "code", "authentification": "authent",
    "authentication": "authent", "authenticat": "authent", "authentifi": "authent",
    "auth": "authent", "2fa": "2fa", "totp": "2fa", "authy": "2fa", "doubl": "2fa",
    "verification": "2fa", "domaine": "domain", "nameserver": "nameserv",
    "nameservers": "nameserv", "propagation": "propag", "vm": "server", "vps": "server",
    "perte": "loss", "paquet": "packet", "packets": "packet", "datacenter": "datacent",
    "salle": "datacent", "registre": "registry", "registr": "registry", "titulaire": "owner",
    "proprietair": "owner", "website": "site", "sitewe": "site", "boutiqu": "shop",
    "commande": "order", "orders": "order", "hebergement": "hosting", "heberg": "hosting",
    "hoste": "hosting", "hosted": "hosting", "base": "database", "bdd": "database",
    "mysql": "database", "sql": "database", "phpmyadmin": "database", "editeur": "builder",
    "createur": "builder", "redirect": "redirect", "redirig": "redirect",
    "redirection": "redirect", "forward": "redirect", "expir": "expire", "expire": "expire",
    "expiry": "expire", "sauvegard": "backup", "snapshot": "backup", "instantane": "backup",
    "disque": "disk", "disk": "disk", "volum": "disk", "stockag": "storag", "storage": "storag",
    "telephone": "phone", "mobile": "phone", "portabl": "phone", "sms": "sms", "texto": "sms",
    "coupur": "power", "electriqu": "power", "onduleur": "power", "alimentation": "power",
    "reseau": "network", "network": "network", "latenc": "latency", "ralenti": "slow",
    "delai": "delay", "lenteurs": "slow", "indisponibl": "unreach", "unavailabl": "unreach",
    "timeout": "timeout", "expired": "expire", "enregistr": "regist", "register": "regist",
    "registration": "regist", "achat": "regist", "commander": "order", "zone": "zone",
    "secondair": "secondary", "esclave": "secondary", "slave": "secondary", "cle": "key",
    "jeton": "token", "requet": "request", "limit": "limit", "limite": "limit",
    "quota": "limit", "throttl": "limit",
}
# fmt: on
CONCEPTS.update({"mail": "mail"})

_WORD = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")

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
    (re.compile(r"serveurs?\s+de\s+noms?|name\s*servers?"), " nameservers "),
    (re.compile(r"3-?d\s*secure|3ds\b"), " 3dsecure "),
    (re.compile(r"let'?s\s*encrypt"), " letsencrypt "),
    (re.compile(r"read-only|read\s+only|lecture\s+seule|readonly"), " readonly "),
    (re.compile(r"double\s+authentification|two-factor|2-factor|2\s*fa\b|a2f\b"), " 2fa "),
    (re.compile(r"site\s+web|web\s*site"), " website "),
    (re.compile(r"nom\s+de\s+domaine|domain\s+name"), " domaine "),
    (
        re.compile(
            r"tableau\s+de\s+bord|control\s+panel|espace\s+client|panneau|interface\s+de\s+"
            r"gestion|dashboard"
        ),
        " panel ",
    ),
    (re.compile(r"\blog(?:ging)?\s+(?:in|on)\b|\bsign(?:ing)?\s+in\b|se\s+connecter"), " login "),
    (re.compile(r"web\s*mail|messagerie\s+web"), " webmail "),
    (re.compile(r"hors\s+ligne|hors\s+service|en\s+panne|out\s+of\s+service"), " down "),
    (re.compile(r"taking\s+ages|prend\s+des\s+heures|en\s+retard"), " delay "),
    (re.compile(r"rate[\s-]*limit\w*|too\s+many\s+requests"), " 429 limit "),
    (re.compile(r"i/o|io\s*wait|iowait"), " iowait "),
    # what browsers say of a missing, expired or mismatched certificate
    (
        re.compile(
            r"connexion\s+n'est\s+pas\s+privee|connection\s+is\s+not\s+private|"
            r"risque\s+probable\s+de\s+securite|potential\s+security\s+risk|"
            r"(?:not|non|pas)\s+(?:secure|securise)|err_cert_\w+"
        ),
        " certif ",
    ),
    # the one-time codes of a two-step sign-in
    (
        re.compile(
            r"codes?\s+(?:de\s+)?(?:verification|validation|confirmation|securite)|"
            r"(?:verification|security|one-time|sms)\s+codes?|codes?\s+(?:par|by)\s+sms|"
            r"authenticator"
        ),
        " 2fa ",
    ),
)


_PLAIN = str.maketrans({"\u2019": "'", "\u00a0": " ", "\u202f": " ", "\u2013": "-"})


def fold(text: str) -> str:
    """Lowercase ASCII without accents, typographic quotes made plain."""
    text = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return text.encode("ascii", "ignore").decode("ascii").lower()


def normalise(text: str) -> str:
    folded = fold(text)
    for pattern, replacement in PHRASES:
        folded = pattern.sub(replacement, folded)
    return folded


def stem(word: str) -> str:
    """A light stemmer for French and English: strip a plural or a common ending, then cut."""
    for suffix in (
        "ements", "ement", "ations", "ation", "ments", "ment", "ings", "ing", "ies", "ees",
        "ers", "er", "es", "ed", "ee", "s", "e", "x",
    ):  # fmt: skip
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:8]


#: Concepts reached by prefix (long keys only: a short one would swallow other words).
_PREFIXES = sorted((k for k in CONCEPTS if len(k) >= 6), key=len, reverse=True)


@lru_cache(maxsize=65536)
def concept(word: str) -> str:
    if word in CONCEPTS:
        return CONCEPTS[word]
    stemmed = stem(word)
    if stemmed in CONCEPTS:
        return CONCEPTS[stemmed]
    for prefix in _PREFIXES:
        if word.startswith(prefix):
            return CONCEPTS[prefix]
    return stemmed


_WEB = re.compile(r"\b(?:site|sites|website|websites|vitrine)\b")
_MAIL = re.compile(r"\b(?:mail|mails|email|emails|e-mail|courriel|courriels|boites?)\b")


def terms(text: str) -> list[str]:
    """The meaningful terms of a text: folded, stop words and generic words out, stemmed.

    Websites and mail of a domain failing together is what a DNS failure looks like to a
    customer: such a text also carries the term `dns`.
    """
    return [term for term, _ in worded_terms(text)]


def worded_terms(text: str) -> list[tuple[str, str]]:
    """Each term with the text's own word for it (what a customer may be shown)."""
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
        term = concept(word)
        if term and term not in GENERIC:
            result.append((term, word))
    return result


def counts(items: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item] = found.get(item, 0) + 1
    return found


class Background:
    """What ordinary tickets say: how often each term appears in a body of requests.

    A term every ticket uses ("mail", "site", "domain") weighs little; a term of the incident
    that ordinary tickets rarely use ("readonly", "3dsecure", "429") weighs a lot.
    """

    def __init__(self, frequencies: dict[str, int], documents: int) -> None:
        self.frequencies = frequencies
        self.documents = max(documents, 1)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Background:
        frequencies: dict[str, int] = {}
        size = 0
        for text in texts:
            size += 1
            for term in set(terms(text)):
                frequencies[term] = frequencies.get(term, 0) + 1
        return cls(frequencies, size)

    def rarity(self, term: str) -> float:
        """In [0, 1]: 1 for a term no ordinary ticket uses, near 0 for one every ticket uses."""
        share = (self.frequencies.get(term, 0) + 0.5) / (self.documents + 1)
        return min(1.0, max(0.0, -math.log(share) / math.log(self.documents + 1)))
