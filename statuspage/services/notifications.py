"""Subscribers (email, double opt-in) and webhooks, told of incidents as they happen.

Both are written in the transaction of the change that causes them (outbox rows, delivery rows)
and sent by the worker (`statuspage.mail`, `statuspage.webhooks`), with retries and backoff.
"""

from __future__ import annotations

import json
import secrets
import socket
import urllib.parse
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from statuspage import links, mail, serializers
from statuspage.clock import app_now
from statuspage.domain import status as st
from statuspage.domain import texts as tx
from statuspage.domain.errors import Gone
from statuspage.domain.webhooks import UrlProblem, addresses_problem, url_problem
from statuspage.models import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    Subscriber,
    Webhook,
    WebhookDelivery,
)
from statuspage.services import audit
from statuspage.services.incidents import right_now

REMINDER_BEFORE = timedelta(hours=24)


# -- signed links ------------------------------------------------------------------------------


#: How long a link of our mail works: long enough to act on the mail, not forever (a forwarded
#: or leaked mail stops being a key to the subscription). Every notification carries fresh ones.
TOKEN_MAX_AGE = {
    "confirm": timedelta(days=7),
    "manage": timedelta(days=30),
    "unsubscribe": timedelta(days=365),
}


class ExpiredLink(Gone):
    """A genuine link of ours, too old to use."""

    default_code = "expired_link"


class _ClockSigner(TimestampSigner):
    """Dates links by the app's clock (tests move it; they never sleep)."""

    def get_timestamp(self) -> int:
        return int(app_now().timestamp())


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="subscription", signer=_ClockSigner
    )


def token(subscriber: Subscriber, action: str, wanted: dict | None = None) -> str:
    """A signed link; `wanted` (language, services) travels in a confirmation link, so that a
    change asked for a confirmed address is applied only when its owner confirms it."""
    return _signer().dumps({"s": subscriber.id, "a": action, **({"w": wanted} if wanted else {})})


def read_token_data(value: str, action: str) -> dict | None:
    """The link's data; None when it is not ours; `ExpiredLink` when it is too old. Unsubscribe
    links of mail sent before links expired still work (unsubscribing is always safe)."""
    max_age = TOKEN_MAX_AGE.get(action, timedelta(0)).total_seconds()
    try:
        data = _signer().loads(value, max_age=max_age)
    except SignatureExpired:
        raise ExpiredLink("this link has expired") from None
    except BadSignature:
        if action != "unsubscribe":
            return None
        try:
            data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="subscription").loads(
                value
            )
        except BadSignature:
            return None
    if not isinstance(data, dict) or data.get("a") != action:
        return None
    return data


def read_token(session: Session, value: str, action: str) -> Subscriber | None:
    data = read_token_data(value, action)
    if data is None or not isinstance(data.get("s"), int):
        return None
    return session.get(Subscriber, data["s"])


def confirm(subscriber: Subscriber, token_value: str, *, now: datetime) -> None:
    """The owner of the address confirms: the subscription, and the preferences the link asked."""
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now
    wanted = (read_token_data(token_value, "confirm") or {}).get("w")
    if isinstance(wanted, dict) and wanted.get("lang") in tx.LANGUAGES:
        subscriber.lang = wanted["lang"]
        components = wanted.get("components")
        if components is None or isinstance(components, list):
            subscriber.components = components


def link(subscriber: Subscriber, action: str) -> str:
    return links.subscription(action, token(subscriber, action))


# -- subscribers -------------------------------------------------------------------------------


def subscribe(
    session: Session, email: str, lang: str, components: list[str] | None, *, now: datetime
) -> Subscriber:
    """Creates (or refreshes) an unconfirmed subscription and sends the confirmation mail."""
    email = email.strip().lower()
    subscriber = session.execute(
        select(Subscriber).where(Subscriber.email == email)
    ).scalar_one_or_none()
    if subscriber is None:
        subscriber = Subscriber(email=email, created_at=now)
        session.add(subscriber)
    if subscriber.unsubscribed_at is not None:
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
    if subscriber.confirmed_at is None:  # nothing is sent before the confirmation anyway
        subscriber.lang = lang
        subscriber.components = components
    session.flush()
    wanted = {"lang": lang, "components": components}
    confirm_link = links.subscription("confirm", token(subscriber, "confirm", wanted))
    mail.queue(
        session,
        kind="subscribe",
        recipient=email,
        lang=lang,
        template="subscribe",
        context={
            "subscriber": subscriber,
            "confirm": confirm_link,
            "site_name": current_app.config["SITE_NAME"],
        },
        now=now,
    )
    return subscriber


def _wants(subscriber: Subscriber, affected: set[str]) -> bool:
    return subscriber.components is None or bool(set(subscriber.components) & affected)


def _affected(session: Session, incident: Incident) -> set[str]:
    ids = set(st.impacted_components(incident.facts()))
    groups = session.execute(select(Component.group_id).where(Component.id.in_(ids))).scalars()
    return ids | {g for g in groups if g}


