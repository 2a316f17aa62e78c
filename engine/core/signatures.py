"""Office holders' signing keys and their signatures on items.

Each holder who signs has an Ed25519 key pair. The private key is kept only encrypted
under a passphrase the holder chose (OpenSSH private-key format: bcrypt KDF, AES-256),
in the database or in a file the holder keeps; the passphrase itself is never stored,
logged or printed. A signature covers the canonical digest of `signed_content`: the
exact version (content, parties, reference) with the office, holder and moment.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from engine.core.credentials import kept_secret, write_private
from engine.core.directory import get_officer
from engine.core.throttle import Backoff, seconds
from engine.errors import InvalidForm, ManzooriError, NotAllowed, NotFound, Throttled
from engine.store import Item, Officer, Signature, SigningKey, Version, audit, home

MIN_PASSPHRASE = 10
KDF_ROUNDS = 16
"""bcrypt rounds guarding a holder's key (OpenSSH's default): about 0.2 s per unlock."""
SAMPLE_KDF_ROUNDS = 1
"""[sample] keys sit next to their passphrase file anyway; a slow KDF would only slow tests."""
SAMPLE_PASSPHRASE = "sample-passphrase"
"""The file in MANZOORI_HOME (mode 600) with the one passphrase of every [sample] key."""

PASSPHRASE_TRIES = Backoff(free=5, base=1.0, cap=900.0)
"""Wrong passphrases per signing key (in this process): 5 free, then 1 s, 2 s, 4 s, ...
at most 15 minutes between tries; the right one forgets them (`engine.core.throttle`)."""


def new_key(session: Session, username: str, passphrase: str, now: datetime, *,
            key_file: Path | None = None, sample: bool = False) -> SigningKey:
    """A new key pair for `username`; the key they had before is revoked (rotation).
    With `key_file`, the encrypted private key goes to that new file (mode 600) and the
    database keeps only the public key and where the file was written."""
    officer = get_officer(session, username)
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidForm(f"the passphrase must have at least {MIN_PASSPHRASE} characters",
                          problems=[("passphrase", "too short")])
    private = Ed25519PrivateKey.generate()
    rounds = SAMPLE_KDF_ROUNDS if sample else KDF_ROUNDS
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(rounds)
        .build(passphrase.encode()),
    ).decode()
    if key_file is not None:
        _write_private(key_file, pem)
    for earlier in _keys_of(session, officer):
        if earlier.revoked_at is None:
            earlier.revoked_at = now
    key = SigningKey(officer=officer, public_key=_public_hex(private.public_key()),
                     private_key=None if key_file else pem,
                     key_file=str(key_file.resolve()) if key_file else None,
                     sample=sample, created_at=now)
    session.add(key)
    return key


def _write_private(path: Path, pem: str) -> None:
    try:
        write_private(path, pem)
    except FileExistsError:
        raise InvalidForm(f"{path} exists already; choose a new file for the key",
                          problems=[("key-file", "exists")]) from None
    except OSError as error:
        raise InvalidForm(f"cannot write the key to {path}: {error.strerror}",
                          problems=[("key-file", "unwritable")]) from None


def revoke(session: Session, username: str, now: datetime) -> SigningKey:
    """End `username`'s current key: it signs nothing more; its signatures stay valid."""
    key = current_key(session, get_officer(session, username))
    key.revoked_at = now
    return key


def _keys_of(session: Session, officer: Officer) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).where(SigningKey.officer_id == officer.id)
                                .order_by(SigningKey.id)))


def current_key(session: Session, officer: Officer) -> SigningKey:
    keys = [key for key in _keys_of(session, officer) if key.revoked_at is None]
    if not keys:
        raise NotAllowed(f"{officer.username} has no signing key; make one with "
                         f"`manzoori keys new --as {officer.username}`, then sign again")
    return keys[-1]


def published_keys(session: Session, party: str | None = None) -> list[SigningKey]:
    """Every key ever made, revoked ones included (old signatures are checked against them)."""
    query = (select(SigningKey).join(Officer)
             .options(selectinload(SigningKey.officer).selectinload(Officer.appointments))
             .order_by(Officer.username, SigningKey.id))
    keys = list(session.scalars(query))
    if party:
        keys = [key for key in keys if any(a.party == party for a in key.officer.appointments)]
    return keys


