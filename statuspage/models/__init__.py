"""Typed ORM models, one module per part of the trade. Query helpers return a `Select` for the
caller to run or paginate. Every name is re-exported here: import from `statuspage.models`."""

from statuspage.models.base import (
    Bilingual,
    StrEnumType,
    UTCDateTime,
    reading_language,
    utcnow,
)
from statuspage.models.incidents import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    SiteState,
    catalogue_order,
    incidents_between,
    incidents_overlapping,
    leaf_components,
    still_open,
    with_timeline,
)
from statuspage.models.outbox import (
    OutboxMessage,
    Subscriber,
    Webhook,
    WebhookDelivery,
)
from statuspage.models.requests import (
    HelpdeskHandoff,
    RequestEvent,
    SupportRequest,
)
from statuspage.models.staff import (
    ApiToken,
    AuditEntry,
    BacklogKillerEvent,
    LoginFailure,
    Setting,
    StaffRole,
    StaffUser,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BacklogKillerEvent",
    "Bilingual",
    "Component",
    "ComponentChange",
    "HelpdeskHandoff",
    "Incident",
    "IncidentUpdate",
    "LoginFailure",
    "OutboxMessage",
    "RequestEvent",
    "Setting",
    "SiteState",
    "StaffRole",
    "StaffUser",
    "StrEnumType",
    "Subscriber",
    "SupportRequest",
    "UTCDateTime",
    "Webhook",
    "WebhookDelivery",
    "catalogue_order",
    "incidents_between",
    "incidents_overlapping",
    "leaf_components",
    "reading_language",
    "still_open",
    "utcnow",
    "with_timeline",
]
