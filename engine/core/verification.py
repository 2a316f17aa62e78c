"""`manzoori verify`: re-compute every item's hash chain, version digests and signatures
from what is stored, and check a rendered document against the signatures it carries.

Each check names the place (event seq and global sequence, version number, or the
signature's party and office) and the field that fails, so a reader knows exactly what
was changed, not merely that something was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from engine.core import routing, signatures
from engine.core.directory import holds
from engine.core.documents import DATA_FILE, render_data, render_pdf
from engine.core.items import get_item
from engine.core.registry import Registry
from engine.errors import InvalidForm
from engine.store import Absence, AuditEvent, Item, Officer, Signature, SigningKey, StepRecord, audit


@dataclass(frozen=True)
class Finding:
    place: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.field}: {self.message}"


def verify_items(session: Session, reference: str | None = None) -> list[tuple[str, list[Finding]]]:
    """Each item (or the one named) with what fails in it; an empty list means intact."""
    query = (select(Item).order_by(Item.id)
             .options(selectinload(Item.parties), selectinload(Item.versions),
                      selectinload(Item.steps).selectinload(StepRecord.decisions)))
    if reference is not None:
        items = [get_item(session, reference)]
    else:
        items = list(session.scalars(query))
    usernames: dict[int | None, str] = dict(session.execute(select(Officer.id, Officer.username)).all())
    results = []
    for item in items:
        try:
            results.append((item.reference, verify_item(session, item, usernames)))
        except (ValueError, TypeError, LookupError) as error:  # e.g. JSON that no longer parses
            session.rollback()
            results.append((item.reference, [Finding(item.reference, "stored data",
                                                     f"cannot be read ({error})")]))
    return results


def verify_item(session: Session, item: Item, usernames: dict[int | None, str]) -> list[Finding]:
    """What fails in `item`; `usernames` maps every officer's id to their username."""
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.item_id == item.id)
                                  .order_by(AuditEvent.seq)))
    return [*_chain(item, events, usernames), *_versions(item),
            *_signatures(session, item, events, usernames)]


def _chain(item: Item, events: list[AuditEvent], usernames: dict[int | None, str]) -> list[Finding]:
    findings = []
    previous, last_global = audit.GENESIS, 0
    for position, event in enumerate(events, start=1):
        place = f"event {event.seq} (#{event.global_seq})"
        if event.seq != position:
            findings.append(Finding(place, "seq", f"expected event {position} here: an event "
                                    "is missing or was renumbered"))
        if event.prev_hash != previous:
            findings.append(Finding(place, "prev_hash", "is not the hash of the event before it"))
        fields = audit.event_fields(item.reference, usernames.get(event.officer_id), event)
        if audit.event_hash(event.prev_hash, fields) != event.hash:
            findings.append(Finding(place, "hash", "the event's stored content (time, officer, "
                                    "action, step, party, version, comment, payload, key or "
                                    "sequence) no longer gives its hash"))
        if (event.global_seq or 0) <= last_global:
            findings.append(Finding(place, "global_seq", "is not after the item's event before it"))
        previous, last_global = event.hash, event.global_seq or 0
    return findings


def _versions(item: Item) -> list[Finding]:
    return [
        Finding(f"version {version.number}", "digest", "the version's stored content (title, "
                "form, parties, author or dates) no longer gives its digest")
        for version in item.versions
        if version.submitted_at is not None and version.digest != routing.digest(item, version)
    ]


