"""What a database that is stopped, locked, slow or gone looks like, and how to wait less for it."""

from __future__ import annotations

from contextlib import contextmanager, suppress
from functools import partial

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: what SQLAlchemy raises when the database cannot answer (refused, reset, locked, timed out)
DATABASE_ERRORS = (DBAPIError, PoolTimeout)
SQLITE_BUSY_TIMEOUT_MS = 5000  # pysqlite's default, for a connection opened elsewhere


#: the busy timeout a connection was opened with (`init_app`), in its pool record's `info`
SQLITE_TIMEOUT_KEY = "statuspage_busy_timeout_ms"
#: a PostgreSQL connection's own statement timeout (`init_app`; the worker's sets its own)
POSTGRESQL_TIMEOUT_KEY = "statuspage_statement_timeout_ms"
#: the limit of the `bounded` block a connection is in, if any
_BOUND_KEY = "statuspage_bounded_ms"


@contextmanager
def bounded(connection, timeout_ms: int):
    """The statements of the current transaction give up after `timeout_ms`: a lock held by
    someone else, or a server too slow, raises instead of making the customer wait.

    `connection` is a Connection or a Session; leave the block before committing. The
    connection's own limit is back when the block ends (PostgreSQL's statement timeout, SQLite's
    busy timeout); on SQLite the block costs no statement when its limit is the one the
    connection was opened with (`init_app`). Inside another `bounded` block, the outer limit
    holds (a service bounding its own reads, called by one that bounds a whole transaction).
    """
    on = connection.connection() if hasattr(connection, "get_bind") else connection
    info = on.info
    if info.get(_BOUND_KEY) is not None:
        yield
        return
    info[_BOUND_KEY] = timeout_ms
    try:
        dialect = on.dialect.name
        if dialect == "postgresql":  # back to the connection's own limit after the block
            on.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms):d}"))
            try:
                yield
            finally:
                with suppress(*DATABASE_ERRORS, PendingRollbackError):
                    base = int(info.get(POSTGRESQL_TIMEOUT_KEY, 0))
                    on.execute(text(f"SET LOCAL statement_timeout = {base:d}"))
            return
        base = info.get(SQLITE_TIMEOUT_KEY, SQLITE_BUSY_TIMEOUT_MS)
        if dialect != "sqlite" or timeout_ms == base:
            yield
            return
        on.execute(text(f"PRAGMA busy_timeout = {int(timeout_ms):d}"))
        try:
            yield
        finally:
            # a statement that failed inside (the lock waited for too long) leaves a session
            # that must roll back first: the caller's error is the one to see, not this one
            with suppress(*DATABASE_ERRORS, PendingRollbackError):
                on.execute(text(f"PRAGMA busy_timeout = {int(base):d}"))
    finally:
        info.pop(_BOUND_KEY, None)


def _postgresql_timeout(dbapi_connection, record) -> None:
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = 'statement_timeout'")
        record.info[POSTGRESQL_TIMEOUT_KEY] = int(cursor.fetchone()[0])
    dbapi_connection.rollback()


def _sqlite_busy_timeout(timeout_ms: int, dbapi_connection, record) -> None:
    dbapi_connection.execute(f"PRAGMA busy_timeout = {int(timeout_ms):d}")
    record.info[SQLITE_TIMEOUT_KEY] = timeout_ms


# -- one transaction per request ---------------------------------------------------------------


def init_app(app) -> None:
    """Commit once per request, in one place: views and services only flush.

    A response under 400 (pages, redirects after a POST, JSON answers) commits what the request
    did; an error response rolls it back, and so does a request that ended on an exception
    (its 500 is an error response too). A commit that fails is handled like the same error
    raised in a view: the database not answering is a 503, a row changed by someone else at the
    same moment a 409 (`errors.py`), never a 200 for work that was not saved.

    Registered after every other `after_request` hook of the app, so it runs before them: the
    security headers and the language cookie also go on the response of a failed commit.
    Two places keep a commit of their own, each saying why: the intake of a customer request
    (`services.intake`, durable before it is acknowledged) and the sign-in throttle.
    """
    from flask import request, session

    from statuspage.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        # Every statement of the app waits for SQLite's write lock as long as a customer's
        # request may (then it is spooled): the intake's bound then costs no statement.
        event.listen(
            engine, "connect", partial(_sqlite_busy_timeout, app.config["INTAKE_TIMEOUT_MS"])
        )
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "connect", _postgresql_timeout)

    @app.after_request
    def _end_transaction(response):
        work = db.session
        if response.status_code >= 400 or not work.is_active:
            with suppress(*DATABASE_ERRORS):
                work.rollback()
            return response
        try:
            work.commit()
        except Exception as error:  # the handlers of errors.py answer for it, as for a view's
            with suppress(*DATABASE_ERRORS):
                work.rollback()
            app.logger.warning("commit failed for %s %s: %s", request.method, request.path, error)
            session.pop("_flashes", None)  # "saved" said by the view: it was not
            return app.make_response(app.handle_user_exception(error))
        return response
