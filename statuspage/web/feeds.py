"""RSS and Atom feeds of incident updates (feedgen), in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from statuspage.domain.cleaning import clean_text
from statuspage.filters import body_html, noted_text
from statuspage.i18n import LABELS
from statuspage.models import IncidentUpdate, utcnow

DEFAULT_ENTRIES = 50


def _entry_id(update: IncidentUpdate) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},2026:incident-update:{update.id}"


def build(
    updates: Sequence[IncidentUpdate],
    *,
    title: str,
    self_url: str,
    page_url: str,
    lang: str,
    kind: str,
) -> bytes:
    """One entry per update, newest first; `kind` is `atom` or `rss`."""
    base = current_app.config["BASE_URL"]
    with force_locale(lang):
        feed = FeedGenerator()
        feed.id(self_url)
        feed.title(title)
        feed.language(lang)
        feed.author({"name": current_app.config["SITE_NAME"]})
        feed.link(href=self_url, rel="self")
        feed.link(href=page_url, rel="alternate")
        feed.description(
            _("Incidents and maintenance of %(site)s", site=current_app.config["SITE_NAME"])
        )
        latest: datetime = max((u.updated_at for u in updates), default=utcnow())
        feed.updated(latest)
        feed.lastBuildDate(latest)
        for update in updates:
            incident = update.incident
            status = str(LABELS["incident"][update.status])
            link = f"{base}/incidents/{incident.id}#update-{update.id}"
            names = [c.component.name(lang) for c in update.changes]
            components = "".join(
                f"<li>{escape(c.component.name(lang))}: "
                f"{escape(LABELS['component'][c.new_status])}</li>"
                for c in update.changes
            )
            text = update.text("body", lang)
            body = clean_text(str(body_html(text))) if text else ""
            if components:
                body += f"<p>{escape(_('Affected services'))}:</p><ul>{components}</ul>"
            entry = feed.add_entry(order="append")
            entry.id(_entry_id(update))
            entry.title(clean_text(f"[{status}] {noted_text(incident.text('name', lang))}"))
            entry.link(href=link, rel="alternate")
            entry.guid(_entry_id(update), permalink=False)
            entry.description(body)  # first: feedgen's description() also sets Atom's content
            entry.content(body, type="html")
            entry.published(update.display_at)
            entry.updated(update.updated_at)
            for name in names:
                entry.category(term=name, label=name)
        return feed.atom_str(pretty=True) if kind == "atom" else feed.rss_str(pretty=True)
