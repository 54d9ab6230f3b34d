"""The app's clock: real UTC time, or the `CLOCK` callable that tests set (they never sleep).

Within a request the clock is read once: every part of one action (a page, a form post, a sweep
of requests) sees the same instant. Outside a request (CLI, worker) each call reads it anew.
"""

from datetime import datetime

from flask import current_app, has_request_context, request

from statuspage.models import utcnow

_KEY = "statuspage.now"


def app_now() -> datetime:
    if not has_request_context():
        return current_app.config.get("CLOCK", utcnow)()
    environ = request.environ
    if _KEY not in environ:
        environ[_KEY] = current_app.config.get("CLOCK", utcnow)()
    return environ[_KEY]
