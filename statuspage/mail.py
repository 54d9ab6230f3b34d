"""Mail through the outbox: queued in the transaction that causes it, sent by a worker.

`queue` renders a message (text and HTML, in the customer's language) into the outbox table;
`queue_unrendered` queues a small row that `deliver` renders just before sending (the
acknowledgement of a customer request: nothing rendered while the customer waits).
`deliver` sends what is due through SMTP (`STATUSPAGE_SMTP_URL`), retrying with exponential
backoff, or, with no SMTP configured, writes `.eml` files into `STATUSPAGE_OUTBOX_DIR`.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import Insert, Integer, bindparam, func, insert, literal, select
from sqlalchemy.orm import Session

from statuspage import claims
from statuspage.models import OutboxMessage

log = logging.getLogger(__name__)

#: Mail anyone can make us send to any address, by typing it in a form: counted per address.
UNSOLICITED = ("ack", "subscribe")
ALLOWANCE_PERIOD = timedelta(hours=1)
#: Kinds `queue_unrendered` may queue: `deliver` renders them from their request (`_render`).
RENDERED_AT_DELIVERY = ("ack",)


def _recent(recipient: str, now: datetime):
    """The unsolicited mail queued for an address within the allowance's period."""
    return select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipient == recipient,
        OutboxMessage.kind.in_(UNSOLICITED),
        OutboxMessage.created_at > now - ALLOWANCE_PERIOD,
    )


def within_allowance(session: Session, recipient: str, *, now: datetime) -> bool:
    """Whether an address may get one more unsolicited mail (`MAIL_PER_ADDRESS_HOUR` an hour):
    nobody can use our forms to flood someone's mailbox."""
    sent = session.execute(_recent(recipient, now)).scalar_one()
    return sent < current_app.config["MAIL_PER_ADDRESS_HOUR"]


def unrendered_insert(request_id) -> Insert:
    """`INSERT ... SELECT`: an unsolicited mail about the request `request_id` (a bound
    parameter, or a column of the statement it joins), queued to be rendered by `deliver`,
    written only within the address's allowance: the count and the row are one statement.

    Bound parameters: `mail_kind`, `email`, `headers`, `created_at`, `since` (the allowance's
    period back from `created_at`) and `allowance`."""
    table = OutboxMessage.__table__
    c = table.c
    now = bindparam("created_at", type_=c.created_at.type)
    values = {
        "created_at": now,
        "kind": bindparam("mail_kind", type_=c.kind.type),
        "recipient": bindparam("email", type_=c.recipient.type),
        "subject": literal(""),
        "text_body": literal(""),
        "html_body": literal(""),
        "headers": bindparam("headers", type_=c.headers.type),
        "request_id": request_id,
        "status": literal("pending"),
        "attempts": literal(0),
        "next_attempt_at": now,
        "last_error": literal(""),
    }
    recent = select(func.count(c.id)).where(
        c.recipient == bindparam("email"),
        c.kind.in_(UNSOLICITED),
        c.created_at > bindparam("since", type_=c.created_at.type),
    )
    row = select(*(value.label(name) for name, value in values.items()))
    row = row.where(recent.scalar_subquery() < bindparam("allowance", type_=Integer))
    # the rowcount of an INSERT ... SELECT is kept only when asked for (SQLAlchemy 2.0.28+)
    return insert(table).from_select(list(values), row).execution_options(preserve_rowcount=True)


def unrendered_params(*, kind: str, recipient: str, lang: str, now: datetime) -> dict[str, Any]:
    """The parameters of `unrendered_insert`."""
    if kind not in RENDERED_AT_DELIVERY:
        raise ValueError(f"{kind!r} mail is rendered when queued (`queue`)")
    return {
        "mail_kind": kind,
        "email": recipient.strip().lower(),
        "headers": {"Content-Language": lang},
        "created_at": now,
        "since": now - ALLOWANCE_PERIOD,
        "allowance": current_app.config["MAIL_PER_ADDRESS_HOUR"],
    }


@cache
def _queue_unrendered() -> Insert:
    return unrendered_insert(bindparam("request_id", type_=Integer))


def queue_unrendered(
    session: Session, *, kind: str, recipient: str, lang: str, request_id: int, now: datetime
) -> bool:
    """An unsolicited mail about a request, queued for `deliver` to render just before sending;
    False when the address had its share this hour (`within_allowance`).

    The allowance's count and the row are one statement (`unrendered_insert`): the intake of a
    customer request renders nothing while the customer waits. The row's subject and bodies
    stay empty until `deliver` renders them from the request, in its language."""
    params = unrendered_params(kind=kind, recipient=recipient, lang=lang, now=now)
    told = session.execute(_queue_unrendered(), {**params, "request_id": request_id}).rowcount == 1
    if not told:
        log_over_allowance(kind, params["email"])
    return told


