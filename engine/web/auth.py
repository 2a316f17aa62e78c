"""Who is asking: a signed session cookie for the web app (with a CSRF token in it), a
bearer token for the API. The cookie is HttpOnly and SameSite=Lax (Secure behind HTTPS)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from engine.core.accounts import officer_for_token
from engine.core.credentials import kept_secret
from engine.errors import NotAllowed, NotAuthenticated
from engine.store import Officer, home

COOKIE = "manzoori_session"
SESSION_SECONDS = 8 * 3600


class NotLoggedIn(NotAuthenticated):
    """No valid session: the web app sends the officer to the login page."""


def load_secret() -> str:
    """The key that signs session cookies, generated once under MANZOORI_HOME (mode 600)."""
    return kept_secret(Path(os.environ.get("MANZOORI_WEB_SECRET_FILE", home() / "web-secret")), 48)


def session_serializer(request: Request) -> URLSafeTimedSerializer:
    """Signs and reads the session cookie's value with the app's secret key."""
    return URLSafeTimedSerializer(request.app.state.secret_key, salt="manzoori-session")


def start_session(request: Request, response: Response, officer: Officer, lang: str = "en") -> None:
    value = session_serializer(request).dumps(
        {"officer": officer.id, "csrf": secrets.token_urlsafe(24), "lang": lang})
    response.set_cookie(COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=request.app.state.secure_cookies, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def session_data(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        return session_serializer(request).loads(raw, max_age=SESSION_SECONDS)
    except (BadSignature, SignatureExpired):
        return None


def current_officer(request: Request, session: Session) -> Officer:
    data = session_data(request)
    officer = session.get(Officer, data["officer"]) if data else None
    if officer is None:
        raise NotLoggedIn("log in first")
    return officer


def check_csrf(request: Request, token: str | None) -> None:
    data = session_data(request)
    if not data or not token or not secrets.compare_digest(str(data.get("csrf")), token):
        raise NotAllowed("the form's security token is missing or stale: reload the page and try again")


def bearer_officer(request: Request, session: Session) -> Officer:
    """The officer an API request acts for, from `Authorization: Bearer <token>`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token: `Authorization: Bearer <token>` "
                               "(`manzoori officers token USERNAME` makes one)")
    try:
        return officer_for_token(session, token)
    except NotAllowed as error:
        raise NotAuthenticated(error.message) from None

