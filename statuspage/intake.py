"""A customer's request taken in: stored first, then matched, then acknowledged by mail.

Shared by the contact form and `POST /api/v1/requests`. Neither a failing matcher nor a failing
mail loses the request; when the database itself cannot take it, the request goes to the local
spool (`statuspage.spool`) and is acknowledged from there, to be ingested by the worker.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from statuspage import spool
from statuspage.database import DATABASE_ERRORS, bounded
from statuspage.models import Component, SupportRequest
from statuspage.services import deflection

log = logging.getLogger(__name__)


def _rollback(session: Session) -> None:
    try:
        session.rollback()
    except DATABASE_ERRORS:
        log.debug("rollback failed with the database gone", exc_info=True)


def submit(
    session: Session, data: deflection.RequestInput, key: str | None, moment: datetime
) -> SupportRequest | spool.Spooled:
    """Stores the request and commits; then the matcher, then the acknowledgement.

    If the database cannot store it within `INTAKE_TIMEOUT_MS`, the request is spooled and
    the spooled copy is returned: it has a reference and a private link all the same.
    """
    key = key or None  # an empty key names no submission (two of them would collide)
    waiting = spool.find_key(key)
    if waiting is not None:  # sent again while its first copy waits for the worker
        if _same(waiting.input(), data):
            return waiting
        key = None  # a key reused for another request: never the other one's private link
    try:
        with bounded(session, current_app.config["INTAKE_TIMEOUT_MS"]):
            existing = deflection.find_submission(session, key)
            if existing is not None:
                if deflection.same_submission(existing, data):
                    return existing
                key = None
            stored = deflection.store(session, data, moment, submission_key=key)
        session.commit()
    except IntegrityError:  # the same form sent twice at once: the first one won
        _rollback(session)
        existing = deflection.find_submission(session, key)
        if existing is None:
            raise
        if deflection.same_submission(existing, data):
            return existing
        stored = deflection.store(session, data, moment, submission_key=None)
        session.commit()
    except DATABASE_ERRORS as error:
        _rollback(session)
        log.warning("database cannot take a request (%s): spooling it", error)
        return spool.write(data, key, moment)
    try:  # the usual path: matched and acknowledged in one transaction (one commit less)
        result = deflection.match(session, data, moment)
        deflection.apply_match(session, stored, result, moment)
        deflection.acknowledge(session, stored, moment)
        session.commit()
        return stored
    except Exception:  # noqa: BLE001 - the request is kept: each step again, on its own
        _rollback(session)
        log.exception("matching or acknowledging %s failed: each again alone", stored.reference)
        stored = session.get(SupportRequest, stored.id)
    try:
        result = deflection.match(session, data, moment)
        deflection.apply_match(session, stored, result, moment)
        session.commit()
    except Exception as error:  # noqa: BLE001 - whatever fails, the request is kept
        _rollback(session)
        log.exception("matching failed for %s", stored.reference)
        stored = session.get(SupportRequest, stored.id)
        deflection.matcher_failed(session, stored, moment, error)
        session.commit()
    try:
        deflection.acknowledge(session, stored, moment)
        session.commit()
    except Exception:  # noqa: BLE001 - the acknowledgement is not worth losing the request
        _rollback(session)
        log.exception("acknowledgement failed for %s", stored.reference)
        stored = session.get(SupportRequest, stored.id)
    return stored


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
        deflection.apply_match(session, stored, result, now)
    else:
        deflection.matcher_failed(session, stored, now, failure)
    deflection.acknowledge(session, stored, now)


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
