"""Which addresses may receive webhooks: strict URLs, and never our own network unless allowed.

A webhook makes the server itself send requests: to loopback or a private network it would
reach what the Internet cannot (the database, an admin interface), so such targets are refused
unless the operator allows them (`STATUSPAGE_WEBHOOK_ALLOW_PRIVATE`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from enum import StrEnum
from urllib.parse import urlsplit

MAX_URL = 2000
_HOST = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?"
)


class UrlProblem(StrEnum):
    SYNTAX = "syntax"  #: not an absolute http(s) URL with a host, or spaces, controls, too long
    CREDENTIALS = "credentials"  #: user:password@ in the URL
    PRIVATE = "private"  #: loopback, private, link-local or reserved address
    UNRESOLVED = "unresolved"  #: the name has no address


def url_problem(url: str) -> UrlProblem | None:
    """What is wrong with the form of `url`, before any name is resolved."""
    if not url or len(url) > MAX_URL or not url.isascii() or re.search(r"[\s\x00-\x1f\x7f]", url):
        return UrlProblem.SYNTAX
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return UrlProblem.SYNTAX
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UrlProblem.SYNTAX
    if parts.username is not None or parts.password is not None:
        return UrlProblem.CREDENTIALS
    host = parts.hostname
    if _literal(host) is None and not _HOST.fullmatch(host):
        return UrlProblem.SYNTAX
    return None


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def addresses_problem(addresses: Iterable[str]) -> UrlProblem | None:
    """Every address a name resolves to must be public (one private one is enough to refuse)."""
    found = list(addresses)
    if not found:
        return UrlProblem.UNRESOLVED
    if not all(is_public(a) for a in found):
        return UrlProblem.PRIVATE
    return None