def _mail_subscribers(
    session: Session,
    incident: Incident,
    update: IncidentUpdate,
    template: str = "notify",
    *,
    now: datetime,
) -> int:
    affected = _affected(session, incident)
    subscribers = session.execute(
        select(Subscriber).where(
            Subscriber.confirmed_at.is_not(None), Subscriber.unsubscribed_at.is_(None)
        )
    ).scalars()
    count = 0
    for subscriber in subscribers:
        if not _wants(subscriber, affected):
            continue
        unsubscribe = link(subscriber, "unsubscribe")
        mail.queue(
            session,
            kind=template,
            recipient=subscriber.email,
            lang=subscriber.lang,
            template=template,
            context={
                "subscriber": subscriber,
                "incident": incident,
                "update": update,
                "manage": link(subscriber, "manage"),
                "unsubscribe": unsubscribe,
                "site_name": current_app.config["SITE_NAME"],
            },
            now=now,
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        count += 1
    return count


def send_reminders(session: Session, *, now: datetime) -> int:
    """Subscribers hear of a maintenance the day before it starts, once; returns how many
    maintenances they heard of.

    Each reminder is claimed by a conditional UPDATE of `reminder_sent_at`, committed with its
    mail: a second worker that found the same maintenance due finds it taken (on PostgreSQL its
    UPDATE waits for the first worker's commit, then matches no row)."""
    due = (
        session.execute(
            select(Incident).where(
                Incident.kind == st.IncidentKind.MAINTENANCE,
                Incident.reminder_sent_at.is_(None),
                Incident.resolved_at.is_(None),
                Incident.scheduled_for > now,
                Incident.scheduled_for <= now + REMINDER_BEFORE,
            )
        )
        .scalars()
        .all()
    )
    reminded = 0
    for incident in due:
        if st.effective_status(incident.facts(), now) is not st.IncidentStatus.SCHEDULED:
            continue
        claimed = session.execute(
            sql_update(Incident)
            .where(Incident.id == incident.id, Incident.reminder_sent_at.is_(None))
            .values(reminder_sent_at=now)
        ).rowcount
        if claimed != 1:
            continue
        latest = max(incident.updates, key=lambda u: (u.display_at, u.position))
        _mail_subscribers(session, incident, latest, now=now, template="reminder")
        reminded += 1
    session.flush()
    return reminded


# -- webhooks ----------------------------------------------------------------------------------


def _envelope(status: st.PageStatus, *, now: datetime) -> dict:
    return {
        "meta": {
            "unsubscribe": links.webhooks_console(),
            "documentation": links.api_documentation(),
            "generated_at": serializers.timestamp(now),
        },
        "page": {
            "id": current_app.config["PAGE_ID"],
            "status_indicator": status.indicator.value,
            "status_description": status.description,
        },
    }


def _queue_webhooks(session: Session, event: str, payload: dict, *, now: datetime) -> None:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    for webhook in session.execute(select(Webhook).where(Webhook.active.is_(True))).scalars():
        session.add(
            WebhookDelivery(
                webhook_id=webhook.id,
                event=event,
                payload=body,
                created_at=now,
                next_attempt_at=now,
            )
        )


def _webhook_events(
    session: Session, incident: Incident, changes: Iterable[ComponentChange], *, now: datetime
) -> None:
    if session.execute(select(Webhook.id).where(Webhook.active.is_(True)).limit(1)).first() is None:
        return
    session.flush()
    current = right_now(session, now=now)
    states = current.statuses
    envelope = _envelope(current.page, now=now)
    _queue_webhooks(
        session,
        "incident",
        {**envelope, "incident": serializers.incident(incident, now, states)},
        now=now,
    )
    for change in changes:
        component = session.get(Component, change.component_id)
        _queue_webhooks(
            session,
            "component",
            {
                **envelope,
                "component_update": {
                    "id": f"{change.update_id}-{change.component_id}",
                    "created_at": serializers.timestamp(now),
                    "component_id": change.component_id,
                    "old_status": (change.old_status or st.ComponentStatus.OPERATIONAL).value,
                    "new_status": change.new_status.value,
                },
                "component": serializers.component(
                    component, states.get(component.id, st.ComponentStatus.OPERATIONAL)
                ),
            },
            now=now,
        )


def webhook_target_problem(url: str, private_allowed: bool | None = None) -> UrlProblem | None:
    """What forbids sending to `url` now: its form, or where its name leads (resolved here, and
    again at each delivery: a name can be pointed at our network after it was registered)."""
    problem = url_problem(url)
    if private_allowed is None:
        private_allowed = current_app.config["WEBHOOK_ALLOW_PRIVATE"]
    if problem is not None or private_allowed:
        return problem
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return UrlProblem.UNRESOLVED
    return addresses_problem(str(info[4][0]) for info in infos)


def add_webhook(session: Session, url: str, *, actor: str, now: datetime) -> Webhook:
    """Registers `url`; the caller checked it with `webhook_target_problem`."""
    webhook = Webhook(
        url=url.strip(), secret=secrets.token_hex(32), created_at=now, created_by=actor
    )
    session.add(webhook)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="webhook.create",
        now=now,
        target_type="webhook",
        target_id=str(webhook.id),
        after={"url": webhook.url},
    )
    return webhook


def remove_webhook(session: Session, webhook: Webhook, *, actor: str, now: datetime) -> None:
    """No more events for it, and what was waiting for it is not sent."""
    webhook.active = False
    session.execute(
        sql_update(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", last_error="the webhook was removed")
    )
    audit.record(
        session,
        actor=actor,
        action="webhook.remove",
        now=now,
        target_type="webhook",
        target_id=str(webhook.id),
        before={"url": webhook.url},
    )
    session.flush()


# -- the events --------------------------------------------------------------------------------


def on_change(
    session: Session,
    incident: Incident,
    update: IncidentUpdate | None,
    created: bool = False,
    *,
    now: datetime,
) -> None:
    """Called by the operations after each change of an incident."""
    changes = list(update.changes) if update is not None else []
    _webhook_events(session, incident, changes, now=now)
    if update is None:
        return
    closing = update.status in st.ENDING_STATUSES
    if created or closing or update.deliver_notifications:
        _mail_subscribers(session, incident, update, now=now)
