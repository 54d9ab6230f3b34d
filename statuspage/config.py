"""Configuration: defaults, then `STATUSPAGE_*` environment variables, then the test mapping."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from statuspage.domain.ids import ALPHABET
from statuspage.domain.localtime import zone
from statuspage.domain.texts import LANGUAGES
from statuspage.domain.webhooks import url_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": None,  # SQLAlchemy URL; None: SQLite file under instance/
    "SECRET_KEY": None,  # None: generated once into instance/secret_key
    "BASE_URL": "http://127.0.0.1:8000",  # absolute links in feeds and mail
    "SITE_NAME": "",  # empty: the name of content/site.md, else "Status"
    "CARD_FONT": "",  # TrueType font of the og:image cards; empty: Debian's DejaVu Sans or Noto
    "CARD_FONT_BOLD": "",  # its bold face; empty: Debian's, else the regular one
    "DEFAULT_LANGUAGE": "en",  # en or fr: when neither ?lang=, cookie nor browser says
    "TIMEZONE": "Europe/Paris",  # IANA zone of the times people read and type (pages, mail)
    "CONTENT_DIR": str(PROJECT_ROOT / "content"),
    "PAGE_CACHE_SECONDS": 60,  # longest life of a rendered public page when nothing changes
    "PAGE_CACHE_ENTRIES": 512,  # rendered pages kept per process
    "DATA_VERSION_INTERVAL": 1.0,  # seconds between two reads of the data version per process
    "DATA_VERSION_TIMEOUT_MS": 250,  # past this, the version read gives up: last good pages
    "RENDER_TIMEOUT_MS": 3000,  # a render waiting longer on the database serves the last good
    "DATABASE_CONNECT_TIMEOUT": 3,  # seconds to reach PostgreSQL before giving up
    "HTTP_MAX_AGE": 10,  # Cache-Control max-age for public pages (CDN, browsers)
    "HISTORY_PAGE_SIZE": 3,  # months per page of /history
    "STAFF_SESSION_HOURS": 12,  # a console session ends after this long
    "PAGE_ID": None,  # Statuspage page id in the APIs; None: derived from BASE_URL
    "SMTP_URL": "",  # smtp://user:pass@host:587 (STARTTLS), smtps://host:465; empty: .eml files
    "MAIL_FROM": "Status <status@localhost>",
    "MAIL_PER_ADDRESS_HOUR": 5,  # acknowledgements and confirmations one address gets an hour
    "OUTBOX_DIR": None,  # where .eml files go without SMTP; None: instance/outbox
    "WEBHOOK_ALLOW_PRIVATE": False,  # allow webhooks to loopback and private addresses
    # the company's help desk: requests that end in our queue are handed off there
    "HELPDESK_EMAIL": "",  # one mail per request, Reply-To the customer
    "HELPDESK_WEBHOOK": "",  # the same as signed JSON
    "HELPDESK_WEBHOOK_SECRET": "",  # signs the webhook's body (HMAC-SHA256); required with it
    # the help desk's webhook may be on our own network (an in-house Zammad or osTicket): the
    # operator's address, trusted alone, without opening the staff's webhooks to it
    "HELPDESK_WEBHOOK_ALLOW_PRIVATE": False,
    "HELPDESK_LANGUAGE": "",  # en or fr, the language of the handoff mail; empty: the default
    "PUBLISH_DIR": "",  # the static mirror (`flask publish`): a cold process serves from it
    "WORKER_STATEMENT_TIMEOUT_MS": 30000,  # a worker's statement waiting longer gives up
    "SPOOL_DIR": None,  # requests the database could not take; None: instance/spool
    "INTAKE_TIMEOUT_MS": 2000,  # a request waits this long for the database, then is spooled
    "MATCH_MODEL": "",  # the matcher's model file; empty: the committed artifact
    # the matcher proposes an incident from this probability; empty: the model's own threshold,
    # chosen at training (`make train-matcher`)
    "MATCH_PROPOSAL_THRESHOLD": "",
    "MATCH_HIGH_THRESHOLD": 0.8,  # an unanswered proposal is attached only from this score
    "SWEEP_HOURS": 6,  # how far before an incident the console looks for matching requests
    "MAX_REQUEST_BYTES": 1024 * 1024,  # larger request bodies are refused (413)
    # proxies in front of the app (nginx, a load balancer) whose X-Forwarded-For and
    # X-Forwarded-Proto are trusted; 0: the client is the connection's peer
    "TRUSTED_PROXIES": 0,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URL": "memory://",  # e.g. redis://host:6379 to share limits
    "RATELIMIT_MATCH": "60 per minute",  # POST /api/v1/requests/match, per client address
    "RATELIMIT_SUBMIT": "10 per minute",  # new requests (form and API), per client address
}


def _coerce(value: str, default: Any) -> Any:
    if isinstance(default, bool):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


class MissingSecretKey(RuntimeError):
    """Started for real without a key: each host would make its own, and behind a load balancer
    private links and forms signed by one would fail on the others."""

    def __init__(self) -> None:
        super().__init__(
            "no secret key: set STATUSPAGE_SECRET_KEY (the same on every instance), "
            "or run `flask --app wsgi init` once to generate instance/secret_key"
        )


def load(
    instance_path: Path,
    test_config: dict[str, Any] | None = None,
    *,
    debug: bool = False,
    allow_missing_secret: bool = False,
) -> dict[str, Any]:
    """The settings; without a secret key configured or generated by `flask init`, refuses
    unless debugging or testing (a key is then generated into the instance folder) or
    `allow_missing_secret` (the command line, so that `flask init` can generate it)."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        env = os.environ.get(f"STATUSPAGE_{key}")
        if env is not None and env != "":
            settings[key] = _coerce(env, default)
    if test_config:
        settings.update(test_config)

    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{instance_path / 'statuspage.db'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = read_secret(instance_path)
    if not settings["SECRET_KEY"]:
        if debug or settings.get("TESTING"):
            settings["SECRET_KEY"] = generate_secret(instance_path)
        elif not allow_missing_secret:
            raise MissingSecretKey
    if settings["DEFAULT_LANGUAGE"] not in LANGUAGES:
        raise ValueError("STATUSPAGE_DEFAULT_LANGUAGE must be 'en' or 'fr'")
    settings["BASE_URL"] = settings["BASE_URL"].rstrip("/")
    _check_helpdesk(settings)
    threshold = settings["MATCH_PROPOSAL_THRESHOLD"]
    settings["MATCH_PROPOSAL_THRESHOLD"] = float(threshold) if threshold not in ("", None) else None

    if not settings["PAGE_ID"]:
        digest = hashlib.sha256(settings["BASE_URL"].encode()).digest()
        settings["PAGE_ID"] = "".join(ALPHABET[b % len(ALPHABET)] for b in digest[:12])
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings["STAFF_SESSION_HOURS"])
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_SECURE"] = settings["BASE_URL"].startswith("https://")
    settings["REMEMBER_COOKIE_HTTPONLY"] = True
    settings["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    settings["REMEMBER_COOKIE_SECURE"] = settings["SESSION_COOKIE_SECURE"]
    settings["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    if not settings["OUTBOX_DIR"]:
        settings["OUTBOX_DIR"] = str(instance_path / "outbox")
    if not settings["SPOOL_DIR"]:
        settings["SPOOL_DIR"] = str(instance_path / "spool")
    settings["RATELIMIT_STORAGE_URI"] = settings["RATELIMIT_STORAGE_URL"]
    if settings["RATELIMIT_STORAGE_URL"].startswith(("redis", "rediss", "valkey")):
        # a Redis that does not answer costs a request at most this, never a hang
        settings["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": 0.25,
            "socket_timeout": 0.25,
        }
    # the shared storage gone (Redis stopped): each instance counts on its own until it is
    # back, rather than refusing every form with a 500
    settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    settings["RATELIMIT_KEY_PREFIX"] = "statuspage"
    settings["RATELIMIT_HEADERS_ENABLED"] = True
    settings["MAX_CONTENT_LENGTH"] = settings["MAX_REQUEST_BYTES"]
    settings["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if settings["DATABASE_URL"].startswith("postgresql"):
        settings["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {
            "connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"]
        }
    settings["BABEL_DEFAULT_LOCALE"] = settings["DEFAULT_LANGUAGE"]
    zone(settings["TIMEZONE"])  # a wrong name stops the start with a clear message
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    settings["BABEL_TRANSLATION_DIRECTORIES"] = str(PROJECT_ROOT / "statuspage" / "translations")
    return settings


def _check_helpdesk(settings: dict[str, Any]) -> None:
    """A help desk misconfigured is refused at start, not discovered at the first lost ticket."""
    settings["HELPDESK_EMAIL"] = (settings["HELPDESK_EMAIL"] or "").strip()
    settings["HELPDESK_WEBHOOK"] = (settings["HELPDESK_WEBHOOK"] or "").strip()
    email = settings["HELPDESK_EMAIL"]
    if email and (email.count("@") != 1 or any(c.isspace() or c in "<>,;" for c in email)):
        raise ValueError("STATUSPAGE_HELPDESK_EMAIL must be one address, e.g. support@example.com")
    if settings["HELPDESK_WEBHOOK"]:
        if url_problem(settings["HELPDESK_WEBHOOK"]) is not None:
            raise ValueError("STATUSPAGE_HELPDESK_WEBHOOK must be an http(s) URL")
        if not settings["HELPDESK_WEBHOOK_SECRET"]:
            raise ValueError(
                "STATUSPAGE_HELPDESK_WEBHOOK_SECRET is required with STATUSPAGE_HELPDESK_WEBHOOK "
                "(the help desk checks the signature with it)"
            )
    language = settings["HELPDESK_LANGUAGE"] or settings["DEFAULT_LANGUAGE"]
    if language not in LANGUAGES:
        raise ValueError("STATUSPAGE_HELPDESK_LANGUAGE must be 'en' or 'fr'")
    settings["HELPDESK_LANGUAGE"] = language


def read_secret(instance_path: Path) -> str | None:
    """The key `flask init` generated into instance/, if any."""
    path = instance_path / "secret_key"
    return path.read_text().strip() if path.exists() else None


def generate_secret(instance_path: Path) -> str:
    """A key written once into instance/secret_key (only the owner can read it)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
