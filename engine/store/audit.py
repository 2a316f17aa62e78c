"""The hash chain over each item's events, and the digest of a version's content."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, ISO dates, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso
    ).encode()


def _iso(value: Any) -> str:
    if isinstance(value, datetime) or hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in an audit record")


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


def event_fields(reference: str, officer: str | None, event: Any) -> dict[str, Any]:
    """What an event's hash covers: every stored column of the event but its row id and
    the chain links themselves (`item_id` through the reference, `officer_id` through the
    username). `event` is an AuditEvent or a row with the same column names."""
    return {
        "reference": reference, "seq": event.seq, "global_seq": event.global_seq,
        "at": event.at.isoformat(), "officer": officer, "action": event.action,
        "step": event.step, "party": event.party, "version": event.version,
        "comment": event.comment, "payload": event.payload, "key": event.idempotency_key,
    }


def version_digest(
    reference: str, number: int, title: str, form_model: str, form: dict[str, Any],
    parties: list[str], author: str, created_at: datetime, submitted_at: datetime | None,
) -> str:
    """The exact content of one version of one item, and who wrote it when."""
    return hashlib.sha256(
        canonical(
            {"reference": reference, "version": number, "title": title,
             "form_model": form_model, "form": form, "parties": parties, "author": author,
             "created_at": created_at, "submitted_at": submitted_at}
        )
    ).hexdigest()