def _signatures(session: Session, item: Item, events: list[AuditEvent],
                usernames: dict[int | None, str]) -> list[Finding]:
    findings = []
    signs = {event.seq: event for event in events
             if event.action == "sign" and "signature" in (event.payload or {})}
    rows = list(session.scalars(select(Signature).where(Signature.item_id == item.id)
                                .order_by(Signature.id)))
    versions = {version.number: version for version in item.versions}
    for row in rows:
        place = f"signature ({row.party}, {row.office})"
        username = usernames.get(row.officer_id)
        event = signs.get(row.event_seq)
        copy = event.payload["signature"] if event is not None else {}
        if copy.get("officer") != username and copy.get("party") != row.party:
            findings.append(Finding(place, "event_seq", f"event {row.event_seq} is not its sign event"))
        else:
            for name, value in signatures.event_copy(row, username).items():
                if copy.get(name) != value:
                    column = {"officer": "officer_id", "key": "key_id",
                              "acting_for": "acting_for_id"}.get(name, name)
                    findings.append(Finding(place, column, f"differs from the copy kept in its "
                                            f"sign event {row.event_seq}"))
        version = versions.get(row.version)
        if version is None:
            findings.append(Finding(place, "version", f"{item.reference} has no version {row.version}"))
            continue
        absent = session.get(Officer, row.acting_for_id) if row.acting_for_id is not None else None
        content = signatures.signed_content(signatures.version_content(item, version), row.party,
                                            row.office, username or "", row.holder,
                                            row.signed_at.isoformat(), signatures.acting_for_of(absent))
        if signatures.content_digest(content) != row.digest:
            findings.append(Finding(place, "digest", f"version {row.version} as stored, with this "
                                    "party, office, holder and date, no longer gives the signed digest"))
        if not signatures.check(row.public_key, row.digest, row.signature):
            findings.append(Finding(place, "signature", "is not a valid Ed25519 signature of the "
                                    "digest by its public key"))
        key = session.get(SigningKey, row.key_id)
        if key is None or key.public_key != row.public_key or key.officer_id != row.officer_id:
            findings.append(Finding(place, "public_key", f"is not a key published for {username}"))
        elif key.revoked_at is not None and key.revoked_at <= row.signed_at:
            findings.append(Finding(place, "key_id", f"the key was revoked on {key.revoked_at:%Y-%m-%d}, "
                                    "before this signature"))
        officer = session.get(Officer, row.officer_id)
        if row.acting_for_id is not None and absent is None:
            findings.append(Finding(place, "acting_for_id", "names no officer of the directory"))
        if absent is not None:
            findings += _delegation(session, place, row, username, absent)
        elif officer is not None and not holds(officer, row.party, row.office, row.signed_at.date()):
            findings.append(Finding(place, "office", f"{username} did not hold {row.office} "
                                    f"({row.party}) on {row.signed_at:%Y-%m-%d}"))
    for seq in sorted(set(signs) - {row.event_seq for row in rows}):
        findings.append(Finding(f"event {seq} (#{signs[seq].global_seq})", "signature",
                                "the signature this sign event recorded is missing"))
    return findings


def _delegation(session: Session, place: str, row: Signature, username: str | None,
                absent: Officer) -> list[Finding]:
    """A substitute's signature: the absent officer held the office that day, and a
    delegation to the signer was in force on it."""
    day = row.signed_at.date()
    findings = []
    if not holds(absent, row.party, row.office, day):
        findings.append(Finding(place, "office", f"{absent.username}, signed for by {username}, "
                                f"did not hold {row.office} ({row.party}) on {day:%Y-%m-%d}"))
    delegated = session.scalars(select(Absence).where(
        Absence.officer_id == absent.id, Absence.substitute_id == row.officer_id))
    if not any(absence.in_force(day) for absence in delegated):
        findings.append(Finding(place, "acting_for_id", f"no delegation from {absent.username} "
                                f"to {username} was in force on {day:%Y-%m-%d}"))
    return findings


# Documents -----------------------------------------------------------------------------

_SCRIPT = re.compile(rb'<script type="application/json" id="manzoori-signatures">(.*?)</script>', re.S)


@dataclass(frozen=True)
class PublishedKey:
    officer: str
    public_key: str
    revoked_at: datetime | None
    sample: bool = False


def database_keys(session: Session) -> list[PublishedKey]:
    return [PublishedKey(key.officer.username, key.public_key, key.revoked_at, key.sample)
            for key in signatures.published_keys(session)]


