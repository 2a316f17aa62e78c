"""The officers' web app and the REST API, one FastAPI application over the engine's
services. No rule lives here: every decision goes through `engine.core.items`, and the
engine's errors become HTTP statuses (403, 404, 409, 422) with the field and reason.

`create_app()` builds it; `manzoori web` serves it alone, `manzoori serve` beside Prefect.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import Conflict, InvalidForm, ManzooriError, NotAllowed, NotFound


def error_body(error: ManzooriError) -> dict[str, Any]:
    """The JSON an API client gets for a refused request: kind, message, field, problems."""
    problems = getattr(error, "problems", None) or []
    return {
        "error": type(error).__name__,
        "message": error.message,
        "field": getattr(error, "field", None),
        "problems": [{"field": where, "message": message} for where, message in problems],
    }


def create_app(database_url: str | None = None, *, secret_key: str | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """The application on the configured database (created and migrated if need be)."""
    from engine.core.registry import registry
    from engine.store import open_database
    from engine.web import api, mail_pages, pages
    from engine.web.auth import load_secret

    factory = open_database(database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Iterator[None]:
        yield
        factory.kw["bind"].dispose()

    app = FastAPI(
        title="Manzoori",
        summary="Workflow and approval engine for Pakistan's provincial and inter-provincial bodies",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.factory = factory
    app.state.registry = registry()
    app.state.secret_key = secret_key or load_secret()
    app.state.secure_cookies = secure_cookies

    @app.exception_handler(ManzooriError)
    async def refused(request: Request, error: ManzooriError) -> Any:
        if request.url.path.startswith("/api/"):
            status = error.http_status
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return JSONResponse(error_body(error), status_code=status, headers=headers)
        return pages.error_page(request, error)

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(mail_pages.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def db_session(request: Request) -> Iterator[Session]:
    """A request's session on the engine's database (a FastAPI dependency)."""
    factory: sessionmaker = request.app.state.factory
    with factory() as session:
        yield session
