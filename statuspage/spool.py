"""Requests the database could not take, kept on this machine's disk until it can.

When the contact form or `POST /api/v1/requests` cannot store a request (the database stopped,
locked or too slow), the request is written here, one file per request, and only then
acknowledged: written to a temporary file, fsynced, renamed into place and the folder fsynced,
so a request acknowledged is on disk even if the machine stops the next instant. The worker
(`flask --app wsgi worker`) ingests the folder as soon as the database answers: each file is
stored, matched and acknowledged by mail in one transaction, then removed; a file whose
reference is already stored (a worker killed between the two) is only removed.

The reference is decided here and kept: the customer's private link works before and after.
A form sent twice (same submission key) gets the same reference, never two requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from statuspage.domain import requests as rq

log = logging.getLogger(__name__)
REFERENCE = re.compile(r"^REQ-[" + rq.REFERENCE_ALPHABET + r"]{6}$")


@dataclass(frozen=True)
class Spooled:
    """A request acknowledged but not yet in the database: what its private page can show."""

    reference: str
    received_at: datetime
    lang: str
    email: str
    subject: str
    message: str
    submission_key: str | None = None
    name: str = ""
    service_id: str | None = None
    domain: str | None = None
    kind: str = rq.RequestKind.TICKET.value
    state: rq.RequestState = rq.RequestState.RECEIVED
    spooled: bool = True

    def input(self):
        from statuspage.services.deflection import RequestInput

        return RequestInput(
            email=self.email,
            name=self.name,
            service_id=self.service_id,
            domain=self.domain,
            subject=self.subject,
            message=self.message,
            lang=self.lang,
        )


def folder() -> Path:
    return Path(current_app.config["SPOOL_DIR"])


def reference_for_key(key: str) -> str:
    """The reference of a form's submission key: the same form sent twice, the same request."""
    digest = hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"spool:" + key.encode(), hashlib.sha256
    ).digest()
    alphabet = rq.REFERENCE_ALPHABET
    return "REQ-" + "".join(alphabet[b % len(alphabet)] for b in digest[:6])


def _fsync_folder(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(data, key: str | None, received_at: datetime, kind: str = "ticket") -> Spooled:
    """Writes the request durably; returns what to acknowledge. Raises OSError if the disk
    cannot take it either (then nothing is acknowledged)."""
    where = folder()
    where.mkdir(parents=True, exist_ok=True)
    reference = reference_for_key(key) if key else rq.new_reference()
    target = where / f"{reference}.json"
    if target.exists():
        existing = load(target)
        if existing is not None:
            return existing
    spooled = Spooled(
        reference=reference,
        received_at=received_at,
        lang=data.lang,
        email=data.email,
        subject=data.subject,
        message=data.message,
        submission_key=key,
        name=data.name,
        service_id=data.service_id,
        domain=data.domain,
        kind=kind,
    )
    record = {k: v for k, v in asdict(spooled).items() if k not in ("state", "spooled")}
    record["received_at"] = received_at.isoformat()
    body = json.dumps(record, ensure_ascii=False).encode()
    temporary = where / f".{reference}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, target)
    _fsync_folder(where)
    log.warning("database unavailable: request %s spooled to %s", reference, target)
    return spooled


def load(path: Path) -> Spooled | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    record["received_at"] = datetime.fromisoformat(record["received_at"])
    return Spooled(**record)


def find(reference: str) -> Spooled | None:
    """The spooled request with this reference, if this machine holds it."""
    if not REFERENCE.match(reference):
        return None
    return load(folder() / f"{reference}.json")


def find_key(key: str | None) -> Spooled | None:
    return find(reference_for_key(key)) if key else None


def pending() -> list[Path]:
    """The spooled requests, oldest first."""
    where = folder()
    if not where.is_dir():
        return []
    files = [p for p in where.iterdir() if p.suffix == ".json" and REFERENCE.match(p.stem)]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _fsync_folder(path.parent)


def sweep_temporary(older_than: float) -> int:
    """Removes temporary files left by a process killed while writing (never acknowledged)."""
    where = folder()
    if not where.is_dir():
        return 0
    count = 0
    for path in where.glob(".*.tmp"):
        try:
            if path.stat().st_mtime < older_than:
                path.unlink()
                count += 1
        except FileNotFoundError:
            continue
    return count
