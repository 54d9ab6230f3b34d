"""Catalogue evidence: the service the customer picked, and the services their words name.

Customers often pick the wrong service, or a group. The catalogue's structure says how far the
pick is from what the incident affects: the same component, its group, a service that runs on it
(`depends_on` in `content/catalogue/`), or nothing to do with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from statuspage.domain.matching.text import normalise, terms


@dataclass(frozen=True)
class Service:
    """A catalogue entry, as the matcher reads it."""

    id: str
    names: tuple[str, ...]  #: in both languages, English first
    aliases: tuple[str, ...] = ()
    descriptions: tuple[str, ...] = ()
    group_id: str | None = None
    depends_on: tuple[str, ...] = ()  #: services this one runs on
    #: its key in `content/catalogue/`, what the learned model names it by (default: the id)
    key: str = ""


#: A place alone names a datacenter, not one of the services it runs.
_PLACES = frozenset({"paris", "luxembourg", "lux"})


class Relation:
    EXACT = "exact"  #: the customer picked an affected component
    GROUP = "group"  #: the group that holds an affected component
    RELATED = "related"  #: a service that runs on, or beside, an affected one
    NONE = "none"  #: no service picked
    OTHER = "other"


class Catalogue:
    def __init__(self, services: Sequence[Service]) -> None:
        self.services = {s.id: s for s in services}
        self.by_key = {s.key or s.id: s.id for s in services}
        self.vocabulary = {
            s.id: set(terms(" ".join((*s.names, *s.aliases, *s.descriptions)))) for s in services
        }
        self.name_terms = {s.id: set(terms(" ".join(s.names))) for s in services}
        self._related: dict[frozenset[str], set[str]] = {}
        self._patterns = {}
        for service in services:
            phrases = {normalise(p).strip() for p in (*service.names, *service.aliases)}
            phrases = sorted(
                (p for p in phrases if len(p) >= 3 and p not in _PLACES), key=len, reverse=True
            )
            if phrases:
                self._patterns[service.id] = re.compile(
                    r"(?<![\w-])(?:" + "|".join(re.escape(p) for p in phrases) + r")(?![\w-])"
                )

    def name(self, service_id: str, lang: str = "en") -> str:
        service = self.services.get(service_id)
        if service is None:
            return service_id
        return service.names[1 if lang == "fr" and len(service.names) > 1 else 0]

    def groups_of(self, ids: set[str]) -> set[str]:
        return {self.services[i].group_id for i in ids if i in self.services} - {None}

    def related(self, ids: set[str]) -> set[str]:
        """Services that run on these, that these run on, or that share their group."""
        key = frozenset(ids)
        if key not in self._related:
            self._related[key] = self._find_related(ids)
        return self._related[key]

    def _find_related(self, ids: set[str]) -> set[str]:
        found = set()
        groups = self.groups_of(ids)
        for service in self.services.values():
            if set(service.depends_on) & ids or (service.group_id and service.group_id in groups):
                found.add(service.id)
            if service.id in ids:
                found |= set(service.depends_on)
        for group in groups:
            found |= set(self.services[group].depends_on) if group in self.services else set()
        return found - ids

    def relation(self, picked: str | None, affected: set[str]) -> str:
        if picked is None or picked not in self.services:
            return Relation.NONE
        if picked in affected:
            return Relation.EXACT
        if picked in self.groups_of(affected):
            return Relation.GROUP
        if picked in self.related(affected):
            return Relation.RELATED
        return Relation.OTHER

    def named_in(self, text: str) -> set[str]:
        """Services whose names or aliases appear in the text."""
        folded = normalise(text)
        return {sid for sid, pattern in self._patterns.items() if pattern.search(folded)}

    def excluded(self, sentence_terms: list[set[str]]) -> set[str]:
        """Services an incident's "not affected" sentences name (every word of a name)."""
        found = set()
        for words in sentence_terms:
            for sid, name in self.name_terms.items():
                if name and name <= words:
                    found.add(sid)
        return found
