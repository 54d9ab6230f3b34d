"""Loads `content/`: the service catalogue, site texts and incident templates (see its README)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import markdown

from statuspage.domain.status import ComponentStatus, Impact, IncidentKind
from statuspage.domain.texts import LANGUAGES

_LANG_MARK = re.compile(r"^<!--\s*lang:\s*(\w+)\s*-->\s*$", re.MULTILINE)


class ContentError(ValueError):
    """A content file is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class CatalogueEntry:
    key: str
    group: str | None
    position: int
    names: dict[str, str]
    descriptions: dict[str, str]
    aliases: dict[str, list[str]]
    hidden: bool = False
    depends_on: tuple[str, ...] = ()  #: services this one runs on (read by the matcher)


@dataclass(frozen=True)
class Page:
    key: str
    titles: dict[str, str]
    bodies: dict[str, str]


@dataclass(frozen=True)
class IncidentTemplate:
    key: str
    kind: IncidentKind
    impact: Impact
    names: dict[str, str]
    bodies: dict[str, str]
    components: dict[str, ComponentStatus] = field(default_factory=dict)
    keywords: list[str] = field(default_factory=list)


def _read(path: Path) -> tuple[dict[str, list[str]], str]:
    text = path.read_text(encoding="utf-8")
    md = markdown.Markdown(extensions=["meta"])
    md.convert(text)
    meta: dict[str, list[str]] = md.Meta  # type: ignore[attr-defined]
    head, _, body = text.partition("\n\n")
    if not meta:
        raise ContentError(f"{path}: no metadata block at the top")
    return meta, body.strip()


def _one(meta: dict[str, list[str]], name: str, path: Path, default: str | None = None) -> str:
    values = meta.get(name)
    if not values or not values[0].strip():
        if default is not None:
            return default
        raise ContentError(f"{path}: missing field '{name}'")
    return " ".join(v.strip() for v in values)


def _by_language(meta: dict[str, list[str]], prefix: str, path: Path) -> dict[str, str]:
    return {lang: _one(meta, f"{prefix}_{lang}", path) for lang in LANGUAGES}


def _split_csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _bodies(body: str, path: Path) -> dict[str, str]:
    parts = _LANG_MARK.split(body)
    bodies = {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    missing = [lang for lang in LANGUAGES if not bodies.get(lang)]
    if missing:
        raise ContentError(f"{path}: no body for {', '.join(missing)} (<!-- lang: xx --> marks)")
    return bodies


@dataclass(frozen=True)
class Site:
    """`content/site.md`: who the page speaks for, and its look."""

    name: str = ""
    logo: str = ""  #: a file beside site.md (SVG or PNG), or none
    accent: str = "#0b57d0"  #: links and buttons, light theme
    accent_dark: str = "#8ab4f8"  #: the same in the dark theme


_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_LOGO_TYPES = (".svg", ".png")


def load_site(root: Path) -> Site:
    """The site's identity; without site.md, the defaults (and the name `Status`)."""
    path = root / "site.md"
    if not path.exists():
        return Site()
    meta, _ = _read(path)
    default = Site()
    site = Site(
        name=_one(meta, "name", path),
        logo=_one(meta, "logo", path, ""),
        accent=_one(meta, "accent", path, default.accent),
        accent_dark=_one(meta, "accent_dark", path, default.accent_dark),
    )
    for field_name in ("accent", "accent_dark"):
        if not _COLOUR.match(getattr(site, field_name)):
            raise ContentError(f"{path}: '{field_name}' must be a colour like #0b57d0")
    if site.logo:
        logo = root / site.logo
        if "/" in site.logo or logo.suffix.lower() not in _LOGO_TYPES or not logo.is_file():
            raise ContentError(f"{path}: 'logo' must name an SVG or PNG file beside site.md")
    return site


def load_catalogue(root: Path) -> list[CatalogueEntry]:
    entries = []
    for path in sorted((root / "catalogue").glob("*.md")):
        meta, _ = _read(path)
        try:
            position = int(_one(meta, "position", path, "0"))
        except ValueError:
            raise ContentError(f"{path}: 'position' must be a whole number") from None
        entries.append(
            CatalogueEntry(
                key=_one(meta, "key", path),
                group=_one(meta, "group", path, "") or None,
                position=position,
                names=_by_language(meta, "name", path),
                descriptions=_by_language(meta, "description", path),
                aliases={
                    lang: _split_csv(_one(meta, f"aliases_{lang}", path, "")) for lang in LANGUAGES
                },
                hidden=_one(meta, "hidden", path, "false").lower() in ("true", "yes", "1"),
                depends_on=tuple(_split_csv(_one(meta, "depends_on", path, ""))),
            )
        )
    keys = [e.key for e in entries]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ContentError(f"catalogue: duplicate keys {sorted(duplicates)}")
    groups = {e.key for e in entries if e.group is None}
    for entry in entries:
        if entry.group is not None and entry.group not in groups:
            raise ContentError(f"catalogue: '{entry.key}' names unknown group '{entry.group}'")
    known = set(keys)
    for entry in entries:
        unknown = [k for k in entry.depends_on if k not in known]
        if unknown:
            raise ContentError(f"catalogue: '{entry.key}' depends on unknown {unknown}")
    return entries


@cache
def catalogue_cached(root: str) -> tuple[CatalogueEntry, ...]:
    """The catalogue files, read once per process (they change with a deployment)."""
    return tuple(load_catalogue(Path(root)))


def load_pages(root: Path) -> dict[str, Page]:
    pages = {}
    for path in sorted((root / "pages").glob("*.md")):
        meta, body = _read(path)
        key = _one(meta, "key", path)
        pages[key] = Page(key, _by_language(meta, "title", path), _bodies(body, path))
    return pages


def _enum(enum_cls, value: str, path: Path, name: str):
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum_cls)
        raise ContentError(f"{path}: '{name}' is '{value}', expected one of {allowed}") from None


def load_incident_templates(root: Path) -> dict[str, IncidentTemplate]:
    templates = {}
    for path in sorted((root / "incident-templates").glob("*.md")):
        meta, body = _read(path)
        key = _one(meta, "key", path)
        components = {}
        for line in meta.get("components", []):
            if not line.strip():
                continue
            component, _, status = line.partition(":")
            components[component.strip()] = _enum(
                ComponentStatus, status.strip(), path, "components"
            )
        templates[key] = IncidentTemplate(
            key=key,
            kind=_enum(IncidentKind, _one(meta, "kind", path, "incident"), path, "kind"),
            impact=_enum(Impact, _one(meta, "impact", path, "none"), path, "impact"),
            names=_by_language(meta, "name", path),
            bodies=_bodies(body, path),
            components=components,
            keywords=_split_csv(_one(meta, "keywords", path, "")),
        )
    return templates


@cache
def pages_cached(root: str) -> dict[str, Page]:
    """Site texts are read once per process; they change with a deployment, not at run time."""
    return load_pages(Path(root))
