"""One family for every refusal the rules make, so that the web layer maps them in one place.

A `Refused` carries what a caller can act on: a `kind` (what sort of refusal: the web layer turns
it into an HTTP status), a stable `code` (for translations and API clients), the sentence, and the
`field` of the input it concerns when there is one. The views map them once: onto a form's field
or its top (`errors.on_form`), into a flash message, or into the API's one JSON error body.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    INVALID = "invalid"  #: a value given is wrong (422)
    CONFLICT = "conflict"  #: the current state forbids it (409): resolved, already done, taken
    NOT_FOUND = "not_found"  #: what it names does not exist (404)
    GONE = "gone"  #: a genuine link of ours, too old to use (410)
    UNAUTHORIZED = "unauthorized"  #: wrong credentials (401)
    THROTTLED = "throttled"  #: too many attempts (429)


class Refused(ValueError):
    """An operation refused for a reason the caller can act on."""

    kind = Kind.INVALID
    default_code = "invalid_field"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.code = code or self.default_code
        self.field = field


class InvalidInput(Refused):
    """A value the caller gave is wrong; `field` names it for forms and the API."""


class Conflict(Refused):
    """Not possible in the current state (a double click, an old page, a name already taken)."""

    kind = Kind.CONFLICT
    default_code = "conflict"


class NotFound(Refused):
    kind = Kind.NOT_FOUND
    default_code = "not_found"


class Gone(Refused):
    kind = Kind.GONE
    default_code = "gone"
