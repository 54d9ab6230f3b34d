"""Real processes for the tests of a deployment: the app under gunicorn, Debian's redis-server,
each on a free loopback port and stopped by its PID."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def answers(url: str) -> bool:
    """Whether something answers at `url` (any status)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on {port}:\n{log.read_text()}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stops a process this test started, by its PID."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Instance:
    """One app instance (gunicorn) reached over HTTP, as a browser or a script would."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log
        self.url = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, *, body=None, headers=None):
        """(status, headers, body): JSON bodies are sent and read as JSON."""
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer_headers, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, error.headers, error.read()
        if answer_headers.get_content_type() == "application/json":
            return status, answer_headers, json.loads(raw)
        return status, answer_headers, raw.decode()


@contextmanager
def gunicorn(tmp_path: Path, name: str, settings: dict[str, str], *, workers: int = 1):
    """The app under gunicorn on a free port with these STATUSPAGE_* settings."""
    port = free_port()
    folder = tmp_path / name
    folder.mkdir()
    log = folder / "gunicorn.log"
    env = {
        **os.environ,
        "STATUSPAGE_SECRET_KEY": "test-secret",
        "STATUSPAGE_BASE_URL": f"http://127.0.0.1:{port}",
        "STATUSPAGE_SPOOL_DIR": str(folder / "spool"),
        "STATUSPAGE_OUTBOX_DIR": str(folder / "outbox"),
        **settings,
    }
    command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--worker-class", "gthread", "--threads", "4", "wsgi:app"]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        wait_for_port(port, process, log)
        yield Instance(process, port, log)
    finally:
        stop(process)


class Redis:
    def __init__(self, process: subprocess.Popen, port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"

    def stored_keys(self) -> list[str]:
        output = subprocess.run(
            [shutil.which("redis-cli") or "redis-cli", "-p", str(self.port), "--raw", "KEYS", "*"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return output.split()


@pytest.fixture
def redis_server(tmp_path):
    """Debian's redis-server on a free loopback port, in a folder of the test's, no persistence;
    stopped by its PID."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("Debian's redis-server is missing: `make test` installs it (make redis)")
    folder = tmp_path / "redis"
    folder.mkdir()
    port = free_port()
    log = folder / "redis.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
             "--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=output,
            stderr=output,
        )  # fmt: skip
    try:
        wait_for_port(port, process, log)
        yield Redis(process, port)
    finally:
        stop(process)
