"""The application factory: the FastAPI app over one database and the installed parties,
with the pages, the API and the mail-link pages mounted, and the engine's refusals turned
into answers (JSON for the API, a page for a browser).

Every handler that reads the database or checks a password is a plain `def`, which
FastAPI runs in its thread pool (`THREADS` threads): a slow request waits in its own
thread while the event loop goes on answering the others. The connection pool holds a
connection for each of those threads, so a thread never waits for one in the normal
course; if it does for `POOL_WAIT` seconds, or SQLite's write lock stays taken by another
process for `BUSY_SECONDS`, the answer is a 503 with Retry-After (`engine.errors.Busy`),
nothing half-written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from engine.core.accounts import HASHING
from engine.core.fonts import FONTS
from engine.core.registry import registry
from engine.core.throttle import LoginGuard
from engine.errors import ManzooriError
from engine.store import busy_from, open_database
from engine.web.absence_pages import router as absence_router
from engine.web.api import router as api_router
from engine.web.auth import load_secret
from engine.web.deps import error_body
from engine.web.directory_api import router as directory_api_router
from engine.web.directory_pages import router as directory_router
from engine.web.guards import MAX_BODY, BodyLimit, SecurityHeaders, csp_for_own_inline
from engine.web.insight_pages import router as insight_router
from engine.web.mail_pages import router as mail_router
from engine.web.pages import error_page
from engine.web.pages import router as pages_router
from engine.web.plan_pages import router as plan_router
from engine.web.search_pages import router as search_router

THREADS = 40
"""Threads running the handlers (AnyIO's default, stated here because the pool follows it)."""
POOL_WAIT = 10.0
"""Seconds a handler waits for a free database connection before answering 503."""
BUSY_SECONDS = 5.0
"""Seconds a handler waits for SQLite's write lock before answering 503 (the command line
waits `engine.store.database.BUSY_SECONDS`)."""


_DOCS_FROM = "https://cdn.jsdelivr.net"
"""Where FastAPI's Swagger UI page loads its script and style from."""


def create_app(database_url: str | None = None, *, secret_key: str | None = None,
               secure_cookies: bool = False, busy_seconds: float = BUSY_SECONDS,
               pool_wait: float = POOL_WAIT, max_body: int = MAX_BODY) -> FastAPI:
    """The application on the configured database (created and migrated if need be).

    `max_body` bounds every request's body (bytes); with `secure_cookies` (served over
    HTTPS) browsers are told to come back over HTTPS only (HSTS)."""
    factory = open_database(database_url, busy_seconds=busy_seconds, pool_size=THREADS,
                            pool_timeout=pool_wait)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield
        factory.kw["bind"].dispose()

    app = FastAPI(
        title="Manzoori",
        summary="Workflow and approval engine for Pakistan's provincial and inter-provincial bodies",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served below, under a CSP that allows its own script only
        redoc_url=None,
    )
    app.state.factory = factory
    app.state.registry = registry()
    app.state.secret_key = secret_key or load_secret()
    app.state.secure_cookies = secure_cookies
    app.state.login_guard = LoginGuard()
    # Password checks (`HASHING`): all but one for any login, one for browsers that logged
    # in before, so that an officer's login never queues behind an attacker's guesses.
    app.state.hashing = anyio.CapacityLimiter(HASHING - 1)
    app.state.hashing_trusted = anyio.CapacityLimiter(1)

    @app.exception_handler(ManzooriError)
    async def refused(request: Request, error: ManzooriError) -> Response:
        headers: dict[str, str] = {}
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if request.url.path.startswith("/api/"):
            status = error.http_status
            if status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return JSONResponse(error_body(error), status_code=status, headers=headers or None)
        response = error_page(request, error)
        response.headers.update(headers)
        return response

    async def busy(request: Request, error: Exception) -> Response:
        """A lock or a connection not had in time, wherever it was met: 503, not 500."""
        found = busy_from(error)
        if found is None:
            raise error
        return await refused(request, found)

    app.add_exception_handler(OperationalError, busy)
    app.add_exception_handler(PoolTimeout, busy)

    @app.exception_handler(StarletteHTTPException)
    async def http_refusal(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code != 405:
            return await http_exception_handler(request, error)
        # Starlette names the methods of the first route on the path only (GET of
        # /api/items, not its POST): name every route's.
        allowed = sorted({method for route in app.routes if isinstance(route, APIRoute)
                          and route.matches(request.scope)[0] != Match.NONE
                          for method in route.methods or ()})
        return JSONResponse({"detail": "Method Not Allowed"}, status_code=405,
                            headers={"Allow": ", ".join(allowed)})

    app.include_router(api_router)
    app.include_router(search_router)
    app.include_router(pages_router)
    app.include_router(plan_router)
    app.include_router(insight_router)
    app.include_router(absence_router)
    app.include_router(directory_api_router)
    app.include_router(directory_router)
    app.include_router(mail_router)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="Manzoori API")
        page.headers["Content-Security-Policy"] = csp_for_own_inline(
            bytes(page.body).decode(), script_from=_DOCS_FROM)
        return page

    # The bundled fonts live with the core (the PDFs embed them too).
    app.mount("/static/fonts", StaticFiles(directory=FONTS), name="fonts")
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # The last added runs first: the headers go on every answer, the 413 included, and the
    # size of a body is checked before anything reads it.
    app.add_middleware(BodyLimit, limit=max_body)
    app.add_middleware(SecurityHeaders, hsts=secure_cookies)
    return app