def bundle_keys(path: Path) -> list[PublishedKey]:
    """The keys of a bundle written by `manzoori keys export`."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        return [PublishedKey(k["officer"], k["public_key"],
                             datetime.fromisoformat(k["revoked_at"]) if k["revoked_at"] else None,
                             bool(k.get("sample")))
                for k in bundle["keys"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InvalidForm(f"{path} is not a key bundle from `manzoori keys export` ({error})",
                          problems=[("keys", "unreadable")]) from None


def verify_document(path: Path, registry: Registry, keys: list[PublishedKey]) -> list[Finding]:
    """Check a rendered HTML or PDF document: each signature it carries against the
    published keys, then every byte against a fresh rendering of the signed data."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidForm(f"cannot read {path}: {error.strerror}", problems=[("document", "unreadable")]) from None
    is_pdf = raw.startswith(b"%PDF")
    where = path.name
    try:
        data = _pdf_data(path) if is_pdf else _html_data(raw)
        content, signed = data["content"], data["signatures"]
    except (ValueError, KeyError, TypeError) as error:
        return [Finding(where, "signature data", f"cannot be read from the document ({error})")]
    if not signed:
        return [Finding(where, "signatures", "the document carries no signature")]
    findings = [finding for entry in signed for finding in _document_signature(content, entry, keys)]
    try:
        fresh = render_pdf(data, registry) if is_pdf else render_data(data, registry).encode()
    except Exception as error:  # data altered so far that it no longer renders
        return [*findings, Finding(where, "content", f"the signed data cannot be rendered ({error})")]
    if fresh != raw:
        offset = next((i for i, (a, b) in enumerate(zip(fresh, raw, strict=False)) if a != b),
                      min(len(fresh), len(raw)))
        findings.append(Finding(where, "content", f"differs from the rendering of the signed "
                                f"data from byte {offset} on"))
    return findings


def _document_signature(content: dict[str, Any], entry: dict[str, Any],
                        keys: list[PublishedKey]) -> list[Finding]:
    place = f"signature ({entry.get('party')}, {entry.get('office')})"
    try:
        username = entry["holder"]["username"]
        signed = signatures.signed_content(content, entry["party"], entry["office"], username,
                                           entry["holder"]["name"], entry["signed_at"],
                                           entry.get("acting_for"))
        digest, public_key = entry["digest"], entry["public_key"]
    except (KeyError, TypeError) as error:
        return [Finding(place, "signature data", f"is incomplete ({error})")]
    findings = []
    if signatures.content_digest(signed) != digest:
        findings.append(Finding(place, "digest", "the document's content, party, office, holder "
                                "or date no longer gives the signed digest"))
    if not signatures.check(public_key, digest, str(entry.get("signature"))):
        findings.append(Finding(place, "signature", "is not a valid Ed25519 signature of the "
                                "digest by its public key"))
    published = [k for k in keys if k.officer == username and k.public_key == public_key]
    if not published:
        findings.append(Finding(place, "public_key", f"is not a key published for {username}"))
    elif all(k.revoked_at is not None and k.revoked_at.isoformat() <= entry["signed_at"]
             for k in published):
        findings.append(Finding(place, "public_key", "the key was revoked before this signature"))
    elif any(k.sample for k in published) != bool(entry.get("sample")):
        findings.append(Finding(place, "sample", "the document does not say what the key is: "
                                "a [sample] key must be marked as one, a real key must not"))
    return findings


def _html_data(raw: bytes) -> dict[str, Any]:
    found = _SCRIPT.search(raw)
    if found is None:
        raise ValueError("no manzoori-signatures script element")
    return json.loads(found.group(1))


def _pdf_data(path: Path) -> dict[str, Any]:
    """The data attached to a PDF (`manzoori-signatures.json`), read with pypdf: no system
    tool needed. A PDF that pypdf cannot parse, or without the attachment, is a ValueError."""
    # lazy: pypdf only for PDFs, ~0.2 s to import
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        attached = PdfReader(path).attachments.get(DATA_FILE)
    except (PyPdfError, OSError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise ValueError(f"not a readable PDF: {type(error).__name__}: {error}") from None
    if not attached:
        raise ValueError(f"no attached {DATA_FILE}")
    try:
        return json.loads(attached[0].decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{DATA_FILE} is not UTF-8 ({error.reason})") from None
