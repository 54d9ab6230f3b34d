"""Ways to take the database away from a running app, for the tests of what survives that."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


class TcpProxy:
    """A TCP relay in front of PostgreSQL: `cut()` is the database server going away
    (open connections reset, new ones refused)."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.closed:
                client.close()
                return
            upstream = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        """Relays one direction; a client that dies (EOF or reset) is an EOF for the server,
        as without the relay, so the server ends its session and releases its locks."""
        with suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        self.closed = True
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (Linux)
        self.listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


def proxied(url: str) -> tuple[str, TcpProxy]:
    """A PostgreSQL URL through a fresh proxy, and the proxy."""
    parsed = make_url(url)
    proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    return parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(False), proxy


@contextmanager
def locked(url: str):
    """Another process holds the database: SQLite's exclusive lock, PostgreSQL's table lock."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connection = sqlite3.connect(parsed.database, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '10s'"))  # never wait forever in a test
        for attempt in range(20):  # a reader of the app may hold one table: a deadlock, retry
            try:
                connection.execute(
                    text(
                        "LOCK TABLE site_state, incident, component, support_request"
                        " IN ACCESS EXCLUSIVE MODE"
                    )
                )
                break
            except OperationalError:
                connection.rollback()
                if attempt == 19:
                    raise
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


@contextmanager
def sqlite_gone(url: str, engine):
    """The SQLite file can no longer be opened (a directory stands in its place)."""
    path = Path(make_url(url).database)
    aside = path.with_suffix(".aside")
    engine.dispose()
    path.rename(aside)
    path.mkdir()
    try:
        yield
    finally:
        engine.dispose()
        shutil.rmtree(path)
        aside.rename(path)


@contextmanager
def database_gone(app, url: str, proxy):
    """The app's database is out of reach inside the block: on PostgreSQL the relay is cut (for
    good), on SQLite the file cannot be opened (it is back after the block)."""
    if proxy is not None:
        proxy.cut()
        yield
        return
    from statuspage.extensions import db

    with app.app_context():
        engine = db.engine
    with sqlite_gone(url, engine):
        yield


@contextmanager
def direct(url: str):
    """A connection to the database itself, around the relay a test may have cut."""
    from tests.conftest import PG_URL

    engine = create_engine(PG_URL or url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


# -- fixtures: import them into a test module to run its app through the relay --------------


@pytest.fixture
def proxy():
    """On PostgreSQL the app reaches the server through a relay that a test can cut."""
    from tests.conftest import PG_URL

    if not PG_URL:
        return None
    url, relay = proxied(PG_URL)
    relay.url = url
    return relay


@pytest.fixture
def database_url(tmp_path, proxy):
    """Replaces conftest's: the test's own SQLite file, or PostgreSQL through the relay."""
    return proxy.url if proxy else f"sqlite:///{tmp_path / 'test.db'}"
