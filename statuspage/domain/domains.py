"""Domain names as customers type them: pasted URLs, capitals, accents (IDN)."""

from __future__ import annotations

import re

import idna

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def normalise(text: str) -> tuple[str, str]:
    """The ASCII (punycode) and Unicode forms of a domain name; ValueError if it is not one.

    `https://www.Café-Paris.fr/menu` gives (`www.xn--caf-paris-d4a.fr`, `www.café-paris.fr`).
    """
    value = _SCHEME.sub("", text.strip())
    value = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    value = value.rsplit("@", 1)[-1].split(":", 1)[0].strip().rstrip(".")
    if not value or "." not in value or " " in value:
        raise ValueError("not a domain name")
    try:
        ascii_form = idna.encode(value, uts46=True).decode("ascii")
        unicode_form = idna.decode(ascii_form)
    except idna.IDNAError as error:
        raise ValueError(str(error)) from None
    labels = ascii_form.split(".")
    if len(ascii_form) > 253 or not labels[-1].isalpha() and not labels[-1].startswith("xn--"):
        raise ValueError("not a domain name")
    return ascii_form.lower(), unicode_form.lower()
