"""Staff accounts, sign-in with a throttle, and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from statuspage.domain.errors import Kind, Refused
from statuspage.models import ApiToken, LoginFailure, StaffRole, StaffUser
from statuspage.services import audit

THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FAILURES = 5  #: per client address within the window
ACCOUNT_FAILURES = 20  #: per account, from all addresses, within the window
MIN_PASSWORD = 12
TOKEN_PREFIX = "sp_"  # noqa: S105 - a prefix, not a secret
#: computed once, so that an unknown email costs as much as a wrong password
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


class StaffError(Refused):
    """An account, token or sign-in refused; its `code` says which kind of refusal it is."""

    KINDS = {"exists": Kind.CONFLICT, "throttled": Kind.THROTTLED, "invalid": Kind.UNAUTHORIZED}
    FIELDS = {"email": "email", "exists": "email", "password": "password", "name": "name"}

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code, field=self.FIELDS.get(code))
        self.kind = self.KINDS.get(code, Kind.INVALID)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_staff(
    session: Session,
    email: str,
    role: StaffRole,
    *,
    now: datetime,
    password: str | None = None,
    actor: str = "cli",
) -> tuple[StaffUser, str]:
    """Creates an account; returns it with its password (generated when none is given)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise StaffError("email", "a valid email address is needed")
    if session.execute(select(StaffUser).where(StaffUser.email == email)).scalar():
        raise StaffError("exists", f"{email} already has an account")
    password = password if password is not None else secrets.token_urlsafe(18)
    if len(password) < MIN_PASSWORD:
        raise StaffError("password", f"the password needs at least {MIN_PASSWORD} characters")
    user = StaffUser(
        email=email,
        password_hash=generate_password_hash(password, method="scrypt"),
        role=role,
        created_at=now,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="staff.create",
        now=now,
        target_type="staff",
        target_id=str(user.id),
        after={"email": email, "role": role.value},
    )
    return user, password


def set_active(
    session: Session, user: StaffUser, active: bool, *, actor: str, now: datetime
) -> None:
    before = {"active": user.active}
    user.active = active
    user.session_version += 1
    audit.record(
        session,
        actor=actor,
        action="staff.activate" if active else "staff.deactivate",
        now=now,
        target_type="staff",
        target_id=str(user.id),
        before=before,
        after={"active": active},
    )


def end_sessions(user: StaffUser) -> None:
    """Signing out ends the account's console sessions on the server: the session cookie holds
    `session_version`, which no longer matches (every device of the account is signed out)."""
    user.session_version += 1


def begin_sign_in(session: Session, email: str, address: str, *, now: datetime) -> LoginFailure:
    """An attempt counts as a failure until it succeeds. The caller commits it *before* the
    password is checked, so attempts made in parallel all see each other and no more than the
    limit are ever checked."""
    attempt = LoginFailure(email=normalise_email(email), address=address, at=now)
    session.add(attempt)
    session.flush()
    return attempt


def is_throttled(session: Session, email: str, address: str, *, now: datetime) -> bool:
    """Over the limit (this attempt included): per client address, whatever the account (one
    machine guessing), and per account from all addresses (a guessing botnet). The per-account
    limit is higher, so that one address cannot lock a staff member out by itself."""
    since = now - THROTTLE_WINDOW
    from_address = session.execute(
        select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
    ).scalar()
    if from_address > THROTTLE_FAILURES:
        return True
    # each address counts for the account no more than it may try by itself: attempts refused
    # at an address's own limit must not add up to lock the account from there
    per_address = session.execute(
        select(func.count())
        .where(LoginFailure.email == email, LoginFailure.at >= since)
        .group_by(LoginFailure.address)
    ).scalars()
    return sum(min(n, THROTTLE_FAILURES + 1) for n in per_address) > ACCOUNT_FAILURES


def authenticate(
    session: Session,
    email: str,
    password: str,
    address: str,
    attempt: LoginFailure | None = None,
    *,
    now: datetime,
) -> StaffUser:
    """Checks a password; `attempt` is the row `begin_sign_in` committed (made here if none)."""
    email = normalise_email(email)
    if attempt is None:
        attempt = begin_sign_in(session, email, address, now=now)
    if is_throttled(session, email, address, now=now):
        raise StaffError("throttled", "too many failed sign-ins: wait 15 minutes")
    user = session.execute(select(StaffUser).where(StaffUser.email == email)).scalar()
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(days=1)))
        session.flush()
        raise StaffError("invalid", "wrong email or password")
    session.execute(  # this attempt and the failures before it, from this address
        delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.address == address)
    )
    user.last_login_at = now
    audit.record(
        session,
        actor=email,
        action="staff.sign_in",
        now=now,
        target_type="staff",
        target_id=str(user.id),
    )
    return user


def load_user(session: Session, user_id: str) -> StaffUser | None:
    """Flask-Login's loader: the id carries the session version, so old sessions expire."""
    ident, _, version = user_id.partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = session.get(StaffUser, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, name: str, role: StaffRole, *, actor: str, now: datetime
) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise StaffError("name", "a token needs a name of 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=_hash(secret),
        prefix=secret[:10],
        role=role,
        created_by=actor,
        created_at=now,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="token.create",
        now=now,
        target_type="token",
        target_id=str(token.id),
        after={"name": name, "role": role.value},
    )
    return token, secret


def find_token(session: Session, secret: str) -> ApiToken | None:
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == _hash(secret))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    return token


def revoke_token(session: Session, token: ApiToken, *, actor: str, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action="token.revoke",
            now=now,
            target_type="token",
            target_id=str(token.id),
            before={"name": token.name},
        )
