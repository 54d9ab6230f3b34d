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
