"""What the web app's handlers share: the request's database session, the registry, the
officer an API request acts for, a posted form's text fields, and the JSON of a refusal.

The app factory (`engine.web.app`) and every router import from here; nothing here imports
them, so the arrows point one way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from engine.core.registry import Registry
from engine.errors import ManzooriError
from engine.store import Officer
from engine.web.auth import bearer_officer


def db_session(request: Request) -> Iterator[Session]:
    """A request's session on the engine's database (a FastAPI dependency)."""
    factory: sessionmaker[Session] = request.app.state.factory
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session)]


def registry_of(request: Request) -> Registry:
    """The parties the app was started with."""
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(registry_of)]

bearer = HTTPBearer(auto_error=False, scheme_name="officerToken",
                    description="An officer's API token: `manzoori officers token USERNAME`.")


def acting_officer(request: Request, session: SessionDep,
                   _token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Officer:
    """The officer the request's bearer token belongs to (401 without a valid one)."""
    return bearer_officer(request, session)


OfficerDep = Annotated[Officer, Depends(acting_officer)]


async def posted_form(request: Request) -> FormData:
    """A posted form, read on the event loop (a FastAPI dependency), so that the handler
    itself can be a plain `def`: FastAPI runs those in its thread pool, where database
    calls and password hashing wait without holding up every other request."""
    return await request.form()


async def posted_text(request: Request) -> dict[str, str]:
    """A posted form's text fields (uploads left out), the last value of a repeated name."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


PostedForm = Annotated[FormData, Depends(posted_form)]
PostedText = Annotated[dict[str, str], Depends(posted_text)]


def error_body(error: ManzooriError) -> dict[str, Any]:
    """The JSON an API client gets for a refused request: kind, message, field, problems."""
    problems = getattr(error, "problems", None) or []
    return {
        "error": type(error).__name__,
        "message": error.message,
        "field": getattr(error, "field", None),
        "problems": [{"field": where, "message": message} for where, message in problems],
    }
