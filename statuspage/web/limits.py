"""The rate limits of the public write endpoints, read from the configuration at request time.

One module for every `limiter.limit(...)` callable, so that the form, the subscription and the
API read each limit from one place (each endpoint still counts its own budget).
"""

from __future__ import annotations

from flask import current_app


def submit_limit() -> str:
    """New requests and subscriptions (the form and the API), per client address."""
    return current_app.config["RATELIMIT_SUBMIT"]


def match_limit() -> str:
    """`POST /api/v1/requests/match`, per client address."""
    return current_app.config["RATELIMIT_MATCH"]
