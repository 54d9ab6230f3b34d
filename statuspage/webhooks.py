"""Webhooks posted by the worker: each delivery claimed first (`statuspage.claims`), signed
with its webhook's secret, sent to an address checked again at each try, never redirected.

The deliveries are written by `services.notifications` in the transaction of the change that
causes them; this module only sends them, like `statuspage.mail` sends the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from statuspage import claims
from statuspage.domain.webhooks import UrlProblem
from statuspage.models import Webhook, WebhookDelivery
from statuspage.services.notifications import webhook_target_problem

SIGNATURE_HEADER = "X-Statuspage-Signature"


class RefusedTarget(Exception):
    """A delivery not attempted: the webhook's address is not one we send to."""

    def __init__(self, problem: UrlProblem) -> None:
        super().__init__(f"refused target: {problem.value}")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, never followed: its target was not checked (it could
    point at a loopback or private address)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _secret(delivery: WebhookDelivery) -> str:
    """A registered webhook's own secret; the help desk's comes from the configuration."""
    if delivery.webhook is not None:
        return delivery.webhook.secret
    return current_app.config["HELPDESK_WEBHOOK_SECRET"]


def deliver(session: Session, limit: int = 100, *, now: datetime) -> tuple[int, int]:
    """Posts what is due; each delivery claimed first, so two workers never post it twice.

    Pending deliveries of a removed webhook are cancelled first, never sent.
    """
    cancelled = (
        select(WebhookDelivery.id)
        .join(Webhook, WebhookDelivery.webhook_id == Webhook.id)
        .where(WebhookDelivery.status == "pending", Webhook.active.is_(False))
    )
    session.execute(
        sql_update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(cancelled))
        .values(status="cancelled", last_error="the webhook was removed")
    )
    config = current_app.config

    def send(delivery: WebhookDelivery) -> None:
        body = delivery.payload.encode()
        problem = webhook_target_problem(
            delivery.url,
            private_allowed=config["WEBHOOK_ALLOW_PRIVATE"]
            or (  # the help desk's own address, as the operator configured it
                delivery.webhook_id is None
                and config["HELPDESK_WEBHOOK_ALLOW_PRIVATE"]
                and delivery.url == config["HELPDESK_WEBHOOK"]
            ),
        )
        delivery.response_code = None
        try:
            if problem is not None:
                raise RefusedTarget(problem)
            request = urllib.request.Request(  # noqa: S310 - checked http(s) URL just above
                delivery.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "statuspage-webhooks/1",
                    SIGNATURE_HEADER: signature(_secret(delivery), body),
                    "X-Statuspage-Event": delivery.event,
                    "X-Statuspage-Delivery": str(delivery.id),
                },
            )
            with _OPENER.open(request, timeout=10) as response:
                delivery.response_code = response.status
        except urllib.error.HTTPError as error:
            delivery.response_code = error.code
            raise claims.Failed(f"HTTP {error.code}") from error
        except Exception as error:  # noqa: BLE001 - one bad delivery never stops the worker
            # a refused address will not get better by itself
            hopeless = problem in (UrlProblem.SYNTAX, UrlProblem.CREDENTIALS, UrlProblem.PRIVATE)
            raise claims.Failed(f"{type(error).__name__}: {error}", permanent=hopeless) from error
        if not 200 <= delivery.response_code < 300:
            raise claims.Failed(f"HTTP {delivery.response_code}")
        delivery.status = "delivered"
        delivery.delivered_at = now

    return claims.work_through(session, WebhookDelivery, send, limit, now=now)
