"""The HTML side the pages share: the Jinja templates, the officer's language, and
`render`, which gives every template the translator, the language and the CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.clock import utcnow
from engine.store import Officer
from engine.web.auth import form_token
from engine.web.guidance import NOTICE_COOKIE, NOTICE_LIMIT, drafting_choices
from engine.web.i18n import ACTIONS, LANGUAGES, translator

#: The web app's templates; the conformance kit renders a party's form with them too.
TEMPLATES = Path(__file__).parent / "templates"

LANGUAGE_COOKIE = "manzoori_lang"
"""The language chosen (a preference of the browser, apart from the session: switching it
touches no session)."""

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True, lstrip_blocks=True,
)
templates = Jinja2Templates(env=_environment)


def chosen_language(request: Request) -> str:
    """The language cookie's language, else English."""
    lang = request.cookies.get(LANGUAGE_COOKIE) or "en"
    return lang if lang in LANGUAGES else "en"


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template `name` in the officer's language, with `context`, and the confirmation
    of the action before (`engine.web.guidance.keep_notice`) shown once."""
    lang = chosen_language(request)
    context.setdefault("csrf", form_token(request))
    notice = request.cookies.get(NOTICE_COOKIE)
    response = templates.TemplateResponse(request, name, {
        "t": translator(lang), "lang": lang, "languages": LANGUAGES,
        "action_names": {a: names[lang] for a, names in ACTIONS.items()},
        "notice": unquote(notice)[:NOTICE_LIMIT] if notice else None,
        "may_draft": _may_draft(request, context.get("officer")), **context,
    }, status_code=status)
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, httponly=True, samesite="lax")
    return response


def _may_draft(request: Request, officer: Any) -> bool:
    """Whether the header offers "New draft": the officer holds a drafting office today."""
    if not isinstance(officer, Officer):
        return False
    return bool(drafting_choices(request.app.state.registry, officer, utcnow().date()))


def t_for(request: Request) -> Callable[[str], str]:
    """The translator of the officer's language, for text built outside a template."""
    return translator(chosen_language(request))
