"""The share panel of an update: links and ready-to-post texts in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale

from statuspage.config import LANGUAGES
from statuspage.domain.share import share_text
from statuspage.i18n import LABELS
from statuspage.models import Incident, IncidentUpdate


@dataclass(frozen=True)
class SharePanel:
    permalink: str
    shortlink: str
    texts: dict[str, str]  #: language -> text of at most 280 characters


def shortlink(incident: Incident) -> str:
    return f"{current_app.config['BASE_URL']}/i/{incident.id}"


def permalink(update: IncidentUpdate) -> str:
    return f"{current_app.config['BASE_URL']}/incidents/{update.incident_id}#update-{update.id}"


def panel(incident: Incident, update: IncidentUpdate) -> SharePanel:
    link = shortlink(incident)
    texts = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            label = str(LABELS["incident"][update.status])
        texts[lang] = share_text(label, incident.name, link)
    return SharePanel(permalink(update), link, texts)
