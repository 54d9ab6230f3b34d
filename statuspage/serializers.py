"""JSON shapes of Atlassian Statuspage's API v2, shared by our staff API and public API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from statuspage import links
from statuspage.domain import status as st
from statuspage.models import Component, Incident, IncidentUpdate


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds, in UTC."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def page(updated_at: datetime | None = None) -> dict[str, Any]:
    return {
        "id": current_app.config["PAGE_ID"],
        "name": current_app.config["SITE_NAME"],
        "url": current_app.config["BASE_URL"],
        "time_zone": current_app.config["TIMEZONE"],
        "updated_at": timestamp(updated_at),
    }


def _language(lang: str | None) -> str:
    """The language asked, else the site's default (webhooks, the staff API)."""
    return lang or current_app.config["DEFAULT_LANGUAGE"]


def component(
    item: Component, status: st.ComponentStatus, lang: str | None = None
) -> dict[str, Any]:
    lang = _language(lang)
    data: dict[str, Any] = {
        "id": item.id,
        "name": item.name(lang),
        "status": status.value,
        "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.updated_at),
        "position": item.position,
        "description": item.description(lang) or None,
        "showcase": item.showcase,
        "start_date": item.start_date.isoformat() if item.start_date else None,
        "group_id": item.group_id,
        "page_id": current_app.config["PAGE_ID"],
        "group": item.is_group,
        "only_show_if_degraded": item.only_show_if_degraded,
    }
    if item.is_group:
        data["components"] = [c.id for c in item.children if not c.hidden]
    return data


def incident_update(update: IncidentUpdate, lang: str | None = None) -> dict[str, Any]:
    lang = _language(lang)
    affected = [
        {
            "code": change.component_id,
            "name": change.component.name(lang),
            "old_status": (change.old_status or st.ComponentStatus.OPERATIONAL).value,
            "new_status": change.new_status.value,
        }
        for change in update.changes
    ]
    return {
        "id": update.id,
        "status": update.status.value,
        "body": update.text("body", lang).text,
        "incident_id": update.incident_id,
        "created_at": timestamp(update.created_at),
        "updated_at": timestamp(update.updated_at),
        "display_at": timestamp(update.display_at),
        "affected_components": affected or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(
    item: Incident,
    now: datetime,
    component_statuses: dict[str, st.ComponentStatus],
    lang: str | None = None,
) -> dict[str, Any]:
    """The incident as Statuspage shapes it; `components` are those it names, as they are now.

    `name` and the updates' `body` are in `lang` (default: the site's), else in the other."""
    lang = _language(lang)
    facts = item.facts()
    updates = sorted(item.updates, key=lambda u: (u.display_at, u.position), reverse=True)
    named: dict[str, Component] = {}
    for update in updates:
        for change in update.changes:
            named.setdefault(change.component_id, change.component)
    data: dict[str, Any] = {
        "id": item.id,
        "name": item.text("name", lang).text,
        "status": st.effective_status(facts, now).value,
        "impact": item.impact.value,
        "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.updated_at),
        "started_at": timestamp(item.started_at or item.scheduled_for),
        "monitoring_at": timestamp(item.monitoring_at),
        "resolved_at": timestamp(item.resolved_at),
        "shortlink": links.shortlink(item.id),
        "page_id": current_app.config["PAGE_ID"],
        "incident_updates": [incident_update(u, lang) for u in updates],
        "components": [
            component(c, component_statuses.get(c.id, st.ComponentStatus.OPERATIONAL), lang)
            for c in named.values()
        ],
    }
    if item.kind is st.IncidentKind.MAINTENANCE:
        data["scheduled_for"] = timestamp(item.scheduled_for)
        data["scheduled_until"] = timestamp(item.scheduled_until)
    return data
