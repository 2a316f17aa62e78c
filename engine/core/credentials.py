"""One-time codes: how an officer proves who they are where the engine does not hold the
session, as in the Prefect UI's resume form.

A code is random (72 bits), shown once, kept only as its SHA-256 digest, valid for a few
minutes and spent by its first successful use. A Prefect server that stores what was
typed into its form therefore keeps a dead code, never a live secret.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.core.directory import get_officer
from engine.errors import NotAllowed
from engine.store import Credential, Officer

CODE_LIFETIME = timedelta(minutes=15)


def write_private(path: Path, text: str) -> None:
    """Write `text` to a new file only its owner can read (mode 600); an existing file
    raises FileExistsError and is left alone."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def kept_secret(path: Path, nbytes: int) -> str:
    """A random secret generated once into `path` (mode 600), read from there after."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, secrets.token_urlsafe(nbytes))
    return path.read_text().strip()


def token_digest(token: str) -> str:
    """What is stored of a secret handed to a person (code, link token, API token): its
    SHA-256. The secrets are random and long, so a plain hash cannot be guessed back."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def issue_code(session: Session, username: str, now: datetime) -> tuple[str, datetime]:
    """A new one-time code for `username` and when it expires; the caller commits."""
    officer = get_officer(session, username)
    code = secrets.token_hex(9)
    expires = now + CODE_LIFETIME
    session.add(Credential(officer_id=officer.id, digest=token_digest(code), created_at=now,
                           expires_at=expires))
    return code, expires


def spend_code(session: Session, officer: Officer, code: str, now: datetime) -> None:
    """Accept `code` for `officer` and mark it used, or refuse without saying which part
    was wrong (unknown, someone else's, used or expired all read the same)."""
    candidate = session.scalar(select(Credential).where(Credential.digest == token_digest(code or "")))
    valid = (
        candidate is not None
        and hmac.compare_digest(str(candidate.officer_id), str(officer.id))
        and candidate.used_at is None
        and candidate.expires_at > now
    )
    if not valid or candidate is None:
        raise NotAllowed(f"the one-time code given for {officer.username} is not valid "
                         "(unknown, used or expired): get a new one with `manzoori officers code`")
    candidate.used_at = now
