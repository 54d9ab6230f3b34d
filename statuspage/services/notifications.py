"""Subscribers (email, double opt-in) and webhooks, told of incidents as they happen.

Both are written in the transaction of the change that causes them (outbox rows, delivery rows)
and sent by the worker (`flask outbox deliver`), with retries and backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from statuspage import claims, mail, serializers
from statuspage.domain import status as st
from statuspage.models import (
    Component,
    ComponentChange,
    Incident,
    IncidentUpdate,
    Subscriber,
    Webhook,
    WebhookDelivery,
)
from statuspage.services.incidents import right_now

log = logging.getLogger(__name__)

REMINDER_BEFORE = timedelta(hours=24)
MAX_ATTEMPTS = 8
SIGNATURE_HEADER = "X-Statuspage-Signature"


# -- signed links ------------------------------------------------------------------------------


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="subscription")


def token(subscriber: Subscriber, action: str) -> str:
    return _signer().dumps({"s": subscriber.id, "a": action})


def read_token(session: Session, value: str, action: str) -> Subscriber | None:
    try:
        data = _signer().loads(value)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("a") != action:
        return None
    return session.get(Subscriber, data.get("s"))


def link(subscriber: Subscriber, action: str) -> str:
    paths = {"confirm": "confirm", "manage": "manage", "unsubscribe": "unsubscribe"}
    return f"{current_app.config['BASE_URL']}/subscriptions/{paths[action]}/" + token(
        subscriber, action
    )


# -- subscribers -------------------------------------------------------------------------------


def subscribe(
    session: Session, email: str, lang: str, components: list[str] | None, now: datetime
) -> Subscriber:
    """Creates (or refreshes) an unconfirmed subscription and sends the confirmation mail."""
    email = email.strip().lower()
    subscriber = session.execute(
        select(Subscriber).where(Subscriber.email == email)
    ).scalar_one_or_none()
    if subscriber is None:
        subscriber = Subscriber(email=email, created_at=now)
        session.add(subscriber)
    subscriber.lang = lang
    subscriber.components = components
    if subscriber.unsubscribed_at is not None:
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
    session.flush()
    if subscriber.confirmed_at is None:
        mail.queue(
            session,
            kind="subscribe",
            recipient=email,
            lang=lang,
            template="subscribe",
            context={
                "subscriber": subscriber,
                "confirm": link(subscriber, "confirm"),
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
    now: datetime,
    template: str = "notify",
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


def send_reminders(session: Session, now: datetime) -> int:
    """Subscribers hear of a maintenance the day before it starts, once."""
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
    for incident in due:
        if st.effective_status(incident.facts(), now) is not st.IncidentStatus.SCHEDULED:
            continue
        incident.reminder_sent_at = now
        latest = max(incident.updates, key=lambda u: (u.display_at, u.position))
        _mail_subscribers(session, incident, latest, now, template="reminder")
    session.flush()
    return len(due)


# -- webhooks ----------------------------------------------------------------------------------


def _envelope(status: st.PageStatus, now: datetime) -> dict:
    base = current_app.config["BASE_URL"]
    return {
        "meta": {
            "unsubscribe": f"{base}/staff/webhooks",
            "documentation": f"{base}/api/v1/openapi.json",
            "generated_at": serializers.timestamp(now),
        },
        "page": {
            "id": current_app.config["PAGE_ID"],
            "status_indicator": status.indicator.value,
            "status_description": status.description,
        },
    }


def _queue_webhooks(session: Session, event: str, payload: dict, now: datetime) -> None:
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
    session: Session, incident: Incident, changes: Iterable[ComponentChange], now: datetime
) -> None:
    if session.execute(select(Webhook.id).where(Webhook.active.is_(True)).limit(1)).first() is None:
        return
    session.flush()
    current = right_now(session, now)
    states = current.statuses
    envelope = _envelope(current.page, now)
    _queue_webhooks(
        session,
        "incident",
        {**envelope, "incident": serializers.incident(incident, now, states)},
        now,
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
            now,
        )


def add_webhook(session: Session, url: str, actor: str, now: datetime) -> Webhook:
    webhook = Webhook(
        url=url.strip(), secret=secrets.token_hex(32), created_at=now, created_by=actor
    )
    session.add(webhook)
    session.flush()
    return webhook


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_webhooks(session: Session, now: datetime, limit: int = 100) -> tuple[int, int]:
    """Posts what is due; each delivery claimed first, so two workers never post it twice."""
    sent = failed = 0
    for _ in range(limit):
        delivery = claims.claim_next(session, WebhookDelivery, now)
        if delivery is None:
            break
        body = delivery.payload.encode()
        request = urllib.request.Request(  # noqa: S310 - admins register http(s) URLs only
            delivery.webhook.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "statuspage-webhooks/1",
                SIGNATURE_HEADER: signature(delivery.webhook.secret, body),
                "X-Statuspage-Event": delivery.event,
                "X-Statuspage-Delivery": str(delivery.id),
            },
        )
        delivery.attempts += 1
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                delivery.response_code = response.status
        except urllib.error.HTTPError as error:
            delivery.response_code = error.code
            delivery.last_error = f"HTTP {error.code}"
        except (OSError, ValueError) as error:
            delivery.response_code = None
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
        if delivery.response_code is not None and 200 <= delivery.response_code < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
            delivery.last_error = ""
            sent += 1
        else:
            failed += 1
            delivery.next_attempt_at = now + mail.backoff(delivery.attempts)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "failed"
        claims.release(delivery)
        session.commit()
    return sent, failed


# -- the events --------------------------------------------------------------------------------


def on_change(
    session: Session,
    incident: Incident,
    update: IncidentUpdate | None,
    now: datetime,
    created: bool = False,
) -> None:
    """Called by the operations after each change of an incident."""
    changes = list(update.changes) if update is not None else []
    _webhook_events(session, incident, changes, now)
    if update is None:
        return
    closing = update.status in (st.IncidentStatus.RESOLVED, st.IncidentStatus.COMPLETED)
    if created or closing or update.deliver_notifications:
        _mail_subscribers(session, incident, update, now)
