"""What the web app's handlers share: the request's database session, the registry, the
officer an API request acts for, a posted form's text fields, and the JSON of a refusal.

The app factory (`engine.web.app`) and every router import from here; nothing here imports
them, so the arrows point one way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from engine.core.registry import Registry
from engine.errors import InvalidForm, ManzooriError
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
    calls and password hashing wait without holding up every other request.

    Refused (InvalidForm, naming the field) unless every name and value is UTF-8 text, as
    the API refuses such JSON: Starlette would read other bytes as U+FFFD or latin-1 and
    store them silently. The pages post url-encoded forms, and only those are taken: a
    multipart body's fields cannot be told apart from latin-1 once parsed."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()
    if body and kind != "application/x-www-form-urlencoded":
        raise InvalidForm("send the form as application/x-www-form-urlencoded, as the page does",
                          problems=[("form", "not url-encoded")])
    for pair in body.split(b"&"):
        name, _, value = (unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"="))
        for raw, what in ((name, "name"), (value, "value")):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                field = name.decode("utf-8", "replace")
                raise InvalidForm(f"the {what} of the form field {field!r} is not UTF-8 text",
                                  problems=[(field, "not UTF-8")]) from None
    return await request.form()


async def posted_text(request: Request) -> dict[str, str]:
    """A posted form's text fields, the last value of a repeated name (see `posted_form`)."""
    form = await posted_form(request)
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


PostedForm = Annotated[FormData, Depends(posted_form)]
PostedText = Annotated[dict[str, str], Depends(posted_text)]


def revision_seen(posted: str | None) -> int | None:
    """The item's revision a form was made at (its hidden `revision` field), if it has one."""
    if not posted:
        return None
    if not (posted.isascii() and posted.isdigit() and len(posted) <= 9):
        raise InvalidForm(f"the form's revision {posted[:20]!r} is not a whole number: reload the page",
                          problems=[("revision", "not a whole number")])
    return int(posted)


def error_body(error: ManzooriError) -> dict[str, Any]:
    """The JSON an API client gets for a refused request: kind, message, field, problems."""
    problems = getattr(error, "problems", None) or []
    urdu = getattr(error, "problems_ur", None) or []  # the same problems, in the same order
    return {
        "error": type(error).__name__,
        "message": error.message,
        "field": getattr(error, "field", None),
        "problems": [{"field": where, "message": message,
                      **({"message_ur": urdu[index][1]} if index < len(urdu) else {})}
                     for index, (where, message) in enumerate(problems)],
    }
