"""Blueprints, one per audience, and what several of them read the same way."""

from __future__ import annotations

from flask import current_app

from statuspage.cache import expires_at, now
from statuspage.extensions import db
from statuspage.i18n import page_zone
from statuspage.services import overview as ov


def current_overview() -> ov.Overview:
    """The page's overview for this request; the cached page turns stale when the overview does
    (a maintenance starts, a day ends)."""
    result = ov.build_overview(
        db.session, now(), current_app.config["PAGE_CACHE_SECONDS"], zone=page_zone()
    )
    expires_at(result.valid_until)
    return result
