"""Group commit (`statuspage.group_commit`): the writes of concurrent requests share one
transaction and one commit, and each request still gets its own outcome: its result, its own
fault, the database's refusal, or a timeout that never leaves a half-told request."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from statuspage.database import bounded
from statuspage.extensions import db
from statuspage.group_commit import GroupCommit
from statuspage.models import OutboxMessage, RequestEvent, SupportRequest

from .outage import locked
from .test_intake import WEBMAIL, webmail_outage

probes = Table(
    "group_commit_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("key", String(20), unique=True, nullable=False),
)


@pytest.fixture
def engine(app):
    with app.app_context():
        engine = db.engine
    probes.create(engine)
    yield engine
    probes.drop(engine)


def stored(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(probes.c.key)).scalars())


def adding(key: str):
    def write(connection):
        return connection.execute(insert(probes).values(key=key).returning(probes.c.id)).scalar()

    return write


def commits(engine) -> list[int]:
    counted = [0]

    def on_commit(conn):
        counted[0] += 1

    event.listen(engine, "commit", on_commit)
    return counted


def in_threads(calls) -> list:
    """Each call in its own thread, all started together; their results (or errors) in order."""
    outcomes: list = [None] * len(calls)

    def run(number, call):
        try:
            outcomes[number] = call()
        except Exception as error:  # noqa: BLE001 - the outcome under test
            outcomes[number] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    return threads, outcomes


def wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.005)


def held_writer(engine, release: threading.Event, key: str = "first"):
    """A writer busy with a first write that waits for `release`: what arrives meanwhile
    queues for the next transaction."""
    writer = GroupCommit(engine)
    started = threading.Event()

    def slow(connection):
        started.set()
        release.wait(10)
        return adding(key)(connection)

    threads, outcomes = in_threads([lambda: writer.run(slow, timeout_ms=10_000)])
    assert started.wait(10)
    return writer, threads, outcomes


def test_writes_that_wait_together_share_one_commit(engine):
    release = threading.Event()
    writer, first_thread, first = held_writer(engine, release)
    counted = commits(engine)
    calls = [lambda k=k: writer.run(adding(f"w{k}"), timeout_ms=10_000) for k in range(12)]
    threads, outcomes = in_threads(calls)
    wait_until(lambda: writer.waiting == 12)
    release.set()
    for thread in [*first_thread, *threads]:
        thread.join(10)
    assert all(isinstance(o, int) for o in [*first, *outcomes]), outcomes
    assert len(set(outcomes)) == 12  # each its own row's id
    assert stored(engine) == sorted(["first", *(f"w{k}" for k in range(12))])
    assert counted[0] == 2  # the first write's transaction, then the twelve's
    assert (writer.batches, writer.written) == (2, 13)


def test_a_faulty_write_fails_alone_and_the_others_are_written_in_one_commit(engine):
    writer = GroupCommit(engine)
    writer.run(adding("taken"), timeout_ms=5000)
    release = threading.Event()
    writer, first_thread, _ = held_writer(engine, release)
    counted = commits(engine)
    keys = ["a", "taken", "b", "c"]  # "taken" breaks the unique key: the batch is rolled back
    threads, outcomes = in_threads(
        [lambda k=k: writer.run(adding(k), timeout_ms=10_000) for k in keys]
    )
    wait_until(lambda: writer.waiting == 4)
    release.set()
    for thread in [*first_thread, *threads]:
        thread.join(10)
    assert isinstance(outcomes[1], IntegrityError)
    assert all(isinstance(outcomes[n], int) for n in (0, 2, 3)), outcomes
    assert stored(engine) == ["a", "b", "c", "first", "taken"]
    assert counted[0] == 2  # the first write's, then the three others' together


def test_a_batch_written_again_lets_go_of_the_requests_past_their_deadline(engine):
    """A batch rolled back for one request's fault is written again, but not for a request
    whose time is up: that one is told the database could not take it (its caller spools
    it), so its customer waits about their timeout, and the request is not written too."""
    writer = GroupCommit(engine)
    writer.run(adding("taken"), timeout_ms=5000)
    release = threading.Event()
    writer, first_thread, _ = held_writer(engine, release)

    def slow(connection):
        time.sleep(1.2)  # past the deadline below by the time the batch is written again
        return adding("slow")(connection)

    started = time.monotonic()
    threads, outcomes = in_threads(
        [
            lambda: writer.run(slow, timeout_ms=1000),
            lambda: writer.run(adding("taken"), timeout_ms=1000),
        ]
    )
    wait_until(lambda: writer.waiting == 2)
    release.set()
    for thread in [*first_thread, *threads]:
        thread.join(10)
    assert isinstance(outcomes[0], PoolTimeout), outcomes
    assert isinstance(outcomes[1], IntegrityError), outcomes
    assert time.monotonic() - started < 5
    assert stored(engine) == ["first", "taken"]


def test_a_conflict_between_two_processes_batches_is_written_again(app, engine, database_url):
    """Two processes' batches each write first a key that the other's batch repeats (two
    customers' forms sent twice, the copies in opposite order): PostgreSQL's deadlock detector
    cancels one batch. That is no outage: written again, its copies are told their key is
    taken (the intake answers with the first copy) and the other requests are stored."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: no two batches can wait for each other")
    other = create_engine(database_url)  # the other process's pool
    both_wrote = threading.Barrier(2)

    def first(key: str):
        waited = []

        def write(connection):
            added = adding(key)(connection)
            if not waited:  # only the first time: a batch written again does not wait
                waited.append(True)
                both_wrote.wait(10)
            return added

        return write

    release = threading.Event()
    ours, held, _ = held_writer(engine, release)
    theirs, also_held, _ = held_writer(other, release, key="other first")
    calls = [
        lambda: ours.run(first("A"), timeout_ms=10_000),
        lambda: ours.run(adding("i1"), timeout_ms=10_000),
        lambda: ours.run(adding("B"), timeout_ms=10_000),
        lambda: theirs.run(first("B"), timeout_ms=10_000),
        lambda: theirs.run(adding("i2"), timeout_ms=10_000),
        lambda: theirs.run(adding("A"), timeout_ms=10_000),
    ]
    threads, outcomes = [], []
    for queued, call in enumerate(calls, start=1):  # in this order in each process
        started, outcome = in_threads([call])
        threads += started
        outcomes.append(outcome)
        wait_until(lambda n=queued: ours.waiting + theirs.waiting == n)
    release.set()
    for thread in [*held, *also_held, *threads]:
        thread.join(30)
    other.dispose()
    answers = [outcome[0] for outcome in outcomes]
    assert not [a for a in answers if isinstance(a, OperationalError)], answers
    assert sum(isinstance(a, IntegrityError) for a in answers) == 2, answers
    assert stored(engine) == ["A", "B", "first", "i1", "i2", "other first"]


