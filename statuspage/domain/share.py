"""Ready-to-post texts for the social media team, at most 280 characters each.

A text says the status, the title, the impact and the services in words, what changed (the
update's own first sentence), when the next update is expected (when the update says so), and
the short link, which is never cut. What does not fit is left out, least useful first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

LIMIT = 280
ELLIPSIS = "…"


def shorten(text: str, room: int) -> str:
    """`text` cut at a word to `room` characters, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    cut = text[: room - len(ELLIPSIS)].rstrip()
    if " " in cut and len(cut.rsplit(" ", 1)[0]) > room // 2:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:—-") + ELLIPSIS


def share_text(status_label: str, title: str, link: str, limit: int = LIMIT) -> str:
    """`[Status] Title link`, the title shortened (never the link) to fit `limit`."""
    return compose(ShareParts(status_label, title, link), limit)


@dataclass(frozen=True)
class ShareParts:
    """The pieces of one language's text, already in that language."""

    status: str  #: "Resolved", "Résolu"
    title: str
    link: str
    impact: str = ""  #: "Major impact on LiveDNS, Secondary DNS."
    changed: str = ""  #: the update's own first sentence
    next_update: str = ""  #: "Next update by 14:35 Paris time."


def compose(parts: ShareParts, limit: int = LIMIT) -> str:
    """The text, within `limit`: optional pieces kept in order of use (impact, next update,
    what changed) while they fit, the title shortened last."""
    head = f"[{parts.status}] "
    title = " ".join(parts.title.split())
    optional = {
        "impact": " ".join(parts.impact.split()),
        "next": " ".join(parts.next_update.split()),
        "changed": " ".join(parts.changed.split()),
    }

    def build(kept: dict[str, str], shown_title: str) -> str:
        sentence = shown_title
        if sentence and any(kept.values()) and not sentence.endswith((".", "!", "?", "…")):
            sentence += "."
        words = [sentence, kept.get("impact", ""), kept.get("changed", ""), kept.get("next", "")]
        return head + " ".join(w for w in [*words, parts.link] if w)

    kept: dict[str, str] = {}
    for key in ("impact", "next", "changed"):
        if optional[key] and len(build({**kept, key: optional[key]}, title)) <= limit:
            kept[key] = optional[key]
    text = build(kept, title)
    if len(text) <= limit:
        return text
    room = limit - len(build({}, "")) - 1
    if room <= 0:
        return f"{head}{parts.link}"[:limit]
    return build({}, shorten(title, room))


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-Þ0-9«\"“(])")


def first_sentence(text: str) -> str:
    """The first sentence of a plain text ('' if none)."""
    text = " ".join(text.split())
    if not text:
        return ""
    return _SENTENCE_END.split(text, maxsplit=1)[0]


_NEXT_UPDATE = re.compile(
    r"(?:next update|prochaine mise à jour|prochain point)\D{0,20}?"
    r"(\d{1,3})\s*(minutes?|mins?|min|hours?|h|heures?)\b",
    re.IGNORECASE,
)


def next_update_in(text: str) -> timedelta | None:
    """How long until the next update, when the text says so ("Next update within 30 minutes",
    "Prochaine mise à jour d'ici 1 heure"); None otherwise."""
    found = _NEXT_UPDATE.search(text or "")
    if found is None:
        return None
    amount, unit = int(found.group(1)), found.group(2).lower()
    if amount <= 0:
        return None
    delta = timedelta(hours=amount) if unit.startswith("h") else timedelta(minutes=amount)
    return delta if delta <= timedelta(days=2) else None
