"""Texts written in French and in English, either of which may be missing at first.

A reader is shown their own language and, when it is missing, the other one, which the page
marks as such: `pick` says which language the shown text is in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGES = ("en", "fr")


def other(lang: str) -> str:
    return "fr" if lang == "en" else "en"


@dataclass(frozen=True)
class Shown:
    """A text as shown to a reader who asked for `asked`; `lang` is the language it is in."""

    text: str
    lang: str
    asked: str

    @property
    def fallback(self) -> bool:
        """True when the reader's language was missing and the other one is shown."""
        return bool(self.text) and self.lang != self.asked

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def pick(texts: Mapping[str, str | None], lang: str) -> Shown:
    """The text in `lang`, else in the other language, else an empty text in `lang`."""
    own = (texts.get(lang) or "").strip()
    if own:
        return Shown(own, lang, lang)
    second = (texts.get(other(lang)) or "").strip()
    if second:
        return Shown(second, other(lang), lang)
    return Shown("", lang, lang)


def both(texts: Mapping[str, str | None], sep: str = "\n") -> str:
    """Every language's text once (the matcher compares a request with all of them)."""
    seen: list[str] = []
    for lang in LANGUAGES:
        text = (texts.get(lang) or "").strip()
        if text and text not in seen:
            seen.append(text)
    return sep.join(seen)


def merge(
    base: Mapping[str, str], lang: str, text: str | None, translations: Mapping[str, str | None]
) -> dict[str, str]:
    """`base` with `translations` laid over it, then `text` in `lang` (the caller's own)."""
    merged = {k: base.get(k, "") for k in LANGUAGES}
    for key, value in translations.items():
        if key in LANGUAGES and value is not None:
            merged[key] = value
    if text is not None:
        merged[lang] = text
    return merged


_FRENCH = frozenset(
    """le la les un une des du de au aux et est sont nous vous nos vos sur pour dans par avec
    pas ne plus sont été être vos votre notre ces cette ce qui que dès d'ici entre leur leurs
    certains certaines serveurs mise jour réception retour normale analysons constatons""".split()
)
_ENGLISH = frozenset(
    """the a an and is are we you our your on for in by with not no more been be these this
    that which who from to of at as some servers update next within are being investigating
    resolved fixed delays errors issue""".split()
)
_WORD = re.compile(r"[\w']+", re.UNICODE)
_ACCENTS = re.compile(r"[éèêàâçùûîôëïœ]")


def guess_language(text: str) -> str | None:
    """`fr` or `en` when the text plainly reads as one of them, else None (too short to tell).

    Used once, to sort texts written before incidents were bilingual into their language.
    """
    words = [w.lower().strip("'") for w in _WORD.findall(text or "")]
    if not words:
        return None
    french = sum(w in _FRENCH for w in words) + 2 * len(_ACCENTS.findall(text.lower()))
    french += sum(1 for w in words if w.startswith(("l'", "d'", "qu'", "n'", "s'")))
    english = sum(w in _ENGLISH for w in words)
    if french >= 2 and french > 1.5 * english:
        return "fr"
    if english >= 2 and english > 1.5 * french:
        return "en"
    return None