@contextmanager
def probes_locked(engine, database_url: str):
    """Another process holds the table: SQLite's whole file, PostgreSQL's table lock."""
    if engine.dialect.name == "sqlite":
        with locked(database_url):
            yield
        return
    with engine.connect() as connection:
        connection.execute(text("LOCK TABLE group_commit_probe IN ACCESS EXCLUSIVE MODE"))
        yield
        connection.rollback()


def test_a_database_that_cannot_answer_fails_every_write_within_its_timeout(engine, database_url):
    writer = GroupCommit(engine)
    with probes_locked(engine, database_url):
        started = time.monotonic()
        threads, outcomes = in_threads(
            [lambda k=k: writer.run(adding(f"l{k}"), timeout_ms=300) for k in range(3)]
        )
        for thread in threads:
            thread.join(10)
        waited = time.monotonic() - started
    assert all(isinstance(o, OperationalError | PoolTimeout) for o in outcomes), outcomes
    assert waited < 5  # bounded by the timeout, not by the lock
    assert stored(engine) == []
    assert writer.run(adding("after"), timeout_ms=5000)  # and the writer goes on
    assert stored(engine) == ["after"]


def test_a_write_that_waited_too_long_is_withdrawn_never_written(engine):
    release = threading.Event()
    writer, first_thread, _ = held_writer(engine, release)
    with pytest.raises(PoolTimeout):
        writer.run(adding("late"), timeout_ms=200)
    assert writer.waiting == 0
    release.set()
    first_thread[0].join(10)
    writer.run(adding("next"), timeout_ms=5000)
    assert stored(engine) == ["first", "next"]  # "late" was told to spool: not written too


def test_concurrent_submissions_are_each_stored_once_with_their_events_and_mail(
    app, data, clock, components
):
    """The contact API hit by twenty customers at once during an incident: each gets its own
    reference, and each request is stored once with its two events and its acknowledgement."""
    incident_id = webmail_outage(
        data, clock, components, started_at=clock.now - timedelta(minutes=5)
    )

    def send(number: int):
        response = app.test_client().post(
            "/api/v1/requests",
            json={
                "email": f"c{number}@example.com",
                "lang": "fr" if number % 2 else "en",
                "submission_key": f"key-{number}",
                **WEBMAIL,
            },
            environ_base={"REMOTE_ADDR": f"192.0.2.{number + 1}"},  # twenty customers
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    threads, answers = in_threads([lambda n=n: send(n) for n in range(20)])
    for thread in threads:
        thread.join(30)
    assert all(isinstance(a, dict) for a in answers), answers
    assert {a["proposal"] for a in answers} == {incident_id}
    with data() as session:
        rows = session.execute(select(SupportRequest.reference, SupportRequest.id)).all()
        assert sorted(r for r, _ in rows) == sorted(a["reference"] for a in answers)
        events = session.execute(
            select(RequestEvent.request_id, func.count()).group_by(RequestEvent.request_id)
        ).all()
        assert sorted(n for _, n in events) == [2] * 20
        acks = session.execute(
            select(OutboxMessage.request_id).where(OutboxMessage.kind == "ack")
        ).scalars()
        assert sorted(acks) == sorted(i for _, i in rows)


def current_limit(connection) -> str:
    if connection.dialect.name == "postgresql":
        return connection.execute(text("SHOW statement_timeout")).scalar()
    return str(connection.execute(text("PRAGMA busy_timeout")).scalar())


def test_a_bounded_block_gives_the_connection_its_own_limit_back(app):
    """`database.bounded` limits the waits of the statements inside it only: after the block,
    the same transaction waits as the connection was set to (a staff action whose match had
    to read keeps no 2 s limit); a block inside another keeps the outer limit."""
    with app.app_context():
        session = db.session
        own = current_limit(session.connection())
        with bounded(session, 1234):
            inner = current_limit(session.connection())
            with bounded(session, 50):  # a service bounding its reads, inside the caller's bound
                nested = current_limit(session.connection())
        after = current_limit(session.connection())
        session.rollback()
    assert inner in ("1234", "1234ms")
    assert nested == inner
    assert after == own
