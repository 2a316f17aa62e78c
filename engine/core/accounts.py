"""Officers' accounts: passwords (argon2id) for the web app, bearer tokens for machine
clients. Only hashes and digests are stored; a wrong username and a wrong password read
the same, so the login form tells an attacker nothing about who exists."""

from __future__ import annotations

import secrets
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.credentials import token_digest
from engine.core.directory import get_officer
from engine.errors import InvalidForm, NotAllowed
from engine.store import ApiToken, Officer

_hasher = PasswordHasher()
MIN_PASSWORD = 10
TOKEN_PREFIX = "mzt_"
#: Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class LoginFailed(NotAllowed):
    """Wrong username or password (deliberately not saying which)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidForm(f"a password needs at least {MIN_PASSWORD} characters",
                          problems=[("password", "too short")])
    return _hasher.hash(password)


def set_password(session: Session, username: str, password: str) -> Officer:
    """Give `username` a new password; the caller commits."""
    hashed = hash_password(password)
    officer = get_officer(session, username)
    officer.password_hash = hashed
    return officer


def check_password(session: Session, username: str, password: str) -> Officer:
    """The officer whose password this is, or LoginFailed."""
    officer = session.scalar(select(Officer).where(Officer.username == username.strip()))
    stored = officer.password_hash if officer is not None and officer.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise LoginFailed("wrong username or password") from None
    if officer is None or officer.password_hash is None:
        raise LoginFailed("wrong username or password")
    if _hasher.check_needs_rehash(officer.password_hash):
        officer.password_hash = _hasher.hash(password)
    return officer


def issue_token(session: Session, username: str, name: str, now: datetime) -> str:
    """A new bearer token for `username`, shown once; the caller commits."""
    officer = get_officer(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(officer_id=officer.id, name=name[:100] or "token", digest=token_digest(token),
                         created_at=now))
    return token


def officer_for_token(session: Session, token: str) -> Officer:
    """The officer a live bearer token acts for, or NotAllowed."""
    found = session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token)))
    if found is None or found.revoked_at is not None:
        raise NotAllowed("the API token is unknown or revoked")
    return found.officer

