"""What a database that is stopped, locked, slow or gone looks like, and how to wait less for it."""

from __future__ import annotations

from contextlib import contextmanager, suppress

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: what SQLAlchemy raises when the database cannot answer (refused, reset, locked, timed out)
DATABASE_ERRORS = (DBAPIError, PoolTimeout)
SQLITE_BUSY_TIMEOUT_MS = 5000  # pysqlite's default, restored after a bounded transaction


@contextmanager
def bounded(connection, timeout_ms: int):
    """The statements of the current transaction give up after `timeout_ms`: a lock held by
    someone else, or a server too slow, raises instead of making the customer wait.

    `connection` is a Connection or a Session; leave the block before committing. On
    PostgreSQL the limit ends with the transaction; on SQLite the busy timeout is restored on
    the same connection when the block ends.
    """
    dialect = connection.get_bind().dialect.name if hasattr(connection, "get_bind") else None
    if dialect is None:
        dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms):d}"))
        yield
        return
    if dialect == "sqlite":
        connection.execute(text(f"PRAGMA busy_timeout = {int(timeout_ms):d}"))
        try:
            yield
        finally:
            # a statement that failed inside (the lock waited for too long) leaves a session
            # that must roll back first: the caller's error is the one to see, not this one
            with suppress(*DATABASE_ERRORS, PendingRollbackError):
                connection.execute(text(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS:d}"))
        return
    yield


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
