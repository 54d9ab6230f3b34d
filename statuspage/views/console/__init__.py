"""The staff console, one blueprint (`staff`) over `services`; every route needs a signed-in user.

Its pages are grouped by concern, each module adding its routes to the blueprint of `base`:
sign-in (`auth`), the dashboard, incidents, the support backlog (`tickets`) and administration.
"""

from statuspage.views.console import admin, auth, dashboard, incidents, tickets
from statuspage.views.console.base import bp, init_app

__all__ = ["admin", "auth", "bp", "dashboard", "incidents", "init_app", "tickets"]
