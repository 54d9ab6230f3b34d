"""A contact storm during an incident: N submissions from C clients through
`POST /api/v1/requests`, one gunicorn worker killed (SIGKILL) in the middle.

- gunicorn with deploy/gunicorn.conf.py, rate limits off (every client is 127.0.0.1), a
  critical Webmail incident opened through the staff API;
- C clients (4 processes of C/4 threads, keep-alive connections) send N requests, each with
  its own `submission_key`; a client whose connection breaks (the killed worker) sends the same
  request again with the same key, as a browser resubmits; an answer 201 (stored) or 202
  (spooled) with a reference is an acknowledgement;
- when half are acknowledged, one worker process gets SIGKILL (gunicorn starts another);
- then gunicorn stops, `flask worker --once` ingests the spool, and every acknowledged
  reference is looked up among the stored rows: lost = acknowledged and not stored;
- the baseline: the same clients and bodies against bench/minimal_app.py (one row inserted in
  the same database, same gunicorn configuration), no kill.

    .venv/bin/python bench/storm.py                                  # SQLite
    tests/with-postgres.sh .venv/bin/python bench/storm.py           # PostgreSQL
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROCESSES = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} never answered")


def body(number: int) -> bytes:
    lang = "fr" if number % 3 == 0 else "en"
    message = (
        "Je n'arrive plus à me connecter au webmail depuis 10h, erreur à la connexion."
        if lang == "fr"
        else "I cannot log in to webmail since 10:00, it says server error."
    )
    return json.dumps(
        {
            "email": f"customer{number}@example.com",
            "name": f"Customer {number}",
            "subject": "Webmail",
            "message": message,
            "lang": lang,
            "submission_key": f"storm-{number:06d}",
        }
    ).encode()


_counter = None


def _share(counter) -> None:
    global _counter
    _counter = counter


def client_process(args) -> tuple[list[str], int, int, int]:
    """One process of clients: (acknowledged references, spooled, retries, given up, retries
    after a 5xx)."""
    port, path, numbers, threads = args
    acknowledged_counter = _counter
    acknowledged: list[str] = []
    counts = {"spooled": 0, "retries": 0, "failed": 0, "5xx": 0}
    lock = threading.Lock()
    chunks = [numbers[i::threads] for i in range(threads)]

    def run(chunk: list[int]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for number in chunk:
            payload = body(number)
            for attempt in range(10):
                try:
                    connection.request(
                        "POST", path, body=payload, headers={"Content-Type": "application/json"}
                    )
                    response = connection.getresponse()
                    answer = response.read()
                    if response.status in (201, 202):
                        reference = json.loads(answer)["reference"]
                        with lock:
                            acknowledged.append(reference)
                            counts["spooled"] += response.status == 202
                        with acknowledged_counter.get_lock():
                            acknowledged_counter.value += 1
                        break
                    if response.status < 500:
                        raise RuntimeError(f"{response.status}: {answer[:200]!r}")
                    with lock:
                        counts["5xx"] += 1
                except (OSError, http.client.HTTPException):
                    connection.close()  # the worker died under it: a new connection
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    counts["retries"] += 1
                time.sleep(0.05 * (attempt + 1))
            else:
                with lock:
                    counts["failed"] += 1
        connection.close()

    workers = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return acknowledged, counts["spooled"], counts["retries"], counts["failed"], counts["5xx"]


def storm(port: int, path: str, requests: int, clients: int, kill_master: int | None):
    """Sends the storm; with `kill_master`, SIGKILLs one of its workers at half-way."""
    counter = multiprocessing.Value("i", 0)
    per_process = [list(range(requests))[i::PROCESSES] for i in range(PROCESSES)]
    killed = None
    started = time.monotonic()
    with multiprocessing.Pool(PROCESSES, initializer=_share, initargs=(counter,)) as pool:
        pending = pool.map_async(
            client_process,
            [(port, path, numbers, clients // PROCESSES) for numbers in per_process],
        )
        while not pending.ready():
            if kill_master and killed is None and counter.value >= requests // 2:
                killed = kill_one_worker(kill_master)
            time.sleep(0.01)
        results = pending.get()
    elapsed = time.monotonic() - started
    acknowledged = [reference for result in results for reference in result[0]]
    return {
        "acknowledged": acknowledged,
        "spooled": sum(r[1] for r in results),
        "retries": sum(r[2] for r in results),
        "5xx": sum(r[4] for r in results),
        "failed": sum(r[3] for r in results),
        "elapsed": elapsed,
        "rate": len(acknowledged) / elapsed,
        "killed": killed,
    }


def kill_one_worker(master: int) -> int:
    """SIGKILL to the busiest worker of this gunicorn master (by PID, read from /proc: the
    one that used the most CPU, so requests are surely in flight on it)."""
    children = [int(c) for c in Path(f"/proc/{master}/task/{master}/children").read_text().split()]

    def cpu(pid: int) -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    victim = max(children, key=cpu)
    os.kill(victim, signal.SIGKILL)
    return victim


def gunicorn(env: dict, port: int, *target: str, log: Path | None = None) -> subprocess.Popen:
    """gunicorn as deployed; its error log (tracebacks) into `log`, the access log discarded."""
    command = [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", *target]
    errors = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def open_incident(url: str, token: str) -> None:
    def call(method: str, path: str, payload=None):
        request = urllib.request.Request(
            url + path,
            data=json.dumps(payload).encode() if payload is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    components = call("GET", "/api/v1/components")["components"]
    webmail = next(c["id"] for c in components if c["name"] == "Webmail")
    call(
        "POST",
        "/api/v1/incidents",
        {
            "name": "Webmail login failures",
            "status": "investigating",
            "impact": "critical",
            "body": "Customers cannot sign in to webmail: **server error** at login.",
            "components": {webmail: "major_outage"},
            "keywords": ["webmail", "login"],
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="statuspage-storm-"))
    url = os.environ.get("STATUSPAGE_TEST_DATABASE_URL") or f"sqlite:///{work / 'storm.db'}"
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    port = free_port()
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": url,
        "STATUSPAGE_SECRET_KEY": "bench-secret",
        "STATUSPAGE_BASE_URL": f"http://127.0.0.1:{port}",
        "STATUSPAGE_SPOOL_DIR": str(work / "spool"),
        "STATUSPAGE_OUTBOX_DIR": str(work / "outbox"),
        "STATUSPAGE_RATELIMIT_ENABLED": "0",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "init"], cwd=ROOT, env=env, check=True, capture_output=True)
    token = subprocess.run(
        [*flask, "token", "create", "--name", "bench", "--role", "responder"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    engine = create_engine(url)
    try:
        # the baseline first: one row per request, same database, same gunicorn
        create = "import minimal_app; minimal_app.create()"
        subprocess.run([sys.executable, "-c", create], cwd=ROOT / "bench", env=env, check=True)
        load_before_baseline = os.getloadavg()[0]
        server = gunicorn(env, port, "--pythonpath", "bench", "minimal_app:app")
        try:
            wait_for(f"http://127.0.0.1:{port}/insert", server)
            baseline = storm(port, "/insert", args.requests, args.clients, None)
        finally:
            stop(server)
        with engine.connect() as connection:
            baseline_rows = connection.execute(text("SELECT count(*) FROM bench_row")).scalar()

        load_before_app = os.getloadavg()[0]
        server = gunicorn(env, port, "wsgi:app", log=work / "gunicorn.log")
        try:
            wait_for(f"http://127.0.0.1:{port}/", server)
            open_incident(f"http://127.0.0.1:{port}", token)
            result = storm(port, "/api/v1/requests", args.requests, args.clients, server.pid)
        finally:
            stop(server)
        spooled_files = len(list((work / "spool").glob("*.json")))
        started = time.monotonic()
        rounds = 0  # a round ingests 500 files at most: as many rounds as the spool needs
        while rounds == 0 or (list((work / "spool").glob("*.json")) and rounds < 100):
            subprocess.run([*flask, "worker", "--once"], cwd=ROOT, env=env, check=True)
            rounds += 1
        ingest = time.monotonic() - started
        with engine.connect() as connection:
            stored = set(
                connection.execute(text("SELECT reference FROM support_request")).scalars()
            )
            attached = connection.execute(
                text("SELECT count(*) FROM support_request WHERE incident_id IS NOT NULL")
            ).scalar()
            proposed = connection.execute(
                text("SELECT count(*) FROM support_request WHERE proposed_incident_id IS NOT NULL")
            ).scalar()
            queued = connection.execute(
                text(
                    "SELECT detail, count(*) FROM request_event WHERE action = 'queued' "
                    "GROUP BY detail ORDER BY count(*) DESC"
                )
            ).all()
        server_log = (work / "gunicorn.log").read_text(errors="replace")
    finally:
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)

    acknowledged = set(result["acknowledged"])
    lost = acknowledged - stored
    print(f"### {database}: {args.requests:,} requests from {args.clients} clients\n")
    print(
        f"{platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average (1 min) before the baseline {load_before_baseline:.1f}, before the "
        f"app {load_before_app:.1f}, after both {os.getloadavg()[0]:.1f}.\n"
    )
    print(
        "| | acknowledged | stored | lost | spooled (202) | retries (after a 5xx) | given up "
        "| time "
        "| per second | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| minimal route (one INSERT) | {len(baseline['acknowledged']):,} | {baseline_rows:,} "
        f"| - | - | {baseline['retries']} ({baseline['5xx']}) | {baseline['failed']} "
        f"| {baseline['elapsed']:.1f} s "
        f"| {baseline['rate']:,.0f} | 1.00 |"
    )
    print(
        f"| `POST /api/v1/requests`, worker {result['killed']} killed at half-way "
        f"| {len(acknowledged):,} | {len(acknowledged & stored):,} | {len(lost)} "
        f"| {result['spooled']} | {result['retries']} ({result['5xx']}) | {result['failed']} "
        f"| {result['elapsed']:.1f} s | {result['rate']:,.0f} "
        f"| {result['rate'] / baseline['rate']:.2f} |"
    )
    print(
        f"\nStored rows in all: {len(stored):,} (a request sent again after the kill is one "
        f"request: its submission key); {proposed:,} proposed the incident, {attached:,} "
        f"attached. {spooled_files} spooled files left when gunicorn stopped, ingested by "
        f"{rounds} `flask worker --once` in {ingest:.1f} s."
    )
    if queued:
        print("\nQueued instead of proposed: " + "; ".join(f"{n:,} {d}" for d, n in queued) + ".")
    tracebacks = server_log.count("Traceback (most recent call last)")
    if tracebacks:
        first = server_log.index("Traceback (most recent call last)")
        print(f"\n{tracebacks} tracebacks in gunicorn's log; the first:\n```\n")
        print(server_log[first : first + 3000] + "\n```")
    if lost:
        print(f"\nLOST: {sorted(lost)[:20]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
