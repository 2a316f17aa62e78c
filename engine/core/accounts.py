"""Officers' accounts: passwords (argon2id) for the web app, its sessions, bearer tokens
for machine clients. Only hashes and digests are stored; a wrong username and a wrong
password read the same, so the login form tells an attacker nothing about who exists.

A web session and a token each end: a session after `SESSION_LIFETIME` from its login
(nothing extends it), at logout, at a new password or when an administrator ends it; a
token at its expiry or when revoked. Failed logins are slowed down (`engine.core.throttle`),
and at most `HASHING` password checks run at once, so guessing cannot take the server's
memory and cores from everyone else.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.credentials import token_digest
from engine.core.directory import get_officer
from engine.errors import Busy, InvalidForm, NotAllowed, NotFound
from engine.store import ApiToken, Officer, WebSession

_hasher = PasswordHasher(parallelism=1)
"""argon2id at RFC 9106's second recommended cost (3 passes over 64 MiB), in one lane, not four: a
guess costs an attacker the same work as in four lanes, but a check takes one core, not
every core of the server, so officers' requests keep the other (hashes made with four
lanes still verify and are made again at the next login)."""
MIN_PASSWORD = 10
TOKEN_PREFIX = "mzt_"
#: Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")

HASHING = 2
"""Password checks running at once (argon2id takes 64 MiB and a core for a moment each):
one for any login, one kept for browsers that logged in before (`engine.web.app`); on two
cores a flood of logins takes at most one of them from the officers at work."""
_hashing = threading.BoundedSemaphore(HASHING)


def _yielding() -> None:
    """Run this thread at nice 10 (Linux: a thread's own priority): a password check takes
    the CPU that officers' requests leave, instead of half of it."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


_checking = ThreadPoolExecutor(max_workers=HASHING, thread_name_prefix="manzoori-password",
                               initializer=_yielding)
"""The threads that run argon2 (it lets go of the GIL): `HASHING` of them, at a lower priority."""
HASHING_WAIT = 10.0
"""Seconds a login waits for its turn to be checked before it is told the server is busy."""

SESSION_LIFETIME = timedelta(hours=8)
"""A web session ends this long after its login, whatever happens meanwhile."""
TOKEN_LIFETIME = timedelta(days=90)
"""An API token's default lifetime (`manzoori officers token --days`)."""


class LoginFailed(NotAllowed):
    """Wrong username or password (deliberately not saying which)."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidForm(f"a password needs at least {MIN_PASSWORD} characters",
                          problems=[("password", "too short")])
    return _hasher.hash(password)


def set_password(session: Session, username: str, password: str,
                 now: datetime | None = None) -> Officer:
    """Give `username` a new password and end every web session of theirs (one opened
    with the old password must not outlive it); the caller commits."""
    hashed = hash_password(password)
    officer = get_officer(session, username)
    officer.password_hash = hashed
    end_sessions(session, officer, now or utcnow(), "password")
    return officer


def check_password(session: Session, username: str, password: str) -> Officer:
    """The officer whose password this is, or LoginFailed (or Busy when `HASHING` checks
    have been running for `HASHING_WAIT` seconds). Throttling guesses is the caller's
    part, before it comes here: `engine.core.throttle.LoginGuard`."""
    officer = session.scalar(select(Officer).where(Officer.username == username.strip()))
    stored = officer.password_hash if officer is not None and officer.password_hash else _DUMMY_HASH
    if not _hashing.acquire(timeout=HASHING_WAIT):
        raise Busy("too many logins are being checked at once; try again in a few seconds",
                   retry_after=5)
    try:
        _checking.submit(_hasher.verify, stored, password).result()
    except (VerificationError, InvalidHashError):
        raise LoginFailed("wrong username or password") from None
    finally:
        _hashing.release()
    if officer is None or officer.password_hash is None:
        raise LoginFailed("wrong username or password")
    if _hasher.check_needs_rehash(officer.password_hash):
        officer.password_hash = _hasher.hash(password)
    return officer


# Web sessions --------------------------------------------------------------------------------

def open_session(session: Session, officer: Officer, now: datetime, client: str | None = None) -> str:
    """A new web session for `officer`: the random token for the cookie (only its digest
    is stored); the caller commits."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(officer_id=officer.id, digest=token_digest(token), created_at=now,
                           expires_at=now + SESSION_LIFETIME, client=(client or "")[:64] or None))
    return token