def key_bundle(session: Session) -> dict[str, Any]:
    """The published keys as JSON, for `verify --document` where the database is not."""
    return {"manzoori_keys": 1, "keys": [
        {"officer": key.officer.username, "name": key.officer.name, "public_key": key.public_key,
         "created_at": key.created_at.isoformat(), "sample": key.sample,
         "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
         "appointments": [{"party": a.party, "office": a.office,
                           "since": a.since.isoformat() if a.since else None,
                           "until": a.until.isoformat() if a.until else None}
                          for a in key.officer.appointments]}
        for key in published_keys(session)]}


@dataclass(frozen=True)
class Opened:
    """A key's KDF run ahead of the action's transaction (`open_ahead`): the key it opened
    (its public half) and the private key, or None when the passphrase did not open it."""

    public_key: str
    private: PrivateKeyTypes | None


def open_ahead(bind: Engine | Connection, username: str, passphrase: str) -> Opened | None:
    """Run the KDF of `username`'s current key before the write lock is taken, so that a
    real key's ~0.2 s of bcrypt does not hold up every other officer's action.

    Read in a session of its own (nothing read here is trusted inside the action); its
    verdict is told only by `unlock` within the action, after the same throttle as ever.
    None, and `unlock` does it all as before, whenever it cannot be done ahead: no key,
    an unreadable key file, a key waiting out wrong passphrases, no connection free, or
    a pool that would hand this session the action's own connection (SQLite in memory);
    whatever went wrong here is met again, and reported, inside the action."""
    if not isinstance(bind, Engine) or isinstance(bind.pool, (SingletonThreadPool, StaticPool)):
        return None
    with Session(bind) as session:
        try:
            key = current_key(session, get_officer(session, username))
            pem = _pem(key)
        except (ManzooriError, SQLAlchemyError):
            return None
        if PASSPHRASE_TRIES.wait(key.public_key):
            return None
        return Opened(key.public_key, _load(pem, passphrase))


def _pem(key: SigningKey) -> str:
    if key.private_key is not None:
        return key.private_key
    try:
        return Path(key.key_file or "").read_text()
    except OSError as error:
        raise NotFound(f"{key.officer.username}'s private key file {key.key_file} cannot be "
                       f"read: {error.strerror}") from None


def _load(pem: str, passphrase: str) -> PrivateKeyTypes | None:
    try:
        return serialization.load_ssh_private_key(pem.encode(), passphrase.encode())
    except ValueError:
        return None


def unlock(key: SigningKey, passphrase: str, opened: Opened | None = None) -> Ed25519PrivateKey:
    """The private key, counted against the key's wrong passphrases; `opened` is the KDF's
    result run ahead for this key (`open_ahead`), used instead of running it again."""
    pem = _pem(key)
    wait = PASSPHRASE_TRIES.attempt(key.public_key)
    if wait:
        raise Throttled(f"too many wrong passphrases for {key.officer.username}'s signing key; "
                        f"nothing was signed: try again in {seconds(wait)} s", retry_after=seconds(wait))
    if opened is not None and opened.public_key == key.public_key:
        private = opened.private
    else:
        private = _load(pem, passphrase)
    if private is None:
        raise NotAllowed(f"wrong passphrase for {key.officer.username}'s signing key; "
                         "nothing was signed")
    PASSPHRASE_TRIES.succeeded(key.public_key)
    if not isinstance(private, Ed25519PrivateKey) or _public_hex(private.public_key()) != key.public_key:
        raise NotAllowed(f"{key.key_file} does not hold {key.officer.username}'s published key")
    return private


