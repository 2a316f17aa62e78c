"""What the web app puts round every request, before any handler runs: a limit on the
size of a request's body, and the security headers of every answer.

Both are plain ASGI middleware, so they hold for the pages, the API, the static files
and the answers Starlette makes itself (404s, 405s) alike. uvicorn limits the headers
(h11's incomplete-event size) but not bodies, hence the limit here: a body over it is
refused with 413 as soon as it is announced (Content-Length) or, sent in chunks, as soon
as it passes the limit, before it is parsed or held whole in memory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import HTMLResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 1024 * 1024
"""Bytes a request's body may have: a work plan with hundreds of activities is ~100 kB."""

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
"""No inline script or style anywhere (the templates' behaviour is in /static), and no
page may be framed: a click on a framed page cannot record a decision."""

HSTS = "max-age=31536000; includeSubDomains"


class BodyLimit:
    """413 for a request body over `limit` bytes, before the app reads it."""

    def __init__(self, app: App, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        announced = dict(scope.get("headers") or []).get(b"content-length")
        if announced is not None and (not announced.isdigit() or int(announced) > self.limit):
            await _too_large(scope, send, self.limit)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit and not refused:
                    refused = True
                    await _too_large(scope, send, self.limit)
                    # The app sees a client that went away, and its answer is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, unless_refused)


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    message = f"the request's body is over {limit} bytes"
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": "TooLarge", "message": message, "field": "body",
                           "problems": [{"field": "body", "message": message}]}).encode()
        kind = b"application/json"
    else:
        body, kind = f"413: {message}".encode(), b"text/plain; charset=utf-8"
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """The headers every answer carries; an answer that set its own CSP keeps it."""

    def __init__(self, app: App, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            *([(b"strict-transport-security", HSTS.encode())] if hsts else []),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _value in headers}
                headers += [(name, value) for name, value in self.headers if name not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


_INLINE = re.compile(r"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.S | re.I)


def csp_for_own_inline(html: str, *, script_from: str = "") -> str:
    """The CSP for a page the server builds whole from a fixed template with inline code
    (a rendered document, the report, the API docs): exactly those blocks are allowed,
    by their SHA-256, and nothing injected beside them. Data blocks (application/json)
    are never run, so they need nothing."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for tag, attributes, body in _INLINE.findall(html):
        attributes = attributes or ""
        if tag.lower() == "script" and ("src=" in attributes or "application/json" in attributes):
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        hashes[tag.lower()].append(f"'sha256-{digest}'")
    scripts = " ".join(["'self'", *([script_from] if script_from else []), *hashes["script"]])
    styles = " ".join(["'self'", *([script_from] if script_from else []), *hashes["style"]])
    return CSP.replace("script-src 'self'", f"script-src {scripts}").replace(
        "style-src 'self'", f"style-src {styles}")


def built_page(html: str) -> HTMLResponse:
    """A page built whole from a fixed template with its own inline style (a document,
    a report), under a CSP that allows exactly that style."""
    return HTMLResponse(html, headers={"Content-Security-Policy": csp_for_own_inline(html)})
