"""The staff API (`/api/v1/`), one blueprint (`api`): bearer tokens, JSON in and out, JSON errors
only. Its endpoints are grouped by concern, each module adding its routes to the blueprint of
`base`: incidents, admin (tokens, audit) and support (customer requests, deflection numbers)."""

from statuspage.views.api import admin, incidents, support
from statuspage.views.api.base import bp

__all__ = ["admin", "bp", "incidents", "support"]
