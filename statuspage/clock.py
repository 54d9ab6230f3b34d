"""The app's clock: real UTC time, or the `CLOCK` callable that tests set (they never sleep)."""

from datetime import datetime

from flask import current_app

from statuspage.models import utcnow


def app_now() -> datetime:
    return current_app.config.get("CLOCK", utcnow)()
