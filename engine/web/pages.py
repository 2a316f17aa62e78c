"""The officers' web pages (to be filled in)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from engine.errors import ManzooriError

router = APIRouter(include_in_schema=False)


def error_page(request: Request, error: ManzooriError) -> HTMLResponse:
    from engine.web import status_of

    return HTMLResponse(f"<p>{error.message}</p>", status_code=status_of(error))
