"""Text as it comes in: control characters out, before anything is stored or shown.

A pasted terminal escape (`\\x1b[31m`), a NUL or a lone surrogate cannot be written in XML (feeds),
in PostgreSQL text, nor in a mail header; none of them is anything a person meant to type. Tabs
and line breaks stay; line breaks are normalised to `\\n`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

#: C0 controls but tab and line feed, DEL, C1 controls, surrogates, and the two non-characters
#: XML forbids.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    return CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_data(value: Any) -> Any:
    """Every string of a parsed JSON document, keys included, cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    return value


#: Times a status page can mean: outside, a typo (0001, 9999) that would overflow date arithmetic.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def plausible_time(moment: datetime) -> bool:
    """Whether an aware or naive (read as UTC) time is between 2000 and 2100."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return EARLIEST <= moment < LATEST