def log_over_allowance(kind: str, recipient: str) -> None:
    log.warning("%s mail to %s not sent: over the hourly allowance", kind, recipient)


def _one_line(text: str) -> str:
    """A subject on one line; no-break spaces stay (French puts one before : ; ? !)."""
    return re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()


def queue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    lang: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage | None:
    """The message, or None when `kind` is unsolicited and the address had its share."""
    recipient = recipient.strip().lower()
    if kind in UNSOLICITED and not within_allowance(session, recipient, now=now):
        log_over_allowance(kind, recipient)
        return None
    message = compose(
        kind=kind,
        recipient=recipient,
        lang=lang,
        template=template,
        context=context,
        now=now,
        request_id=request_id,
        headers=headers,
    )
    session.add(message)
    return message


def compose(
    *,
    kind: str,
    recipient: str,
    lang: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    request_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    """The message rendered (text and HTML, in `lang`), in no session, no allowance asked."""
    subject, text, html = render(template, lang, context)
    return OutboxMessage(
        created_at=now,
        kind=kind,
        recipient=recipient.strip().lower(),
        subject=subject,
        text_body=text,
        html_body=html,
        # header values on one line: a customer's name with a line break would inject headers
        # (and make the message impossible to build)
        headers={"Content-Language": lang, **{k: _one_line(v) for k, v in (headers or {}).items()}},
        request_id=request_id,
        next_attempt_at=now,
    )


def render(template: str, lang: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject on one line, text, HTML) of `mail/<template>.*` in `lang`."""
    with force_locale(lang):
        subject = render_template(f"mail/{template}.subject.txt", **context).strip()
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
    return _one_line(subject)[:255], text, html


def unrendered(message: OutboxMessage) -> bool:
    """Queued by `queue_unrendered`, not yet rendered."""
    return message.kind in RENDERED_AT_DELIVERY and not message.text_body


def _render(session: Session, message: OutboxMessage) -> None:
    """The message's subject and bodies, from its request as it is now, in the request's
    language; kept on the row with its outcome."""
    from statuspage.models import SupportRequest
    from statuspage.services.deflection import mail_context  # deflection queues through here

    request = session.get(SupportRequest, message.request_id) if message.request_id else None
    if request is None:
        raise claims.Failed("permanent: the request of this mail is gone", permanent=True)
    message.subject, message.text_body, message.html_body = render(
        message.kind, request.lang, mail_context(request)
    )
    message.headers = {**(message.headers or {}), "Content-Language": request.lang}


def build(message: OutboxMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(message.created_at.timestamp(), usegmt=True)
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}")
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    for name, value in (message.headers or {}).items():  # after the content, which clears them
        email[name] = value
    return email


def _send_smtp(url: str, email: EmailMessage) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port or 465, timeout=30, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port or 25, timeout=30)
    with client:
        if parts.scheme == "smtp" and parts.username and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def permanent(error: Exception) -> bool:
    """A 5xx answer about the message or its recipient: trying again cannot help.

    Authentication failures (530, 534, 535) and connection errors are ours to fix, and retried.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600 and error.smtp_code not in (530, 534, 535)
    return False


def deliver(session: Session, limit: int = 100, *, now: datetime) -> tuple[int, int]:
    """Sends what is due; returns (sent, failed attempts). Each message is claimed first
    (`statuspage.claims`), so two workers never send the same mail."""
    config = current_app.config

    def send(message: OutboxMessage) -> None:
        if unrendered(message):
            try:
                _render(session, message)
            except claims.Failed:
                raise
            except Exception as error:  # noqa: BLE001 - a template of ours: logged, tried again
                log.exception("outbox %s: rendering failed", message.id)
                raise claims.Failed(f"cannot render: {type(error).__name__}: {error}") from error
        try:
            email = build(message, config["MAIL_FROM"])
        except (ValueError, TypeError) as error:  # a message no server could take: never retried
            raise claims.Failed(
                f"permanent: cannot build the message: {error}", permanent=True
            ) from error
        try:
            if config["SMTP_URL"]:
                _send_smtp(config["SMTP_URL"], email)
            else:
                folder = Path(config["OUTBOX_DIR"])
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{message.id:08d}.eml").write_bytes(bytes(email))
        except (OSError, smtplib.SMTPException) as error:
            text = f"{type(error).__name__}: {error}"
            if permanent(error):
                raise claims.Failed(f"permanent: {text}", permanent=True) from error
            raise claims.Failed(text) from error
        message.status = "sent"
        message.sent_at = now

    return claims.work_through(session, OutboxMessage, send, limit, now=now)
