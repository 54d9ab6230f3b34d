"""A customer's request taken in: matched, stored and acknowledged in one transaction.

The one way in for the contact form (`views/contact.py`) and `POST /api/v1/requests`
(`views/api/support.py`). Each answers at once with a `Receipt`: the reference (the private link),
the state and the incidents proposed. A submission costs the request's own matching (the active
incidents are read and prepared once per data version: `deflection.candidates`), then the
writes of the request, its events and its acknowledgement (the address's allowance counted in
the same statement; the mail rendered later by the worker): one statement on PostgreSQL, three
INSERTs on SQLite, in a transaction shared with the other requests of the same moment and
committed once for all of them (`statuspage.group_commit`), so that a storm of requests during
an incident holds the database's write lock (SQLite) as briefly and as seldom as it can.

Nothing is lost: a failing matcher stores the request in our queue; when the database itself
cannot take the request, it goes to the local spool (`statuspage.spool`) and is acknowledged
from there, to be ingested by the worker (`ingest`). This module commits, unlike the other
services: the request must be stored before the customer is told it was received, and nothing
else in the HTTP request may undo it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache, partial
from typing import Any

from flask import current_app
from sqlalchemy import (
    JSON,
    Insert,
    Integer,
    Select,
    bindparam,
    func,
    insert,
    literal,
    select,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from statuspage import group_commit, mail, spool
from statuspage.database import DATABASE_ERRORS, bounded
from statuspage.domain import matching
from statuspage.domain import requests as rq
from statuspage.models import Component, OutboxMessage, RequestEvent, SupportRequest
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
    session: Session, data: deflection.RequestInput, key: str | None, *, now: datetime
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
        receipt = _take(session, data, key, now)
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
        return Receipt.of(spool.write(data, key, now))
    except Exception:  # noqa: BLE001 - a fault of ours after the matcher: kept all the same
        _rollback(session)
        log.exception("taking a request in failed: stored in our queue as it is")
        return _kept_as_is(session, data, key, now)
    try:
        with bounded(session, current_app.config["INTAKE_TIMEOUT_MS"]):
            existing = deflection.find_submission(session, key)
            if existing is not None and deflection.same_submission(existing, data):
                return Receipt.of(existing)
            reference = rq.new_reference()
            while _stored(session, reference):
                reference = rq.new_reference()
        receipt = _take(session, data, None if existing else key, now, reference=reference)
        session.commit()
        return receipt
    except DATABASE_ERRORS as error:
        _rollback(session)
        log.warning("database cannot take a request (%s): spooling it", error)
        return Receipt.of(spool.write(data, None, now))


def _take(
    session: Session,
    data: deflection.RequestInput,
    key: str | None,
    moment: datetime,
    *,
    reference: str | None = None,
) -> Receipt:
    """The request, its match and its acknowledgement written.

    The matcher reads nothing during an incident (the active incidents are kept per data
    version), then the writes: the request's row with its match, its two events and its
    acknowledgement, queued with the address's allowance counted in the same statement and
    rendered later by the worker (`mail.unrendered_insert`). On PostgreSQL they are one
    statement (`_intake_postgresql`), on SQLite three (`INSERT ... RETURNING id`, then the
    others with that id). Core statements built once, rather than the unit of work, run and
    committed by the process's writer with the other requests of the moment
    (`statuspage.group_commit`): a submission costs little more than the rows it stores
    (bench/RESULTS.md, the contact storm). A match that hands the request to the help desk, or
    a matcher that failed, takes the ORM's way in `session` (`_take_orm`), committed by the
    caller. On the writer's way the session's reads are committed first: never call this
    inside a `bounded` block (its connection would change under it).

    The reference is drawn at random and trusted to be new (a unique constraint says otherwise,
    very rarely: then the caller draws one checked first, as `deflection.store` does)."""
    try:
        result: matching.Result | None = deflection.match(session, data, moment)
        failure = None
    except DATABASE_ERRORS:
        raise
    except Exception as error:  # noqa: BLE001 - whatever fails, the request is kept
        log.exception("matching failed for a request from %s", data.email)
        result, failure = None, error
    reference = reference or rq.new_reference()
    row = deflection.request_values(data, now=moment, reference=reference, submission_key=key)
    timeout_ms = current_app.config["INTAKE_TIMEOUT_MS"]
    if result is None or deflection.hands_off(result):
        with bounded(session, timeout_ms):
            request_id, receipt = _take_orm(session, data, key, moment, reference, result, failure)
            mail.queue_unrendered(
                session, kind="ack", recipient=row["email"], lang=data.lang,
                request_id=request_id, now=moment,
            )  # fmt: skip
        return receipt
    fields, action, detail = deflection.match_outcome(result, now=moment)
    row.update(fields)
    params = {
        **{name: row.get(name) for name in REQUEST_COLUMNS},
        "action": action,
        "detail": detail,
        **mail.unrendered_params(kind="ack", recipient=row["email"], lang=data.lang, now=moment),
    }
    # The match's reads end here: their connection goes back to the pool before this thread
    # waits for the writer, which needs one (threads waiting with the pool's connections in
    # hand would starve it).
    session.commit()
    told = _group_commit(session).run(partial(_write, params), timeout_ms=timeout_ms)
    if not told:
        mail.log_over_allowance("ack", row["email"])
    shown = tuple(row[k] for k in ("proposed_incident_id", "alternative_incident_id") if row.get(k))
    return Receipt(reference, row["state"], data.lang, shown)


def _write(params: dict[str, Any], connection: Connection) -> bool:
    """The request's row, its two events and its acknowledgement (True: queued, within the
    address's allowance), in the writer's transaction; the same again if its batch is retried."""
    if connection.dialect.name == "postgresql":
        return connection.execute(_intake_postgresql(), params).one().told == 1
    request_id = connection.execute(_request_insert(), params).scalar_one()
    with_id = {**params, "request_id": request_id}  # params untouched: a retry starts afresh
    connection.execute(_events_by_id(), with_id)
    return connection.execute(_ack_insert(), with_id).rowcount == 1


def _group_commit(session: Session) -> group_commit.GroupCommit:
    """This process's writer of intake rows, one per app and engine."""
    engine = session.get_bind()
    writer = current_app.extensions.get("statuspage_group_commit")
    if writer is None or writer.engine is not engine:
        writer = group_commit.GroupCommit(engine)
        current_app.extensions["statuspage_group_commit"] = writer
    return writer


