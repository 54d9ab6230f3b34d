"""Entities and scope: the facts a request gives, and what an incident says it covers.

Facts are error codes (`535 5.7.8`, `SERVFAIL`, `429`), domain extensions (the domain given and any
named in the text), datacenters, and phone-number countries. An incident's text says what it
covers and what it does not ("Ne sont pas concernés : l'hébergement web Luxembourg", "other
extensions work normally"): each sentence is read as *included* or *excluded*, so that a request
whose facts fall only in an excluded sentence counts against the incident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from statuspage.domain.matching.text import fold, normalise, terms

_ERROR_CODE = re.compile(
    r"\b(?:[1-5]\d\d(?:[ -][1-5]\.\d{1,3}\.\d{1,3})?|[1-5]\.\d{1,3}\.\d{1,3}|0x[0-9a-f]{8}|"
    r"servfail|nxdomain|refused|timeout|err_[a-z_]+|dns_probe_[a-z_]+)\b"
)
_TLD_MENTION = re.compile(r"(?<![\w@-])\.([a-z]{2,12}(?:\.[a-z]{2})?)\b")
_DOMAIN = re.compile(r"(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,12})\b")
KNOWN_TLDS = frozenset(
    """com net org info biz fr de eu uk be ch lu at nl es it pt pl cz se no dk fi ie is gr
    ro hu sk si hr bg lt lv ee us ca mx br ar au nz jp cn kr sg hk in za io co me tv cc app dev
    ai xyz online site shop store tech cloud paris bzh alsace corsica re pm yt tf wf nc pf
    quebec brussels lux""".split()
)
GENERIC_TLDS = frozenset(
    "com net org info biz io co me tv cc app dev ai xyz online site shop store tech cloud".split()
)
#: Extensions run by one registry: naming one names them all.
REGISTRY_FAMILIES = (frozenset({"fr", "re", "pm", "yt", "tf", "wf"}),)
_GENERIC_SCOPE = re.compile(
    r"\b(?:generic\s+(?:top-level\s+)?(?:extensions|domains|tlds)|gtlds?|extensions\s+generiques|"
    r"domaines\s+generiques)\b"
)

DATACENTERS = {
    "paris": ("paris", "fr-par", "par1", "par2"),
    "luxembourg": ("luxembourg", "lux", "lu-bi1", "bi1", "lu-a", "lu-b"),
}
_NOT_A_PLACE = re.compile(
    r"(?:\d{1,2}\s*[h:.]\s*\d{0,2}\s*(?:heure\s+de\s+|h\s+)?paris|paris\s+time|heure\s+de\s+paris|"
    r"paris\s+local|(?:your|votre)\s+(?:time|heure)|paris,\s+amsterdam|amsterdam|\.paris\b|"
    r"paris\s+(?:hosting|datacenter)\s+thing)"
)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

_PHONE = re.compile(r"(?:\+|00)\s?(\d{2,3})")
_FR_MOBILE = re.compile(r"(?<!\d)0[67](?:[\s.]?\d{2}){4}(?!\d)")


_OPENING = re.compile(r"```|[«“\"']")
_CLOSING = {"```": "```", "«": "»", "“": "”"}


def _wordy(char: str) -> bool:
    return char.isalnum() or char == "_"


def quotes(text: str) -> list[str]:
    """What the customer quotes: an error message, a log line, a command's output.

    A scan in one pass (each closing mark looked for once from where its opening one is), so
    that no text, however many unmatched quotation marks it holds, costs more than its length.
    """
    found: list[str] = []
    unclosed: set[str] = set()  # marks with no closing one after the point reached
    at = 0
    while (opening := _OPENING.search(text, at)) is not None:
        mark, start = opening.group(), opening.end()
        straight = mark not in _CLOSING
        if mark in unclosed or (straight and opening.start() and _wordy(text[opening.start() - 1])):
            at = start  # nothing closes it, or an apostrophe inside a word
            continue
        close = _CLOSING.get(mark, mark)
        end = text.find(close, start)
        if end < 0:
            unclosed.add(mark)
            at = start
            continue
        quoted = text[start:end]
        after = end + len(close)
        if not straight:  # ``` « “: whatever they hold
            found.append(quoted.strip())
            at = after
        elif (
            len(quoted) >= 6
            and "\n" not in quoted
            and (after >= len(text) or not _wordy(text[after]))
        ):  # straight quotes: a phrase on one line, standing apart from the words around it
            found.append(quoted.strip())
            at = after
        else:
            at = start
    return [q for q in found if q]


def error_codes(text: str) -> set[str]:
    """Error codes, each part on its own: `535 5.7.8` gives `535` and `5.7.8`."""
    found = set()
    for match in _ERROR_CODE.findall(normalise(text)):
        for part in re.split(r"[ -]", match):
            if part and not (part.isdigit() and 190 <= int(part) <= 299 and len(part) == 3):
                found.add(part)
    return found


def tlds(text: str) -> set[str]:
    """Domain extensions named in the text (`.fr`, `example.co.uk` gives `uk`)."""
    folded = fold(text)
    found = {m.split(".")[-1] for m in _TLD_MENTION.findall(folded)}
    found |= {m.group(1) for m in _DOMAIN.finditer(folded)}
    return {t for t in found if t in KNOWN_TLDS}


def family(extensions: set[str]) -> set[str]:
    grown = set(extensions)
    for group in REGISTRY_FAMILIES:
        if grown & group:
            grown |= group
    return grown


def datacenters(text: str) -> set[str]:
    folded = _NOT_A_PLACE.sub(" ", fold(text))
    words = set(_WORD.findall(folded)) | set(re.findall(r"[a-z]+", folded))
    return {dc for dc, names in DATACENTERS.items() if words & set(names)}


def phone_countries(text: str) -> set[str]:
    found = {code for code in _PHONE.findall(text) if code[:2] in ("33", "32", "44", "41", "35")}
    if _FR_MOBILE.search(text):
        found.add("33")
    return {code[:2] for code in found}


# -- scope of an incident ----------------------------------------------------------------------

_EXCLUSION = re.compile(
    r"\b(?:not\s+(?:affected|concerned|impacted|involved|related|the\s+cause)|unaffected|"
    r"unrelated|not\s+(?:part\s+of|caused)|outside\s+(?:the|this)|excluded?|except|"
    r"(?:work|works|working|run|runs|running|operate|operates|pass|passes|remain|remains|stay|"
    r"stays)\s+(?:normally|fine|as\s+usual|online|unaffected|available)|are\s+fine|is\s+fine|"
    r"no\s+(?:impact|effect)|n'(?:est|sont)\s+pas\s+(?:concernee?s?|touchee?s?|affectee?s?|"
    r"impactee?s?|en\s+cause|liee?s?)|ne\s+(?:sont|est)\s+pas\s+(?:concernee?s?|touchee?s?|"
    r"affectee?s?|impactee?s?|en\s+cause|liee?s?)|ne\s+(?:change|changent)\s+pas|"
    r"(?:do|does|will)\s*n[o']?t\s+change|"
    r"ne\s+(?:concerne|touche)\s+pas|pas\s+(?:concernee?s?|touchee?s?|affectee?s?|"
    r"impactee?s?)|non\s+(?:concernee?s?|touchee?s?|affectee?s?)|sans\s+(?:lien|rapport|impact)|"
    r"fonctionnent?(?:\s+(?:normalement|bien|correctement|comme\s+d'habitude))?\s*(?:[.,;)]|$)|"
    r"(?:continuent?|continue)\s+(?:de|a|to)\s+(?:fonctionner|marcher|work|function)|"
    r"passent?\s+(?:normalement|sans\s+probleme)|keep\s+working|continue\s+working|"
    r"(?:work|works|pass|passes)\s*(?:[.,;)]|$)|restent?\s+(?:en\s+ligne|accessibles?|disponibles?)|"
    r"sauf|hors\s+(?:de\s+)?(?:cause|perimetre)|aucun\s+(?:impact|effet)|"
    r"(?:is|are)\s+not\s+(?:affected|concerned|impacted)|only\b|uniquement|seul(?:e|s|es)?\b)"
)
#: The words that say "not affected" are not what is excluded.
_MARKER_TERMS = frozenset(
    terms(
        "concerned concernes touches affected affectes fonctionnent fonctionner passent restent "
        "continuent continue autres other impacted impactes normalement unaffected except sauf "
        "uniquement existants existing work works working pass passes remain stay fine elles "
        "involved unrelated related lies cause change changent"
    )
)
#: "only X" names what *is* covered; the rest of the sentence is the scope, not an exclusion.
_ONLY = re.compile(r"\b(?:only\b|uniquement|seul(?:e|s|es)?\b)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\s+-\s+")


@dataclass
class Scope:
    """What an incident covers, read from its name and its published updates."""

    included_terms: set[str] = field(default_factory=set)
    excluded_terms: set[str] = field(default_factory=set)  #: named only where it says "not"
    tlds: set[str] = field(default_factory=set)
    excluded_tlds: set[str] = field(default_factory=set)
    generic_tlds: bool = False  #: "generic extensions only"
    datacenters: set[str] = field(default_factory=set)
    excluded_datacenters: set[str] = field(default_factory=set)
    phone_countries: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    excluded_codes: set[str] = field(default_factory=set)  #: named only where it says "not"
    excluded_sentences: list[set[str]] = field(default_factory=list)  #: terms of each
    included_sentences: list[set[str]] = field(default_factory=list)  #: terms of each
    excluded_text: str = ""  #: folded, the sentences that say "not affected"


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s and s.strip()]


def scope(name: str, bodies: list[str], keywords: tuple[str, ...] = ()) -> Scope:
    found = Scope()
    included_tlds: set[str] = set()
    excluded_tlds: set[str] = set()
    included_dcs: set[str] = set()
    excluded_dcs: set[str] = set()
    included_counts: dict[str, int] = {}
    excluded_counts: dict[str, int] = {}
    included_codes: set[str] = set()
    excluded_codes: set[str] = set()
    excluded_texts: list[str] = []
    for index, sentence in enumerate([name, *(s for b in bodies for s in sentences(b))]):
        folded = fold(sentence)
        words = set(terms(sentence))
        excluded = index > 0 and _EXCLUSION.search(folded) and not _ONLY.search(folded)
        tally = excluded_counts if excluded else included_counts
        for word in words:
            tally[word] = tally.get(word, 0) + 1
        if excluded:
            found.excluded_sentences.append(words)
            excluded_tlds |= tlds(sentence)
            excluded_dcs |= datacenters(sentence)
            excluded_codes |= error_codes(sentence)
            excluded_texts.append(folded)
        else:
            found.included_terms |= words
            found.included_sentences.append(words)
            included_codes |= error_codes(sentence)
            included_tlds |= tlds(sentence)
            included_dcs |= datacenters(sentence)
        if _GENERIC_SCOPE.search(folded) and not excluded:
            found.generic_tlds = True
        found.phone_countries |= phone_countries(sentence) if not excluded else set()
    name_terms = set(terms(name)) | _MARKER_TERMS
    found.excluded_terms = {
        t
        for t, n in excluded_counts.items()
        if t not in name_terms and included_counts.get(t, 0) <= n
    }
    found.tlds = family(included_tlds | {k.lower().lstrip(".") for k in keywords if "." in k})
    found.excluded_tlds = excluded_tlds - found.tlds
    found.datacenters = included_dcs
    found.excluded_datacenters = excluded_dcs - included_dcs
    found.codes = included_codes | {k for k in keywords if k.isdigit()}
    found.excluded_codes = excluded_codes - found.codes
    found.excluded_text = " ".join(excluded_texts)
    return found