def _public_hex(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def fingerprint(public_key: str) -> str:
    return verification_code(public_key)


def version_content(item: Item, version: Version) -> dict[str, Any]:
    """The part of what a signature covers that is the same for every signatory.
    Attachments, when a form has them, are in the form data as name and SHA-256 (as
    progress reports' evidence is), so they are covered too."""
    return {
        "reference": item.reference, "kind": item.kind, "version": version.number,
        "title": version.title, "form_model": version.form_model, "form": version.form,
        "version_digest": version.digest, "parties": item.party_codes,
    }


def signed_content(content: dict[str, Any], party: str, office: str, username: str,
                   holder: str, signed_at: str,
                   acting_for: dict[str, str] | None = None) -> dict[str, Any]:
    """What one signature covers: the version's content, the party and office signed
    for, the holder and the moment (ISO 8601, UTC), and, when a substitute signs for an
    absent holder, that holder (`{"username", "name"}`)."""
    signed = {**content, "party": party, "office": office,
              "holder": {"username": username, "name": holder}, "signed_at": signed_at}
    if acting_for is not None:
        signed["acting_for"] = acting_for
    return signed


def acting_for_of(officer: Officer | None) -> dict[str, str] | None:
    """The absent holder as a signature names them."""
    return {"username": officer.username, "name": officer.name} if officer is not None else None


def content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(audit.canonical(content)).hexdigest()


def check(public_key: str, digest: str, signature: str) -> bool:
    """Whether `signature` (hex) is `public_key`'s Ed25519 signature of `digest`."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            bytes.fromhex(signature), bytes.fromhex(digest))
    except (InvalidSignature, ValueError):
        return False
    return True


def verification_code(signature: str) -> str:
    """Ten base32 characters of the signature's SHA-256: short enough to read out."""
    return base64.b32encode(hashlib.sha256(signature.encode()).digest()).decode()[:10]


def sign(session: Session, item: Item, officer: Officer, party: str, office: str,
         passphrase: str | None, now: datetime, *, acting_for: Officer | None = None,
         opened: Opened | None = None) -> Signature:
    """`officer`'s signature for `party` on `item`'s latest submitted version, with their
    own key, marked as acting for `acting_for` when they stand in for an absent holder."""
    key = current_key(session, officer)
    if not passphrase:
        raise InvalidForm(f"signing needs {officer.username}'s key passphrase",
                          problems=[("passphrase", "required")])
    return sign_with(session, key, unlock(key, passphrase, opened), item, officer, party, office, now,
                     acting_for=acting_for)


def sign_with(session: Session, key: SigningKey, private: Ed25519PrivateKey, item: Item,
              officer: Officer, party: str, office: str, now: datetime, *,
              acting_for: Officer | None = None) -> Signature:
    """The signature itself, with a key already unlocked."""
    version = [v for v in item.versions if v.submitted_at is not None][-1]
    content = signed_content(version_content(item, version), party, office, officer.username,
                             officer.name, now.isoformat(), acting_for_of(acting_for))
    digest = content_digest(content)
    signature = Signature(
        item_id=item.id, version=version.number, event_seq=0, party=party, office=office,
        officer=officer, holder=officer.name, signed_at=now, digest=digest,
        signature=private.sign(bytes.fromhex(digest)).hex(), public_key=key.public_key, key_id=key.id,
        acting_for=acting_for)
    session.add(signature)
    return signature


def event_copy(signature: Signature, username: str | None) -> dict[str, Any]:
    """The signature as its `sign` event keeps it, covered by the item's hash chain."""
    return {"version": signature.version, "party": signature.party, "office": signature.office,
            "officer": username, "holder": signature.holder,
            "signed_at": signature.signed_at.isoformat(), "digest": signature.digest,
            "signature": signature.signature, "public_key": signature.public_key,
            "key": signature.key_id,
            **({"acting_for": acting_for_of(signature.acting_for)} if signature.acting_for else {})}


def sample_passphrase() -> str:
    """The passphrase of every [sample] key, generated once into MANZOORI_HOME (mode 600)."""
    return kept_secret(home() / SAMPLE_PASSPHRASE, 16)


def seed_sample_keys(session: Session, now: datetime, usernames: list[str] | None = None,
                     passphrase: str | None = None) -> int:
    """Keys under the sample passphrase (MANZOORI_HOME's, unless given) for every [sample]
    officer without one, and for the named people from the record who sign in the demo
    (their keys are samples too)."""
    query = select(Officer).where(~Officer.id.in_(select(SigningKey.officer_id)))
    query = query.where(Officer.sample.is_(True) | Officer.username.in_(usernames or []))
    passphrase = passphrase or sample_passphrase()
    officers = list(session.scalars(query))
    for officer in officers:
        new_key(session, officer.username, passphrase, now, sample=True)
    return len(officers)
