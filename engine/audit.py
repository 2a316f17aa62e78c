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


def version_digest(
    reference: str, number: int, title: str, form_model: str, form: dict[str, Any],
    parties: list[str],
) -> str:
    """What a signature will cover: the exact content of one version of one item."""
    return hashlib.sha256(
        canonical(
            {"reference": reference, "version": number, "title": title,
             "form_model": form_model, "form": form, "parties": parties}
        )
    ).hexdigest()
