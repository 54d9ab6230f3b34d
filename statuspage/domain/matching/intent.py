"""Intent: what the customer wants, whatever service words the request is full of.

A how-to, sales, billing, GDPR or abuse request is not an incident report, even when it names the
affected service; a report of something failing is, and so is a question about an incident's
effect ("is my data safe?", "do I need to retry?"). Each cue is a family of phrasings in both
languages, weighed by the model like every other piece of evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from statuspage.domain.matching.text import fold

_CUES: dict[str, re.Pattern[str]] = {
    "howto": re.compile(
        r"\b(?:how\s+(?:do|can|to|should|does)|is\s+it\s+possible|can\s+i\b|could\s+you\s+"
        r"(?:tell|explain)|where\s+(?:can|do|is)|which\s+(?:ip|settings?|ports?)|what\s+are\s+the\s+"
        r"settings|do\s+you\s+support|step\s+by\s+step|comment\s+\w+-(?:on|je|nous|t-on)\b|"
        r"comment\s+(?:faire|puis|je|on|creer|"
        r"installer|changer|ajouter|modifier|mettre|configurer|activer)|est-il\s+possible|"
        r"est-ce\s+possible|pouvez-vous\s+m'(?:expliquer|indiquer)|ou\s+(?:trouver|se\s+trouve)|"
        r"est\s+ce\s+que\s+\w+\s+(?:gere|supporte|permet)|je\s+voudrais\s+(?:savoir|faire|"
        r"changer|ajouter|creer)|i\s+would\s+like\s+to|i'd\s+like\s+to|quels?\s+sont\s+les\s+"
        r"parametres|parametres?\s+(?:imap|smtp|pop)|tutori\w+|documentation|guide)"
    ),
    "sales": re.compile(
        r"\b(?:price|prices|pricing|cost|costs|how\s+much|quote\s+for|offer|upgrade\s+(?:to|my\s+"
        r"plan)|plan\s+(?:with|for)|discount|tarifs?|prix|combien|coute|offre|forfait|option\s+"
        r"\w+|devis\s+pour|souscrire|subscribe\s+to|buy|acheter|passer\s+a\s+l'offre)\b"
    ),
    "billing": re.compile(
        r"\b(?:invoices?|receipt|vat|refund|reimburse\w*|credit\s+note|factures?|remboursement|"
        r"rembourser|avoir|tva|recu\s+fiscal|double\s+(?:charge|debit|prelevement)|charged\s+twice|"
        r"debite\s+deux\s+fois|prelevement|direct\s+debit|iban|bank\s+details|rib)\b"
    ),
    "gdpr": re.compile(
        r"\b(?:gdpr|rgpd|personal\s+data|donnees\s+personnelles|data\s+protection|droit\s+d'acces|"
        r"right\s+of\s+access|subject\s+access|delete\s+my\s+(?:account|data)|supprimer\s+mon\s+"
        r"compte|effacement|erasure|cnil|dpo)\b"
    ),
    "abuse": re.compile(
        r"\b(?:phishing|hameconnage|abuse|abusive|malware|fraud\w*|arnaque|escroquerie|"
        r"spam\s+(?:from|coming|envoye)|take\s+(?:it|this)\s+down|signaler|signalement|report\s+"
        r"(?:a|this)\s+(?:site|domain)|contrefacon|counterfeit|usurpation|impersonat\w+)\b"
    ),
    "early_renewal": re.compile(
        r"\b(?:renew\w*\s+(?:early|in\s+advance|ahead|for\s+\d+\s+years)|renouveler\s+(?:en\s+"
        r"avance|a\s+l'avance|par\s+anticipation|pour\s+\d+\s+ans)|(?:before|avant)\s+(?:it\s+"
        r"expires|l'expiration)|expire\w*\s+(?:en|in)\s+(?:janvier|fevrier|mars|avril|mai|juin|"
        r"juillet|aout|septembre|octobre|novembre|decembre|january|february|march|april|may|"
        r"june|july|august|september|october|november|december))\b"
    ),
    "precaution": re.compile(
        r"\b(?:(?:will|could|might|is)\s+\w+(?:\s+\w+)?\s+(?:be\s+)?(?:affected|impacted|touched|"
        r"hit)\s*\?|risque\s+d'etre|risk\s+(?:of|being)|par\s+precaution|just\s+(?:checking|to\s+"
        r"check|in\s+case)|(?:fonctionne|marche)\s+(?:tres\s+)?bien|works?\s+(?:fine|well|"
        r"normally)|is\s+working\s+fine|no\s+problem\s+(?:so\s+far|yet)|pour\s+l'instant\s+(?:ca|"
        r"tout)\s+(?:va|marche)|everything\s+(?:is\s+)?fine|tout\s+fonctionne|preventive\w*|"
        r"au\s+cas\s+ou|in\s+case|(?:we|i)\s+(?:are|am|were|was|have)\s*n[o']?t\s+(?:been\s+)?"
        r"(?:affected|impacted|blocked|hit)|(?:n'avons|n'ai|ne\s+sommes|ne\s+suis)\s+pas\s+"
        r"(?:ete\s+)?(?:touche|impacte|bloque|concerne|affecte)s?|(?:nous\s+n'avons|je\s+n'ai)\s+"
        r"pas\s+(?:de|eu\s+de)\s+probleme|(?:we|i)\s+(?:have|had)\s+no\s+(?:problem|issue)s?|"
        r"no\s+(?:problem|issue)s?\s+(?:so\s+far|yet|at\s+the\s+moment|for\s+now|currently))"
    ),
    "recovered": re.compile(
        r"\b(?:is\s+back|are\s+back|back\s+(?:up|online|to\s+normal)|works?\s+again|working\s+"
        r"again|est\s+revenu|sont\s+revenus|remarche|refonctionne|fonctionne\s+a\s+nouveau|"
        r"de\s+nouveau\s+(?:en\s+ligne|accessible)|c'est\s+revenu|resolved\s+now|all\s+good\s+now)\b"
    ),
    "own_change": re.compile(
        r"\b(?:(?:since|after|when)\s+(?:i|we|my\s+\w+|our\s+\w+)\s+(?:have\s+)?(?:updated|upgraded|"
        r"changed|switched|installed|moved|migrated|deployed|modified|added|enabled|disabled|"
        r"rotated|regenerated|reset|edited|deleted|removed|renamed|reinstalled|restored)|"
        r"(?:depuis|apres)\s+(?:que\s+)?(?:j'ai|nous\s+avons|on\s+a|mon\s+\w+\s+a)\s+(?:mis\s+a\s+"
        r"jour|change|installe|reinstalle|modifie|ajoute|active|desactive|migre|deplace|bascule|"
        r"supprime|regenere|restaure|edite)|(?:depuis|apres)\s+(?:la|ma|notre|une|mon)\s+"
        r"(?:mise\s+a\s+jour|migration|modification|changement|reinstallation)|after\s+(?:my|our|"
        r"the)\s+(?:own\s+)?(?:update|upgrade|change|migration|deploy\w*|reboot|import)|"
        r"(?:i|we)\s+(?:just\s+)?(?:changed|updated|moved|rotated|regenerated|deleted|reset)\s+"
        r"(?:my|our|the)|j'ai\s+(?:change|modifie|supprime|mis\s+a\s+jour|deplace|regenere)\s+"
        r"(?:le|la|les|mon|ma|mes)|locked\s+myself\s+out|je\s+me\s+suis\s+bloque|"
        r"lost\s+my\s+(?:phone|device)|perdu\s+mon\s+telephone|forgot\s+(?:my|to)|oublie)\b"
    ),
    "third_party": re.compile(
        r"\b(?:cloudflare|wix|squarespace|shopify|microsoft\s*365|office\s*365|o365|"
        r"google\s+workspace|gsuite|g\s+suite|ovh|gandi|godaddy|ionos|hostinger|loopia|netlify|"
        r"vercel|brevo|sendinblue|mailchimp|mailjet|sendgrid|github\s+pages|webflow|jimdo|"
        r"my\s+own\s+(?:server|bind|master|dns)|our\s+own\s+(?:server|bind|master|dns)|"
        r"notre\s+propre\s+serveur|mon\s+propre\s+serveur|self[\s-]hosted|certbot|acme\.sh)\b"
    ),
    "incident_ref": re.compile(
        r"\b(?:status\s+page|page\s+(?:de\s+)?(?:statut|status|etat)|outage|incident|panne|"
        r"maintenance|travaux|(?:is\s+(?:it|this|that)|c'est)\s+(?:related|linked|lie|la\s+panne|"
        r"le\s+probleme)|related\s+to|lie\s+a|en\s+lien\s+avec|known\s+(?:issue|problem)|"
        r"probleme\s+connu|your\s+(?:end|side)|chez\s+vous|de\s+votre\s+cote|on\s+your\s+side|"
        r"everyone|tout\s+le\s+monde|autres?\s+clients|other\s+customers)\b"
    ),
    "failure": re.compile(
        r"\b(?:(?:does\s*n[o']?t|do\s*n[o']?t|did\s*n[o']?t|won'?t|can'?t|cannot|unable\s+to|"
        r"not)\s+(?:work|load|open|connect|send|receive|arrive|respond|resolve|publish|go\s+through|"
        r"be\s+reached)\w*|stopped\s+working|keeps?\s+failing|is\s+down|are\s+down|not\s+"
        r"(?:working|loading|arriving|responding|delivered|received)|times?\s+out|timed\s+out|"
        r"ne\s+(?:marche|fonctionne|s'affiche|repond|charge|s'ouvre|passe|part|arrive)\w*\s+"
        r"(?:plus|pas)|n'(?:arrive|arrivent)\s+(?:plus|pas)|impossible\s+de|je\s+n'arrive\s+"
        r"(?:pas|plus)|toujours\s+pas|still\s+(?:not|no|waiting|pending|broken|down)|plante|"
        r"bloque|echoue|fails?|failed|failing|refuse|rejected|refused|stuck|error|erreur|"
        r"en\s+panne|hs\b|ko\b|never\s+arrived|jamais\s+arrive|missing|disparu)\b"
    ),
    "safety": re.compile(
        r"\b(?:lost|perdu|gone|disparu|safe|en\s+securite|data\s+loss|perte\s+de\s+donnees|"
        r"will\s+i\s+be\s+charged|serai-je\s+debite|do\s+i\s+need\s+to|dois-je|faut-il|"
        r"what\s+should\s+i\s+do|que\s+dois-je\s+faire|should\s+i\s+(?:retry|wait|try))\b"
    ),
}


@dataclass(frozen=True)
class Cue:
    name: str
    words: str


def cues(text: str) -> dict[str, Cue]:
    folded = fold(text)
    found = {}
    for name, pattern in _CUES.items():
        match = pattern.search(folded)
        if match:
            found[name] = Cue(name, match.group(0))
    return found


#: Words before a third party that say the customer's service *runs there* ("built with Wix",
#: "our MX point to Google", "hosted at OVH"), as opposed to a destination of ours ("redirects
#: to my Shopify store", "mail to Gmail recipients").
_HOSTED_AT = re.compile(
    r"(?:\b(?:on|at|with|by|via|using|chez|sur|avec|par|hosted|heberge\w*|built|made|fait\w*|"
    r"cree\w*|moved|migrated|switched|passe\w*|migre\w*|bascule\w*|zone|dns|mx|mail|mails|"
    r"emails?|account|compte|is|are|est|sont)\s+(?:\w+\s+){0,3})$"
)
_TOWARDS = re.compile(
    r"(?:\b(?:to|towards|vers|redirect\w*|redirig\w*|forward\w*|pointe\w*|points|send\w*|"
    r"envoy\w*|recipients?|destinataires?|adresses?)\s+(?:\w+\s+){0,3})$"
)


def third_parties(text: str) -> dict[str, str]:
    """Outside providers the request names, each read as `host` (the customer's service runs
    there), `target` (our service sends or points to it) or `named`."""
    folded = fold(text)
    found = {}
    for match in _CUES["third_party"].finditer(folded):
        before = folded[max(0, match.start() - 60) : match.start()]
        if _TOWARDS.search(before):
            role = "target"
        elif _HOSTED_AT.search(before) or match.group(0).startswith(("my own", "our own")):
            role = "host"
        else:
            role = found.get(match.group(0), "named")
        found[match.group(0)] = role
    return found
