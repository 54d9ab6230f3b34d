"""Public pages under 200 connections, each measured side by side with a static file.

1. gunicorn with deploy/gunicorn.conf.py (the demo history on SQLite): `/`,
   `/api/v2/summary.json`, `/history.atom` against `/static/style.css` served by the same
   gunicorn (Flask's static route: the same workers, middleware and headers). Goal: >= 0.8x.
2. Debian's nginx with deploy/nginx.conf: the mirror's `/` (language maps, try_files, the
   security headers) against a plain `location` serving one file of the same size. Goal: 0.9x.

wrk (Debian) runs `-t2 -c200 -d10s --latency` on the same 2 cores as the servers, so only the
ratios measured in one run mean something. Prints a Markdown section for bench/RESULTS.md.

    .venv/bin/python bench/load.py [--duration 10] [--connections 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args[0]} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} never answered")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    nginx = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True).stderr.strip()
    return (
        f"{platform.platform()}, {os.cpu_count()} cores ({cpu}), Python "
        f"{platform.python_version()}, {wrk.split(' [')[0]}, {nginx.replace('nginx version: ', '')}"
        f"; load average before the run {load[0]:.1f} (the machine is shared)"
    )


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, duration: int, connections: int) -> dict:
    """One wrk run: requests/s, p50 and p99 in ms, errors."""
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {}
    for percent in ("50", "99"):
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)\b", output).groups()
        latency[percent] = float(value) * UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: (.+)", output)
    return {
        "rate": rate,
        "p50": latency["50"],
        "p99": latency["99"],
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket": sockets.group(1) if sockets else "",
        "command": " ".join(command),
    }


def row(name: str, result: dict, baseline: float | None) -> str:
    ratio = f"{result['rate'] / baseline:.2f}" if baseline else "1.00"
    errors = result["non2xx"] or ""
    if result["socket"]:
        errors = f"{errors} {result['socket']}".strip()
    return (
        f"| {name} | {result['rate']:,.0f} | {result['p50']:.1f} ms | {result['p99']:.1f} ms "
        f"| {ratio} | {errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()
    facts = machine()
    work = Path(tempfile.mkdtemp(prefix="statuspage-bench-"))
    app_port, nginx_port, plain_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "STATUSPAGE_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
        "STATUSPAGE_SECRET_KEY": "bench-secret",
        "STATUSPAGE_BASE_URL": f"http://127.0.0.1:{nginx_port}",
        "STATUSPAGE_SPOOL_DIR": str(work / "spool"),
        "STATUSPAGE_OUTBOX_DIR": str(work / "outbox"),
        "STATUSPAGE_TRUSTED_PROXIES": "1",
    }
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["init"], ["demo"], ["publish", str(work / "mirror")]):
        subprocess.run(flask + command, cwd=ROOT, env=env, check=True, capture_output=True)
    processes = []
    try:
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "deploy/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{app_port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(gunicorn)
        app = f"http://127.0.0.1:{app_port}"
        wait_for(app + "/", gunicorn)
        nginx = start_nginx(work, app_port, nginx_port, plain_port)
        processes.append(nginx)
        wait_for(f"http://127.0.0.1:{nginx_port}/", nginx)

        duration, connections = args.duration, args.connections
        pages = ("/", "/api/v2/summary.json", "/history.atom")
        for path in ("/static/style.css", *pages):  # every page rendered once, then cached
            urllib.request.urlopen(app + path, timeout=30).read()
        static = wrk(app + "/static/style.css", duration, connections)
        measured = {path: wrk(app + path, duration, connections) for path in pages}
        static_again = wrk(app + "/static/style.css", duration, connections)
        baseline = (static["rate"] + static_again["rate"]) / 2

        mirror = f"http://127.0.0.1:{nginx_port}/"
        plain = f"http://127.0.0.1:{plain_port}/plain.html"
        plain_first = wrk(plain, duration, connections)
        mirrored = wrk(mirror, duration, connections)
        plain_again = wrk(plain, duration, connections)
        nginx_baseline = (plain_first["rate"] + plain_again["rate"]) / 2
    finally:
        for process in reversed(processes):
            stop(process, signal.SIGQUIT if process.args[0].endswith("nginx") else signal.SIGTERM)
        shutil.rmtree(work, ignore_errors=True)

    size = (ROOT / "static" / "style.css").stat().st_size
    print(f"## Under {connections} connections: `bench/load.py` ({time.strftime('%Y-%m-%d')})\n")
    print(f"{facts}.\n")
    print(
        "gunicorn with `deploy/gunicorn.conf.py` (gthread, "
        f"{gunicorn_workers()} workers x 8 threads, access log to a discarded stdout), the demo "
        "history (`flask demo`) on SQLite; wrk on the same cores. The baseline is the mean of "
        f"`/static/style.css` ({size:,} bytes, Flask's static route in the same app) measured "
        "before and after the pages.\n"
    )
    print("| gunicorn | requests/s | p50 | p99 | ratio to the static file | errors |")
    print("|---|---|---|---|---|---|")
    print(row("`/static/style.css` (before)", static, baseline))
    for path, result in measured.items():
        print(row(f"`{path}`", result, baseline))
    print(row("`/static/style.css` (after)", static_again, baseline))
    print(
        "\nnginx with `deploy/nginx.conf` (the mirror: language maps, `try_files`, security "
        "headers) against a bare `location` serving one file of the same size as the mirror's "
        "`en/index.html`, in the same nginx (`worker_processes auto`, access log off).\n"
    )
    print("| nginx | requests/s | p50 | p99 | ratio to the plain file | errors |")
    print("|---|---|---|---|---|---|")
    print(row("plain file (before)", plain_first, nginx_baseline))
    print(row("the mirror's `/`", mirrored, nginx_baseline))
    print(row("plain file (after)", plain_again, nginx_baseline))
    print(f"\nEach row: `{static['command'].replace(app + '/static/style.css', 'URL')}`.")


def gunicorn_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def start_nginx(work: Path, app_port: int, port: int, plain_port: int) -> subprocess.Popen:
    """deploy/nginx.conf with this checkout's paths, and a bare server for the plain file."""
    prefix = work / "nginx"
    prefix.mkdir()
    mirror = work / "mirror"
    plain = work / "plain"
    plain.mkdir()
    (plain / "plain.html").write_bytes(b"x" * (mirror / "en" / "index.html").stat().st_size)
    server = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in (
        ("root /var/lib/statuspage/mirror;", f"root {mirror};"),
        ("/srv/statuspage/", f"{ROOT}/"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("listen [::]:80;", ""),
    ):
        if old not in server:
            sys.exit(f"deploy/nginx.conf no longer contains {old!r}: update bench/load.py")
        server = server.replace(old, new)
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"""{"user root;" if os.geteuid() == 0 else ""}
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
{temp}
{server}
    server {{
        listen 127.0.0.1:{plain_port};
        location = /plain.html {{ root {plain}; }}
    }}
}}
"""
    )
    return subprocess.Popen(
        [nginx_binary(), "-p", prefix, "-c", prefix / "nginx.conf", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
