"""Who is asking: a server-side session for the web app, a bearer token for the API.

The session cookie holds a random token; the `web_sessions` table keeps its digest, so
logging out, a new password or an administrator (`manzoori officers sessions --end`)
ends it, and it ends by itself `SESSION_LIFETIME` after the login (nothing extends it).
The cookie is HttpOnly and SameSite=Lax (Secure behind HTTPS). A form's CSRF token is
derived from the session's token with the app's secret, so it needs no storage.

Logging in has its own CSRF token (login CSRF: a cross-site form must not log a victim in
as the attacker): the login page sets a random pre-session cookie (SameSite=Strict) and
its form carries a keyed digest of it. A browser that logged in before keeps a signed
device cookie, by which the login throttle (`engine.core.throttle`) tells its officer from
an attacker guessing the same account elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.core.accounts import SESSION_LIFETIME, live_session, officer_for_token, open_session
from engine.core.accounts import end_session as end_web_session
from engine.core.credentials import kept_secret
from engine.errors import NotAllowed, NotAuthenticated
from engine.store import Officer, WebSession, home

COOKIE = "manzoori_session"
LOGIN_COOKIE = "manzoori_login"
"""The pre-session cookie the login form's CSRF token is bound to."""
DEVICE_COOKIE = "manzoori_device"
"""A browser an officer logged in from: signed (username, random id)."""
DEVICE_SECONDS = 365 * 86400


class NotLoggedIn(NotAuthenticated):
    """No valid session: the web app sends the officer to the login page."""


def load_secret() -> str:
    """The key that signs session cookies, generated once under MANZOORI_HOME (mode 600)."""
    return kept_secret(Path(os.environ.get("MANZOORI_WEB_SECRET_FILE", home() / "web-secret")), 48)


def _keyed(request: Request, purpose: str, value: str) -> str:
    secret = str(request.app.state.secret_key).encode()
    return hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def start_session(request: Request, response: Response, session: Session, officer: Officer) -> None:
    """Open a web session for `officer` (committed here) and give the browser its cookie."""
    token = open_session(session, officer, utcnow(), client_address(request))
    session.commit()
    secure = request.app.state.secure_cookies
    response.set_cookie(COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), httponly=True,
                        samesite="lax", secure=secure, path="/")
    device = URLSafeSerializer(request.app.state.secret_key, salt="manzoori-device").dumps(
        {"u": officer.username.lower(), "d": secrets.token_urlsafe(12)})
    if trusted_device(request, officer.username) is None:
        response.set_cookie(DEVICE_COOKIE, device, max_age=DEVICE_SECONDS, httponly=True,
                            samesite="strict", secure=secure, path="/login")
    response.delete_cookie(LOGIN_COOKIE, path="/login")


def end_session(request: Request, response: Response, session: Session) -> None:
    """End this browser's session for good (committed here) and drop its cookie."""
    end_web_session(session, request.cookies.get(COOKIE, ""), utcnow(), "logout")
    session.commit()
    response.delete_cookie(COOKIE, path="/")


def web_session(request: Request, session: Session) -> WebSession | None:
    """The request's live web session, if any (read once per request)."""
    if not hasattr(request.state, "web_session"):
        token = request.cookies.get(COOKIE, "")
        found = live_session(session, token, utcnow())
        request.state.web_session = found
        request.state.csrf = _keyed(request, "csrf", token) if found is not None else None
    found_session: WebSession | None = request.state.web_session
    return found_session


def form_token(request: Request) -> str:
    """The CSRF token the request's forms carry ('' without a session read)."""
    return getattr(request.state, "csrf", None) or ""


def current_officer(request: Request, session: Session) -> Officer:
    found = web_session(request, session)
    if found is None:
        raise NotLoggedIn("log in first")
    return found.officer


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form post whose CSRF token is not its session's (after `current_officer`)."""
    expected = getattr(request.state, "csrf", None)
    if not expected or not token or not secrets.compare_digest(expected, token):
        raise NotAllowed("the form's security token is missing or stale: reload the page and try again")


def login_token(request: Request) -> tuple[str, str]:
    """(pre-session cookie value, the login form's CSRF token bound to it): this browser's
    value if it has one, else a new one (`keep_login_cookie` sets it)."""
    value = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return value, _keyed(request, "login", value)


def keep_login_cookie(request: Request, response: Response, value: str) -> None:
    response.set_cookie(LOGIN_COOKIE, value, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.secure_cookies, path="/login")


def check_login_csrf(request: Request, token: str | None) -> None:
    """Refuse a login post that did not come from our login page in this browser."""
    value = request.cookies.get(LOGIN_COOKIE)
    if not value or not token or not secrets.compare_digest(_keyed(request, "login", value), token):
        raise NotAllowed("the login form's security token is missing or stale: open the login page "
                         "again and log in from there")


def trusted_device(request: Request, username: str) -> str | None:
    """The id of this browser if `username` logged in from it before, else None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = URLSafeSerializer(request.app.state.secret_key, salt="manzoori-device").loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != username.strip().lower():
        return None
    device = data.get("d")
    return device if isinstance(device, str) else None


def bearer_officer(request: Request, session: Session) -> Officer:
    """The officer an API request acts for, from `Authorization: Bearer <token>`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("send an API token: `Authorization: Bearer <token>` "
                               "(`manzoori officers token USERNAME` makes one)")
    try:
        return officer_for_token(session, token, utcnow())
    except NotAllowed as error:
        raise NotAuthenticated(error.message) from None
