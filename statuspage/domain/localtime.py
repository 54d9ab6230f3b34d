"""Times as people read them: in the page's time zone (`STATUSPAGE_TIMEZONE`), named.

Stored times stay UTC; only what people read and type is local. Feeds and JSON keep ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_location

_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu"})


def zone(key: str) -> ZoneInfo:
    """The zone named `key` (IANA, e.g. Europe/Paris); a clear error for a wrong name."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"STATUSPAGE_TIMEZONE: unknown time zone {key!r} (an IANA name, e.g. Europe/Paris)"
        ) from None


def is_utc(place: ZoneInfo) -> bool:
    return place.key in _UTC_KEYS


def city(place: ZoneInfo, locale: str) -> str | None:
    """The zone's city in the reader's language ("Paris"), None for UTC."""
    if is_utc(place):
        return None
    return get_timezone_location(place, locale=locale, return_city=True)


def abbreviation(moment: datetime, place: ZoneInfo) -> str:
    """CET or CEST, as the date requires."""
    return moment.astimezone(place).tzname() or place.key


def to_local(moment: datetime | None, place: ZoneInfo) -> datetime | None:
    """A stored (UTC) time as the wall clock of `place` shows it, naive (for form fields)."""
    if moment is None:
        return None
    return moment.astimezone(place).replace(tzinfo=None)


def from_local(moment: datetime | None, place: ZoneInfo) -> datetime | None:
    """A wall-clock time typed in `place` (naive) as an aware UTC time.

    In the autumn hour that happens twice, the first one is meant (fold=0); a spring time that
    does not exist is read with the offset before the change, as zoneinfo does.
    """
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=place).astimezone(UTC)
