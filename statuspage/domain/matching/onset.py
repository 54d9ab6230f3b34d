"""Onset: when the customer says the problem began, in their own time zone.

A request says "since 9:45 UK time", "depuis 2h" (two hours, not 2 am), "ça fait 1h30", "since
Monday", "depuis ce matin". Read as a moment in UTC, it is weighed against the incident's start:
a problem that began days before the incident is probably another problem; ten minutes before
the incident is the same one noticed early. It is evidence for the model, never a veto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from statuspage.domain.matching.text import fold

PARIS = ZoneInfo("Europe/Paris")
ZONES = {
    "utc": ZoneInfo("UTC"),
    "gmt": ZoneInfo("Europe/London"),
    "bst": ZoneInfo("Europe/London"),
    "uk": ZoneInfo("Europe/London"),
    "london": ZoneInfo("Europe/London"),
    "cet": PARIS,
    "cest": PARIS,
    "paris": PARIS,
    "edt": ZoneInfo("America/Toronto"),
    "est": ZoneInfo("America/Toronto"),
    "quebec": ZoneInfo("America/Toronto"),
    "montreal": ZoneInfo("America/Toronto"),
    "eastern": ZoneInfo("America/Toronto"),
    "reunion": ZoneInfo("Indian/Reunion"),
    "sgt": ZoneInfo("Asia/Singapore"),
}
#: The zone a customer most likely means by a bare clock time, by the extension of their domain.
ZONE_BY_TLD = {
    "uk": ZONES["uk"],
    "ie": ZONES["uk"],
    "ca": ZONES["quebec"],
    "quebec": ZONES["quebec"],
    "re": ZONES["reunion"],
}

_ZONE = (
    r"(?:\s*(?:\(|,)?\s*(?:heure\s+(?:de\s+|du\s+|d'|a\s+)?|h\s+|time\s+)?"
    r"(?P<zone>utc|gmt|bst|cest|cet|edt|est|uk|london|londres|paris|quebec|montreal|reunion|"
    r"eastern|sgt|your\s+time|votre\s+heure|my\s+time|local|ici|here)(?:\s+time)?)?"
)
_CLOCK = re.compile(
    r"(?P<lead>depuis|since|from|vers|around|about|at|a|~|environ|starting|started|begun|began|"
    r"des|until|jusqu'a|before|avant|apres|after)\s*(?:environ\s+|about\s+|around\s+|~\s*|"
    r"ce\s+matin\s+|this\s+morning\s+|roughly\s+|approximately\s+)?"
    r"(?P<hour>\d{1,2})(?:\s*(?P<sep>h|:|\.)\s*(?P<minute>\d{2})?)?\s*(?P<meridiem>am|pm)?" + _ZONE
)
_DURATION = re.compile(
    r"(?:(?:ca\s+fait|cela\s+fait|il\s+y\s+a|depuis|since|for|plus\s+de|more\s+than|over|"
    r"presque|almost|nearly|~|environ|about|around)\s*(?:environ\s+|about\s+|~\s*)?)"
    r"(?P<amount>\d{1,2}(?:[.,]\d)?|une|un|one|two|three|deux|trois|half\s+an|a\s+half|an|a)\s*"
    r"(?P<unit>h(?:eures?|ours?|rs?)?|min(?:utes?|s)?|mn)(?:(?P<rest>\d{2})\b|\b)"
    r"(?P<ago>\s+ago)?"
)
_NUMBERS = {"une": 1, "un": 1, "one": 1, "an": 1, "a": 1, "two": 2, "deux": 2, "three": 3,
            "trois": 3, "half an": 0.5, "a half": 0.5}  # fmt: skip
_DAYS_BEFORE = re.compile(
    r"\b(?:(?:depuis|since|from)\s+(?:hier|yesterday|avant-hier|last\s+\w+|la\s+semaine\s+derniere|"
    r"le\s+mois\s+dernier|(?:quelques|plusieurs|\d+)\s+(?:jours|semaines|mois|days|weeks)|"
    r"(?:a\s+few|several)\s+(?:days|weeks)|des\s+jours|des\s+semaines|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|(?:le|ce|the)\s+week-?end|le\s+\d{1,2}(?:er)?\b)|"
    r"for\s+(?:a\s+few|several|\d+|two|three|many)\s+(?:days|weeks|months)|for\s+days|"
    r"(?:a\s+few|several|\d+)\s+(?:days|weeks)\s+ago|il\s+y\s+a\s+(?:\d+|quelques|plusieurs)\s+"
    r"(?:jours|semaines)|pending\s+for\s+\d+\s+days|depuis\s+\d+\s+jours|days\s+old|"
    r"(?:since|depuis|from|started|began|commence)\s+(?:last\s+night|hier\s+soir|cette\s+nuit|"
    r"la\s+nuit|la\s+veille)|overnight|"
    r"(?:depuis|since)\s+(?:la\s+)?(?:mise\s+a\s+jour|update))\b"
)
_PARTS_OF_DAY = (
    (re.compile(r"\b(?:depuis|since)\s+(?:ce\s+)?midi\b|\bsince\s+(?:noon|lunch\w*)\b"), 12),
    (re.compile(r"\b(?:depuis\s+ce\s+matin|since\s+(?:this|early)\s+morning|ce\s+matin)\b"), 8),
)


#: When a change of the customer's own was made, by the words of its sentence ("j'ai changé le
#: mot de passe ce matin", "after we moved our master last night"): another day, or this morning.
_CHANGE_DAY = re.compile(
    r"\b(?:hier|yesterday|last\s+(?:night|evening|week)|la\s+veille|cette\s+nuit|overnight|"
    r"la\s+semaine\s+derniere|(?:\d+|a\s+few|several|two|three)\s+days\s+ago|"
    r"il\s+y\s+a\s+(?:\d+|quelques|plusieurs|deux|trois)\s+jours)\b"
)
_CHANGE_MORNING = re.compile(r"\b(?:ce\s+matin|this\s+morning)\b")


@dataclass(frozen=True)
class Onset:
    began: datetime | None  #: UTC
    words: str
    days_before: bool  #: "since Monday", "last night": another day than the request's
    vague: bool  #: a part of the day ("since this morning"), not a clock time


def _zone(name: str | None, tld_zone: ZoneInfo | None) -> ZoneInfo:
    if name:
        name = name.replace("londres", "london")
        if name in ZONES:
            return ZONES[name]
        if name in ("your time", "votre heure"):
            return PARIS
    return tld_zone or PARIS


def _at_local(at: datetime, zone: ZoneInfo, hour: int, minute: int) -> datetime:
    local = at.astimezone(zone)
    moment = datetime(local.year, local.month, local.day, hour, minute, tzinfo=zone)
    return moment.astimezone(UTC)


def onset(text: str, at: datetime, tld: str | None = None) -> Onset:
    """The earliest moment the customer gives for the start of the problem."""
    folded = fold(text)
    tld_zone = ZONE_BY_TLD.get(tld or "")
    days = _DAYS_BEFORE.search(folded)
    if days:
        return Onset(at - timedelta(days=1), days.group(0), True, False)
    earliest: tuple[datetime | None, str] = (None, "")

    def keep(moment: datetime, words: str) -> None:
        nonlocal earliest
        if moment <= at + timedelta(minutes=5) and (earliest[0] is None or moment < earliest[0]):
            earliest = (moment, words)

    durations = []
    for match in _DURATION.finditer(folded):
        amount_text = match.group("amount")
        amount = _NUMBERS.get(amount_text)
        if amount is None:
            amount = float(amount_text.replace(",", "."))
        unit = match.group("unit")
        minutes = amount * (60 if unit.startswith("h") else 1)
        if unit.startswith("h") and match.group("rest"):
            minutes += int(match.group("rest"))
        lead = match.group(0).split()[0]
        if lead in ("depuis", "since", "~", "environ", "about", "around") and unit.startswith("h"):
            # "depuis 2h" is two hours; "depuis 9h" is nine o'clock: a clock time that would
            # put the start in the night is a duration
            as_clock = _at_local(at, tld_zone or PARIS, int(amount), 0)
            if amount > 6 or at - timedelta(hours=6) <= as_clock <= at:
                continue
        if minutes > 24 * 60:
            continue
        durations.append(match.span())
        keep(at - timedelta(minutes=minutes), match.group(0).strip())
    for match in _CLOCK.finditer(folded):
        if any(start <= match.start() < end for start, end in durations):
            continue
        if match.group("sep") is None and match.group("meridiem") is None:
            continue  # a bare number is not a time
        hour, minute = int(match.group("hour")), int(match.group("minute") or 0)
        meridiem = match.group("meridiem")
        if meridiem == "pm" and hour < 12:
            hour += 12
        if meridiem == "am" and hour == 12:
            hour = 0
        if hour > 23 or minute > 59:
            continue
        if match.group("lead") in ("until", "jusqu'a", "before", "avant"):
            continue
        keep(_at_local(at, _zone(match.group("zone"), tld_zone), hour, minute), match.group(0))
    if earliest[0] is not None:
        return Onset(earliest[0], earliest[1].strip(), False, False)
    for pattern, hour in _PARTS_OF_DAY:
        found = pattern.search(folded)
        if found:
            moment = _at_local(at, tld_zone or PARIS, hour, 0)
            if moment <= at:
                return Onset(moment, found.group(0), False, True)
    return Onset(None, "", False, False)


def changed_at(text: str, words: str, at: datetime, tld: str | None = None) -> datetime | None:
    """When the customer's own change (`words`, as the intent cue found them) was made, if the
    sentence that tells it says so: the day before, or this morning."""
    folded = fold(text)
    where = folded.find(words)
    if not words or where < 0:
        return None
    marks = (".", "\n", "!", "?")
    start = max(folded.rfind(mark, 0, where) for mark in marks) + 1
    ends = (folded.find(mark, where + len(words)) for mark in marks)
    end = min((i for i in ends if i >= 0), default=len(folded))
    sentence = folded[start:end]
    if _CHANGE_DAY.search(sentence):
        return at - timedelta(days=1)
    if _CHANGE_MORNING.search(sentence):
        moment = _at_local(at, ZONE_BY_TLD.get(tld or "") or PARIS, 8, 0)
        return moment if moment <= at else None
    return None
