"""Public identifiers, as Statuspage shapes them: 12 lowercase letters and digits."""

import secrets
import string

ALPHABET = string.ascii_lowercase + string.digits
PUBLIC_ID_LENGTH = 12


def new_public_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def is_public_id(value: str) -> bool:
    return len(value) == PUBLIC_ID_LENGTH and all(c in ALPHABET for c in value)