def live_session(session: Session, token: str, now: datetime) -> WebSession | None:
    """The web session a cookie's token opens: None when unknown, ended or expired."""
    if not token:
        return None
    found = session.scalar(select(WebSession).where(WebSession.digest == token_digest(token)))
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    return found


def end_session(session: Session, token: str, now: datetime, why: str = "logout") -> None:
    """End the web session of this cookie's token, if it is live; the caller commits."""
    found = live_session(session, token, now)
    if found is not None:
        found.ended_at, found.ended_why = now, why


def _live_sessions(session: Session, officer: Officer, now: datetime) -> list[WebSession]:
    return list(session.scalars(
        select(WebSession).where(WebSession.officer_id == officer.id, WebSession.ended_at.is_(None),
                                 WebSession.expires_at > now).order_by(WebSession.id)))


def end_sessions(session: Session, officer: Officer | str, now: datetime,
                 why: str = "administrator") -> int:
    """End every live web session of `officer`; how many there were. The caller commits."""
    if isinstance(officer, str):
        officer = get_officer(session, officer)
    ended = _live_sessions(session, officer, now)
    for found in ended:
        found.ended_at, found.ended_why = now, why
    return len(ended)


def list_sessions(session: Session, username: str, now: datetime) -> list[WebSession]:
    """`username`'s live web sessions, oldest first."""
    return _live_sessions(session, get_officer(session, username), now)


# API tokens ----------------------------------------------------------------------------------

def issue_token(session: Session, username: str, name: str, now: datetime,
                lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """A new bearer token for `username`, valid for `lifetime`, shown once; the caller commits."""
    if lifetime <= timedelta(0):
        raise InvalidForm("a token's lifetime must be at least a day", problems=[("days", "not positive")])
    officer = get_officer(session, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(officer_id=officer.id, name=name[:100] or "token", digest=token_digest(token),
                         created_at=now, expires_at=now + lifetime))
    return token


@dataclass(frozen=True)
class TokenInfo:
    """What a listing shows of a token (never the token, never its digest)."""

    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


def list_tokens(session: Session, username: str) -> list[TokenInfo]:
    """`username`'s tokens, oldest first, live or not."""
    officer = get_officer(session, username)
    rows = session.scalars(select(ApiToken).where(ApiToken.officer_id == officer.id).order_by(ApiToken.id))
    return [TokenInfo(row.id, row.name, row.created_at, row.expires_at, row.revoked_at) for row in rows]


def revoke_tokens(session: Session, username: str, now: datetime, token_id: int | None = None) -> int:
    """Revoke `username`'s token `token_id`, or all their live ones; how many were
    revoked. The caller commits."""
    officer = get_officer(session, username)
    query = select(ApiToken).where(ApiToken.officer_id == officer.id, ApiToken.revoked_at.is_(None))
    if token_id is not None:
        query = query.where(ApiToken.id == token_id)
    found = list(session.scalars(query))
    if token_id is not None and not found:
        raise NotFound(f"{username} has no live token {token_id} (`manzoori officers tokens {username}`)")
    for token in found:
        token.revoked_at = now
    return len(found)


def officer_for_token(session: Session, token: str, now: datetime | None = None) -> Officer:
    """The officer a live bearer token acts for, or NotAllowed."""
    found = session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token)))
    if found is None or found.revoked_at is not None:
        raise NotAllowed("the API token is unknown or revoked")
    if found.expires_at is not None and found.expires_at <= (now or utcnow()):
        raise NotAllowed("the API token has expired: get a new one with `manzoori officers token`")
    return found.officer

