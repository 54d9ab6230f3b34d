"""Every address the site gives out: the customer's private request page, permalinks and short
links of incidents, subscription links, the API's documentation.

Built from `BASE_URL` by hand rather than with `url_for`, so that mail queued by the worker
(outside any web request) carries the same links as a page does. The routes they point at are
declared in `views/`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from flask import current_app, url_for


class _HasReference(Protocol):
    reference: str


def _base() -> str:
    return current_app.config["BASE_URL"]


def absolute_url(endpoint: str, **values) -> str:
    """A route of the site, as an absolute address (canonical links, cards)."""
    return _base() + url_for(endpoint, **values)


# -- the customer's private request page -------------------------------------------------------


def token_for(reference: str) -> str:
    """The private link's token: unguessable without the secret key, nothing stored."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"request:{reference}".encode(), hashlib.sha256).hexdigest()[:32]


def token_ok(reference: str, token: str) -> bool:
    return hmac.compare_digest(token_for(reference).encode(), (token or "").encode())


def request_path(request: _HasReference) -> str:
    """The private page's path with its token (the redirect after the form: same site)."""
    return f"/requests/{request.reference}?t={token_for(request.reference)}"


def private_link(request: _HasReference) -> str:
    """The private page as an absolute address (mail, the API's answer)."""
    return _base() + request_path(request)


def answer_link(request: _HasReference, answer: str, lang: str) -> str:
    """The private page, in the request's language, with the form of one answer brought forward
    and focused (no fragment: browsers skip `autofocus` when the address targets an element).
    Following it changes nothing (mail scanners follow links): the customer presses the button."""
    return f"{private_link(request)}&answer={answer}&lang={lang}"


# -- incidents -----------------------------------------------------------------------------------


def incident_page(incident_id: str) -> str:
    return f"{_base()}/incidents/{incident_id}"


def shortlink(incident_id: str) -> str:
    return f"{_base()}/i/{incident_id}"


def permalink(incident_id: str, update_id: int) -> str:
    """One update of an incident, on the incident's page."""
    return f"{incident_page(incident_id)}#update-{update_id}"


# -- the console ---------------------------------------------------------------------------------


def console_request(request_id: int) -> str:
    return f"{_base()}/staff/requests/{request_id}"


def console_incident(incident_id: str) -> str:
    return f"{_base()}/staff/incidents/{incident_id}"


# -- subscriptions, webhooks, API --------------------------------------------------------------


def subscription(action: str, token: str) -> str:
    """`confirm`, `manage` or `unsubscribe`, with the subscriber's signed token."""
    paths = {"confirm": "confirm", "manage": "manage", "unsubscribe": "unsubscribe"}
    return f"{_base()}/subscriptions/{paths[action]}/{token}"


def webhooks_console() -> str:
    return f"{_base()}/staff/webhooks"


def api_documentation() -> str:
    return f"{_base()}/api/v1/openapi.json"