#: The columns the intake writes for a request (every one without a default of the database's:
#: a data-modifying CTE leaves SQLAlchemy's Python defaults out).
REQUEST_COLUMNS = (
    "reference", "kind", "state", "email", "name", "service_id", "domain", "subject", "message",
    "lang", "created_at", "updated_at", "submission_key", "proposed_incident_id",
    "proposal_score", "proposal_reasons", "proposed_at", "alternative_incident_id",
    "alternative_score", "alternative_reasons", "detached_by_staff", "still_broken",
)  # fmt: skip


def _bound(column):
    """A parameter for `column`; a JSON column's None is SQL NULL, as the ORM leaves it."""
    kind = JSON(none_as_null=True) if isinstance(column.type, JSON) else column.type
    return bindparam(column.name, type_=kind)


@cache
def _request_insert() -> Insert:
    """`INSERT INTO support_request ... RETURNING id`, every value a bound parameter (built
    once: a submission only binds its values)."""
    table = SupportRequest.__table__
    values = {name: _bound(table.c[name]) for name in REQUEST_COLUMNS}
    return insert(table).values(values).returning(table.c.id)


def _events_insert(request_id) -> Insert:
    """The request's two events in order, "received" then what the match did (`action`,
    `detail`), for the request `request_id` (a parameter, or the column of a CTE)."""
    table = RequestEvent.__table__
    both = union_all(
        select(
            request_id.label("request_id"),
            literal(1).label("n"),
            literal("received").label("action"),
            literal("").label("detail"),
        ),
        select(
            request_id,
            literal(2),
            bindparam("action", type_=table.c.action.type),
            bindparam("detail", type_=table.c.detail.type),
        ),
    ).subquery("v")
    at = bindparam("created_at", type_=table.c.at.type)
    rows = select(both.c.request_id, at, both.c.action, literal(""), both.c.detail)
    rows = rows.order_by(both.c.n)
    return insert(table).from_select(["request_id", "at", "action", "actor", "detail"], rows)


@cache
def _events_by_id() -> Insert:
    return _events_insert(bindparam("request_id", type_=Integer))


@cache
def _ack_insert() -> Insert:
    return mail.unrendered_insert(bindparam("request_id", type_=Integer))


@cache
def _intake_postgresql() -> Select:
    """The request, its events and its acknowledgement in one statement (data-modifying CTEs):
    one round trip to PostgreSQL; `told` is 1 when the acknowledgement was queued."""
    request = _request_insert().cte("r")
    events = _events_insert(request.c.id).cte("e")
    ack = mail.unrendered_insert(request.c.id).returning(OutboxMessage.__table__.c.id).cte("o")
    told = select(func.count()).select_from(ack).scalar_subquery()
    return select(request.c.id, told.label("told")).add_cte(events)


def _take_orm(
    session: Session,
    data: deflection.RequestInput,
    key: str | None,
    moment: datetime,
    reference: str,
    result: matching.Result | None,
    failure: Exception | None,
) -> tuple[int, Receipt]:
    """The request stored through the unit of work, for what the intake's INSERTs do not do:
    a hand-off to the help desk (`deflection.apply_match`), a matcher that failed."""
    stored = deflection.new_request(data, now=moment, reference=reference, submission_key=key)
    session.add(stored)
    if result is not None:
        deflection.apply_match(session, stored, result, now=moment)  # flushes
    else:
        deflection.matcher_failed(session, stored, failure or RuntimeError("no match"), now=moment)
        session.flush()
    return stored.id, Receipt.of(stored)


def _kept_as_is(
    session: Session, data: deflection.RequestInput, key: str | None, moment: datetime
) -> Receipt:
    """The request stored in our queue without a match, then its acknowledgement on its own:
    whatever failed in `_take` (not the database) does not lose it."""
    existing = deflection.find_submission(session, key)
    if existing is not None and deflection.same_submission(existing, data):
        return Receipt.of(existing)
    stored = deflection.store(session, data, now=moment, submission_key=None if existing else key)
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
        session, data, now=waiting.received_at, submission_key=key, reference=waiting.reference
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


def ingest(session: Session, *, now: datetime, limit: int = 500) -> int:
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
