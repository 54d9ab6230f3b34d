"""Syncs the content catalogue into the database without losing history.

A component is known by its content `key`: renaming it in `content/` keeps its id, its incidents
and its links; a component whose file is gone is hidden, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage.content import CatalogueEntry
from statuspage.models import Component


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"catalogue: {len(self.created)} created, {len(self.changed)} changed, "
            f"{len(self.hidden)} hidden"
        )


def sync_catalogue(session: Session, entries: list[CatalogueEntry], *, now: datetime) -> SyncReport:
    report = SyncReport()
    existing = {c.key: c for c in session.execute(select(Component)).scalars()}
    group_keys = {e.group for e in entries if e.group}

    # Groups first, so children can point at them.
    for entry in sorted(entries, key=lambda e: e.group is not None):
        component = existing.get(entry.key)
        values = {
            "is_group": entry.key in group_keys,
            "group_id": existing[entry.group].id if entry.group else None,
            "position": entry.position,
            "name_en": entry.names["en"],
            "name_fr": entry.names["fr"],
            "description_en": entry.descriptions["en"],
            "description_fr": entry.descriptions["fr"],
            "aliases": {lang: list(words) for lang, words in entry.aliases.items()},
            "hidden": entry.hidden,
        }
        if component is None:
            component = Component(key=entry.key, start_date=now.date(), created_at=now, **values)
            session.add(component)
            session.flush()
            existing[entry.key] = component
            report.created.append(entry.key)
        elif any(getattr(component, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(component, name, value)
            component.updated_at = now
            report.changed.append(entry.key)

    keys = {e.key for e in entries}
    for key, component in existing.items():
        if key not in keys and not component.hidden:
            component.hidden = True
            component.updated_at = now
            report.hidden.append(key)
    session.flush()
    return report
