"""Pages behind the one-time links in notification emails (to be filled in)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
