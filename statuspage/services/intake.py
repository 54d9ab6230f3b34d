"""A customer's request taken in: matched, stored and acknowledged in one transaction.

The one way in for the contact form (`views/contact.py`) and `POST /api/v1/requests`
(`views/api/support.py`). Each answers at once with a `Receipt`: the reference (the private link),
the state and the incidents proposed. A submission costs the request's own matching (the active
incidents are read and prepared once per data version: `deflection.candidates`), one count of
the address's recent mail (the allowance), then one transaction of three INSERTs (the request,
its events, its acknowledgement) and one commit: a storm of requests during an incident holds
the database's write lock (SQLite) as briefly as it can.

Nothing is lost: a failing matcher stores the request in our queue; a failing acknowledgement
is logged and the request kept; when the database itself cannot take the request, it goes to
the local spool (`statuspage.spool`) and is acknowledged from there, to be ingested by the
worker (`ingest`). This module commits, unlike the other services: the request must be stored
before the customer is told it was received, and nothing else in the HTTP request may undo it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from statuspage import mail, spool
from statuspage.database import DATABASE_ERRORS, bounded
from statuspage.domain import matching
from statuspage.domain import requests as rq
from statuspage.models import Component, SupportRequest
from statuspage.services import deflection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """What the customer is told at once, whether the request is stored or spooled."""

    reference: str
    state: rq.RequestState
    lang: str
    #: the incidents offered, best first (empty without a proposal)
    shown: tuple[str, ...] = ()
    #: on the local disk, waiting for the database (`statuspage.spool`)
    spooled: bool = False

    @property
    def proposal(self) -> str | None:
        return self.shown[0] if self.shown else None

    @classmethod
    def of(cls, request: SupportRequest | spool.Spooled) -> Receipt:
        if isinstance(request, spool.Spooled):
            return cls(request.reference, request.state, request.lang, spooled=True)
        waiting = request.state is rq.RequestState.PROPOSED
        shown = tuple(i for i, _r in deflection.offered(request)) if waiting else ()
        return cls(request.reference, request.state, request.lang, shown)


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except DATABASE_ERRORS:
        log.debug("rollback failed with the database gone", exc_info=True)


def submit(
    session: Session, data: deflection.RequestInput, key: str | None, moment: datetime
) -> Receipt:
    """Matched, stored and acknowledged, then committed; what to tell the customer.

    If the database cannot store it within `INTAKE_TIMEOUT_MS`, the request is spooled: the
    receipt has a reference and a private link all the same. A `key` (the form's submission
    key) sent again with the same request gives the first one's receipt, never a second request.
    """
    key = key or None  # an empty key names no submission (two of them would collide)
    waiting = spool.find_key(key)
    if waiting is not None:  # sent again while its first copy waits for the worker
        if _same(waiting.input(), data):
            return Receipt.of(waiting)
        key = None  # a key reused for another request: never the other one's private link
    try:
        with bounded(session, current_app.config["INTAKE_TIMEOUT_MS"]):
            receipt = _take(session, data, key, moment)
        # Committed here, not at the end of the request: the customer is told "received" (and
        # given a private link) only once the request is durable, and a commit that fails is
        # still ours to catch and spool below, never a lost request behind a 503.
        session.commit()
        return receipt
    except IntegrityError:  # the key (the same form sent twice), or a reference drawn twice
        _rollback(session)
    except DATABASE_ERRORS as error:
        _rollback(session)
        log.warning("database cannot take a request (%s): spooling it", error)
        return Receipt.of(spool.write(data, key, moment))
    except Exception:  # noqa: BLE001 - a fault of ours after the matcher: kept all the same
        _rollback(session)
        log.exception("taking a request in failed: stored in our queue as it is")
        return _kept_as_is(session, data, key, moment)
    try:
        with bounded(session, current_app.config["INTAKE_TIMEOUT_MS"]):
            existing = deflection.find_submission(session, key)
            if existing is not None and deflection.same_submission(existing, data):
                return Receipt.of(existing)
            receipt = _take(session, data, None if existing else key, moment, draw=True)
        session.commit()
        return receipt
    except DATABASE_ERRORS as error:
        _rollback(session)
        log.warning("database cannot take a request (%s): spooling it", error)
        return Receipt.of(spool.write(data, None, moment))


def _take(
    session: Session,
    data: deflection.RequestInput,
    key: str | None,
    moment: datetime,
    *,
    draw: bool = False,
) -> Receipt:
    """The request, its match and its acknowledgement added and flushed; not committed.

    Everything that reads comes first (the allowance, the matcher), then the writes, so that on
    SQLite the write lock is held for the INSERTs and the commit only. The reference is drawn
    at random and trusted to be new (a unique constraint says otherwise, very rarely: then
    `draw` checks it first, as `deflection.store` does)."""
    told = mail.within_allowance(session, data.email.strip().lower(), moment)
    try:
        result: matching.Result | None = deflection.match(session, data, moment)
        failure = None
    except DATABASE_ERRORS:
        raise
    except Exception as error:  # noqa: BLE001 - whatever fails, the request is kept
        log.exception("matching failed for a request from %s", data.email)
        result, failure = None, error
    reference = rq.new_reference()
    while draw and _stored(session, reference):
        reference = rq.new_reference()
    stored = deflection.new_request(data, now=moment, reference=reference, submission_key=key)
    ack = _acknowledgement(stored, moment) if told else None
    session.add(stored)
    if result is not None:
        deflection.apply_match(session, stored, result, now=moment)  # flushes
    else:
        deflection.matcher_failed(session, stored, failure, now=moment)
        session.flush()
    if ack is not None:
        ack.request_id = stored.id
        session.add(ack)
    elif not told:
        log.warning("ack mail to %s not sent: over the hourly allowance", stored.email)
    receipt = Receipt.of(stored)
    session.flush()
    return receipt


def _kept_as_is(
    session: Session, data: deflection.RequestInput, key: str | None, moment: datetime
) -> Receipt:
    """The request stored in our queue without a match, then its acknowledgement on its own:
    whatever failed in `_take` (not the database) does not lose it."""
    existing = deflection.find_submission(session, key)
    if existing is not None and deflection.same_submission(existing, data):
        return Receipt.of(existing)
    stored = deflection.store(session, data, moment, submission_key=None if existing else key)
    deflection.matcher_failed(session, stored, RuntimeError("intake failed"), now=moment)
    receipt = Receipt.of(stored)
    session.commit()
    try:
        deflection.acknowledge(session, stored, now=moment)
        session.commit()
    except Exception:  # noqa: BLE001 - the acknowledgement is not worth losing the request
        _rollback(session)
        log.exception("acknowledgement failed for %s", receipt.reference)
    return receipt


def _acknowledgement(request: SupportRequest, moment: datetime):
    """The acknowledgement, rendered before the transaction takes the write lock."""
    try:
        return mail.compose(
            kind="ack",
            recipient=request.email,
            lang=request.lang,
            template="ack",
            context=deflection.mail_context(request),
            now=moment,
        )
    except Exception:  # noqa: BLE001 - the acknowledgement is not worth losing the request
        log.exception("acknowledgement failed for %s", request.reference)
        return None


def _same(first: deflection.RequestInput, second: deflection.RequestInput) -> bool:
    """The same submission: same address, same words (what a submission key deduplicates)."""
    return (
        first.email.strip().lower() == second.email.strip().lower()
        and first.subject.strip() == second.subject.strip()
        and first.message.strip() == second.message.strip()
    )


def _ingest_one(session: Session, waiting: spool.Spooled, now: datetime) -> None:
    """One transaction: stored with its reference, matched as of when it was sent, told."""
    data = waiting.input()
    if data.service_id and session.get(Component, data.service_id) is None:
        data = deflection.RequestInput(**{**data.__dict__, "service_id": None})
    key = waiting.submission_key
    if key and deflection.find_submission(session, key) is not None:
        key = None  # the form reached the database by another way too: keep both, told apart
    try:
        result = deflection.match(session, data, waiting.received_at)
        failure = None
    except Exception as error:  # noqa: BLE001 - whatever fails, the request is kept
        log.exception("matching failed for %s", waiting.reference)
        result, failure = None, error
    stored = deflection.store(
        session, data, waiting.received_at, submission_key=key, reference=waiting.reference
    )
    if result is not None:
        deflection.apply_match(session, stored, result, now=now)
    else:
        deflection.matcher_failed(session, stored, failure, now=now)
    deflection.acknowledge(session, stored, now=now)


def _stored(session: Session, reference: str) -> bool:
    return (
        session.execute(
            select(SupportRequest.id).where(SupportRequest.reference == reference)
        ).first()
        is not None
    )


#: a statement of the ingestion waiting longer (a lock held by a worker that died without the
#: server noticing) gives up: the file stays, the next round tries again
INGEST_TIMEOUT_MS = 10_000


def ingest(session: Session, now: datetime, limit: int = 500) -> int:
    """Moves spooled requests into the database; returns how many were stored.

    Each file is removed only after its request is committed; a file whose reference is
    already stored (a worker killed between the commit and the removal, or two workers) is
    only removed. Stops at the first database error: the rest waits for the next round.
    """
    spool.sweep_temporary(time.time() - 3600)
    stored = 0
    for path in spool.pending()[:limit]:
        waiting = spool.load(path)
        if waiting is None:
            continue
        try:
            with bounded(session, INGEST_TIMEOUT_MS):
                known = _stored(session, waiting.reference)
                if not known:
                    _ingest_one(session, waiting, now)
            if not known:
                session.commit()
                stored += 1
        except IntegrityError:
            _rollback(session)
            if not _stored(session, waiting.reference):  # not a second worker: keep the file
                log.exception("spool: %s could not be stored, kept in %s", waiting.reference, path)
                continue
        except DATABASE_ERRORS as error:
            _rollback(session)
            log.warning("spool: database still unavailable (%s)", error)
            return stored
        spool.remove(path)
    return stored
